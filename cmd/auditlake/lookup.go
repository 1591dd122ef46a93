package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/internal/fsutil"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/history"
)

func newLookupCmd(g *globals) *cobra.Command {
	var attr, start, end, format, out, category string
	cmd := &cobra.Command{
		Use:   "lookup [--attribute KEY=VALUE] [--start TIME] [--end TIME] [--format csv|json] [--out FILE]",
		Short: "Download events from the event history (the last 90 days of management events)",
		Long: `Look up the event history, as LookupEvents and the CloudTrail console's
Event history do, and download every matching event, newest first.

--attribute takes one of EventId, EventName, ReadOnly, Username, ResourceType,
ResourceName, EventSource, AccessKeyId (exact match), as KEY=VALUE.
--start and --end take RFC 3339 times (2026-11-20T09:00:00Z) or dates
(2026-11-20, midnight UTC); by default the last 90 days. --format csv writes
the console's CSV columns, --format json writes {"Records": [...]} with each
full record. --out writes a file (atomically) instead of standard output.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := lookupInput(attr, start, end, category)
			if err != nil {
				return err
			}
			if format != history.FormatCSV && format != history.FormatJSON {
				return fmt.Errorf("%w: --format %q: want csv or json", lake.ErrInvalidParameter, format)
			}
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				s, err := history.New(l, history.Options{})
				if err != nil {
					return err
				}
				defer s.Close()
				write := func(w io.Writer) error {
					_, err := s.Download(cmd.Context(), in, format, w)
					return err
				}
				if out == "" {
					return write(cmd.OutOrStdout())
				}
				return writeFileAtomic(out, write)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&attr, "attribute", "", "one lookup attribute, KEY=VALUE (EventName=ConsoleLogin)")
	fl.StringVar(&start, "start", "", "the earliest event time (RFC 3339 or YYYY-MM-DD); default 90 days ago")
	fl.StringVar(&end, "end", "", "the latest event time (RFC 3339 or YYYY-MM-DD); default now")
	fl.StringVar(&format, "format", "csv", "csv or json, as the console's download")
	fl.StringVar(&out, "out", "", "write to this file instead of standard output")
	fl.StringVar(&category, "category", "", "insight: look up Insights events instead of management events")
	return cmd
}

func lookupInput(attr, start, end, category string) (history.Input, error) {
	in := history.Input{Category: category}
	if attr != "" {
		k, v, ok := strings.Cut(attr, "=")
		if !ok {
			return in, fmt.Errorf("%w: --attribute %q: want KEY=VALUE", history.ErrInvalidLookupAttributes, attr)
		}
		in.Attributes = []history.Attribute{{Key: k, Value: v}}
	}
	var err error
	if in.Start, err = parseLookupTime("--start", start); err != nil {
		return in, err
	}
	in.End, err = parseLookupTime("--end", end)
	return in, err
}

func parseLookupTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: want an RFC 3339 time (2026-11-20T09:00:00Z) or a date (2026-11-20)", history.ErrInvalidTimeRange, flag, s)
}

// writeFileAtomic writes a file through a temporary file, synced and renamed
// into place, so that a failed download leaves no partial file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = fsutil.RenameDurable(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
