package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/api/iam"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/saved"
)

func newSavedCmd(g *globals) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "saved",
		Short: "Create, list, change, delete and run saved queries, and schedule them as reports (works on the lake while serve is not running)",
		Long: `Saved queries and scheduled reports, as the JSON API and the console keep them
(docs/queries.md). A saved query or report records the access key it was written
with (--as; default: the lake's administrator key), and the server runs a report
only while every key that wrote it and its saved query may still read the stores
it reads. "saved run" runs a saved query here and now, as "auditlake query" does.`,
	}
	cmd.PersistentFlags().StringVar(&as, "as", "", "the access key ID the saved queries and reports you create or change are written with; reports run with its authority (default: the lake's administrator key)")
	x := &savedCmd{g: g, as: &as}
	cmd.AddCommand(x.list(), x.get(), x.create(), x.update(), x.delete(), x.run(), x.reports())
	return cmd
}

// savedCmd holds what the saved subcommands share.
type savedCmd struct {
	g  *globals
	as *string
}

// savedEnv is an open lake with its saved-query store.
type savedEnv struct {
	l    *lake.Lake
	keys *iam.Keys
	st   *saved.Store
	eng  *query.Engine // nil unless asked for
	as   string
}

// with opens the lake, its key store and saved-query store (and a query
// engine when engine is set: writes analyze their statement) and runs fn.
// Errors come out as the API's.
func (x *savedCmd) with(cmd *cobra.Command, engine bool, fn func(ctx context.Context, e *savedEnv) error) error {
	ctx := cmd.Context()
	return x.g.withLake(ctx, func(l *lake.Lake) error {
		keys, err := iam.Open(l, iam.Options{KeyFile: os.Getenv("AUDITLAKE_SECRETS_KEY_FILE")})
		if err != nil {
			return err
		}
		e := &savedEnv{l: l, keys: keys, as: *x.as}
		opts := saved.StoreOptions{Authorize: api.ReadAuthorizer{Keys: keys}}
		if engine {
			if e.eng, err = query.NewEngine(l, query.Options{TempDir: filepath.Join(l.Dir(), "tmp")}); err != nil {
				return err
			}
			defer e.eng.Close()
			opts.Analyze = saved.EngineAnalyzer(e.eng)
		}
		e.st = saved.NewStore(l, opts)
		return api.SavedError(fn(ctx, e))
	})
}

// writer is the principal writes are recorded with: --as, or the lake's
// administrator key.
func (e *savedEnv) writer(ctx context.Context) (*saved.Principal, error) {
	var id iam.Identity
	if e.as != "" {
		var err error
		if id, err = e.keys.Identity(ctx, e.as); errors.Is(err, iam.ErrKeyNotFound) {
			return nil, fmt.Errorf("%w: --as %s: no such access key (auditlake keys list shows them)", lake.ErrInvalidParameter, e.as)
		} else if err != nil {
			return nil, err
		}
	} else {
		all, err := e.keys.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range all {
			if k.Root {
				id = k
				break
			}
		}
		if id.AccessKeyID == "" {
			return nil, fmt.Errorf("%w: the lake has no administrator key yet: give --as ACCESS_KEY_ID (auditlake keys create makes one) or start auditlake serve once", lake.ErrInvalidParameter)
		}
	}
	return &saved.Principal{AccessKeyID: id.AccessKeyID, UserName: id.UserName, ARN: id.ARN}, nil
}

// query finds a saved query by ID or by name (ignoring case).
func (e *savedEnv) query(ctx context.Context, ref string) (saved.Query, error) {
	q, err := e.st.GetQuery(ctx, ref)
	if !errors.Is(err, saved.ErrNotFound) {
		return q, err
	}
	all, lerr := e.st.ListQueries(ctx)
	if lerr != nil {
		return saved.Query{}, lerr
	}
	for _, q := range all {
		if strings.EqualFold(q.Name, ref) {
			return q, nil
		}
	}
	return saved.Query{}, err
}

// printSaved prints v as printJSON does, but leaves < > & in SQL as they
// are.
func printSaved(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// statement is the SQL of create and update: the argument, or the file
// (- for standard input) --file names.
func statement(cmd *cobra.Command, args []string, file string) (string, bool, error) {
	switch {
	case len(args) > 0 && file != "":
		return "", false, fmt.Errorf("%w: give the SQL as an argument or with --file, not both", lake.ErrInvalidParameter)
	case len(args) > 0:
		return args[0], true, nil
	case file == "":
		return "", false, nil
	}
	var r io.Reader = cmd.InOrStdin()
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", false, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	return string(data), true, err
}

func (x *savedCmd) list() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List saved queries by name, as ListSavedQueries does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				qs, err := e.st.ListQueries(ctx)
				if err != nil {
					return err
				}
				if qs == nil {
					qs = []saved.Query{}
				}
				return printSaved(cmd.OutOrStdout(), map[string]any{"SavedQueries": qs})
			})
		},
	}
}

