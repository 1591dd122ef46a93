package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/bench"
)

// newGenerateCmd returns the "generate" subcommand: it writes realistic
// CloudTrail log files in the trail bucket layout.
func newGenerateCmd() *cobra.Command {
	var (
		opts bench.GenerateOptions
		out  string
		end  string
	)
	cmd := &cobra.Command{
		Use:   "generate --events N --days D --out DIR",
		Short: "Write realistic CloudTrail log files (.json.gz) for testing and benchmarks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if end != "" {
				t, err := time.Parse("2006-01-02", end)
				if err != nil {
					return fmt.Errorf("parse --end %q: %w", end, err)
				}
				opts.End = t
			}
			start := time.Now()
			st, err := bench.Generate(cmd.Context(), out, opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "generated %d files, %d events, %.1f MB in %s\n",
				st.Files, st.Events, float64(st.Bytes)/1e6, time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Events, "events", 0, "total number of events (required)")
	f.IntVar(&opts.Days, "days", 0, "days of history ending at --end (required)")
	f.StringVar(&out, "out", "", "output directory (required)")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed; the same options and seed give identical files")
	f.StringVar(&end, "end", "", "exclusive end date YYYY-MM-DD in UTC (default: today)")
	f.IntVar(&opts.Accounts, "accounts", bench.DefaultAccounts, "number of AWS accounts")
	for _, name := range []string{"events", "days", "out"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
