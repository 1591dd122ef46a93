package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
)

func newQueryCmd(g *globals) *cobra.Command {
	var format, out, memory string
	var timeout time.Duration
	var stats bool
	cmd := &cobra.Command{
		Use:   "query [--format csv|json|table] [--out URI] SQL",
		Short: "Run a read-only SQL query over event data stores",
		Long: `Run a SELECT over event data stores. Name a store by its ID (the UUID at the
end of its ARN, unquoted, as CloudTrail Lake users write it) or by its name:

  auditlake query "SELECT eventName, count(*) FROM 0b5e1c2a-... GROUP BY 1 ORDER BY 2 DESC"

--format csv prints a header row and then the rows, with values as CloudTrail
Lake's saved CSV results write them. --out saves the CSV to object storage
(file:///dir/result.csv, s3://bucket/key.csv?region=...) instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write, err := formatter(format)
			if err != nil {
				return err
			}
			if out != "" {
				write = query.WriteCSV
			}
			return g.withQueryLake(cmd.Context(), func(l *lake.Lake) error {
				eng, err := query.NewEngine(l, query.Options{MemoryLimit: memory, Timeout: timeout, TempDir: filepath.Join(l.Dir(), "tmp")})
				if err != nil {
					return err
				}
				defer eng.Close()
				rows, err := eng.Query(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				defer rows.Close()
				if out != "" {
					err = saveObject(cmd.Context(), out, func(w io.Writer) error { return write(w, rows) })
				} else {
					bw := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
					err = errors.Join(write(bw, rows), bw.Flush())
				}
				if err != nil {
					return err
				}
				if stats || out != "" {
					st := rows.Stats()
					fmt.Fprintf(cmd.ErrOrStderr(), "%d rows; %d segment files, %d bytes scanned; %s\n", st.RowsReturned, st.FilesRead, st.BytesRead, st.Elapsed.Round(time.Millisecond))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "output format: csv, json or table")
	f.StringVar(&out, "out", "", "save the result as CSV to this object storage URI instead of printing it")
	f.StringVar(&memory, "memory-limit", "", "DuckDB memory limit for the query, such as 4GB (default 2GB)")
	f.DurationVar(&timeout, "timeout", 0, "give up after this long (default 1h)")
	f.BoolVar(&stats, "stats", false, "print rows, files and bytes scanned and the time taken to standard error")
	return cmd
}

func formatter(name string) (func(io.Writer, *query.Rows) error, error) {
	switch name {
	case "csv":
		return query.WriteCSV, nil
	case "json":
		return query.WriteJSON, nil
	case "table":
		return query.WriteTable, nil
	}
	return nil, fmt.Errorf("%w: --format %q: use csv, json or table", lake.ErrInvalidParameter, name)
}

// saveObject writes an object at a URI: scheme://bucket/key?options. The
// object appears whole or not at all.
func saveObject(ctx context.Context, uri string, write func(io.Writer) error) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%w: --out %q is not a URI such as file:///dir/result.csv or s3://bucket/result.csv", lake.ErrInvalidParameter, uri)
	}
	var bucketURL, key string
	if u.Scheme == "file" {
		dir, file := path.Split(u.Path)
		if file == "" {
			return fmt.Errorf("%w: --out %q names a folder, not a file", lake.ErrInvalidParameter, uri)
		}
		if err := os.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return err
		}
		bucketURL, key = "file://"+dir+"?no_tmp_dir=1&metadata=skip", file
	} else {
		key = strings.TrimPrefix(u.Path, "/")
		u.Path = ""
		bucketURL = u.String()
	}
	if key == "" {
		return fmt.Errorf("%w: --out %q has no object key", lake.ErrInvalidParameter, uri)
	}
	b, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		return fmt.Errorf("open %s: %w", bucketURL, err)
	}
	defer b.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "text/csv"})
	if err != nil {
		return fmt.Errorf("write %s: %w", uri, err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := errors.Join(write(bw), bw.Flush()); err != nil {
		cancel() // abandons the upload: nothing appears under key
		_ = w.Close()
		return fmt.Errorf("write %s: %w", uri, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", uri, err)
	}
	return nil
}