func (x *savedCmd) get() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID|NAME",
		Short: "Print a saved query as GetSavedQuery does",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				q, err := e.query(ctx, args[0])
				if err != nil {
					return err
				}
				return printSaved(cmd.OutOrStdout(), q)
			})
		},
	}
}

func (x *savedCmd) create() *cobra.Command {
	var q saved.Query
	var file string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--description TEXT] (SQL | --file FILE|-)",
		Short: "Save a query; prints it as CreateSavedQuery does",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, _, err := statement(cmd, args, file)
			if err != nil {
				return err
			}
			q.Statement = sql
			return x.with(cmd, true, func(ctx context.Context, e *savedEnv) error {
				by, err := e.writer(ctx)
				if err != nil {
					return err
				}
				out, err := e.st.CreateQuery(ctx, by, q)
				if err != nil {
					return err
				}
				return printSaved(cmd.OutOrStdout(), out)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Name, "name", "", "a name, unique ignoring case (1-128 characters)")
	f.StringVar(&q.Description, "description", "", "what the query answers")
	f.StringVar(&file, "file", "", "read the SQL from this file (- for standard input)")
	return cmd
}

func (x *savedCmd) update() *cobra.Command {
	var name, desc, file string
	cmd := &cobra.Command{
		Use:   "update ID|NAME [--name NAME] [--description TEXT] [SQL | --file FILE|-]",
		Short: "Change a saved query's name, description or SQL; prints it as UpdateSavedQuery does",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sql, newSQL, err := statement(cmd, args[1:], file)
			if err != nil {
				return err
			}
			return x.with(cmd, true, func(ctx context.Context, e *savedEnv) error {
				q, err := e.query(ctx, args[0])
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("name") {
					q.Name = name
				}
				if cmd.Flags().Changed("description") {
					q.Description = desc
				}
				if newSQL {
					q.Statement = sql
				}
				by, err := e.writer(ctx)
				if err != nil {
					return err
				}
				out, err := e.st.UpdateQuery(ctx, by, q)
				if err != nil {
					return err
				}
				return printSaved(cmd.OutOrStdout(), out)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the new name")
	f.StringVar(&desc, "description", "", "the new description")
	f.StringVar(&file, "file", "", "read the new SQL from this file (- for standard input)")
	return cmd
}

func (x *savedCmd) delete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID|NAME",
		Short: "Delete a saved query (refused while a report runs it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				q, err := e.query(ctx, args[0])
				if err != nil {
					return err
				}
				return e.st.DeleteQuery(ctx, q.ID)
			})
		},
	}
}

func (x *savedCmd) run() *cobra.Command {
	var format, memory string
	var window string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "run ID|NAME [--format csv|json|table] [--window 24h]",
		Short: "Run a saved query here and now and print its result, as auditlake query does",
		Long: `Run a saved query and print its result in the formats of auditlake query.
{{start}} and {{end}} in the statement become the bounds of --window ending now,
as in a report's run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write, err := formatter(format)
			if err != nil {
				return err
			}
			w, err := saved.ParseDuration(window)
			if err != nil {
				return fmt.Errorf("--window: %w", err)
			}
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				q, err := e.query(ctx, args[0])
				if err != nil {
					return err
				}
				eng, err := query.NewEngine(e.l, query.Options{MemoryLimit: memory, Timeout: timeout, TempDir: filepath.Join(e.l.Dir(), "tmp")})
				if err != nil {
					return err
				}
				defer eng.Close()
				end := time.Now().UTC()
				rows, err := eng.Query(ctx, saved.Fill(q.Statement, end.Add(-w), end))
				if err != nil {
					return err
				}
				defer rows.Close()
				bw := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
				return errors.Join(write(bw, rows), bw.Flush())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "table", "output format: csv, json or table")
	f.StringVar(&window, "window", "24h", "the window {{start}} and {{end}} span, ending now (24h, 7d)")
	f.StringVar(&memory, "memory-limit", "", "DuckDB memory limit for the query, such as 4GB (default 2GB)")
	f.DurationVar(&timeout, "timeout", 0, "give up after this long (default 1h)")
	return cmd
}
