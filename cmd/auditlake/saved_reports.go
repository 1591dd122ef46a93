package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query/saved"
)

func (x *savedCmd) reports() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "reports",
		Aliases: []string{"report"},
		Short:   "Schedule saved queries as reports: list, get, create, delete, and the runs of a report",
		Long: `A report runs a saved query on a cron schedule while auditlake serve runs, and
writes each run's CSV and its sign file to the lake's object storage
(<destination>/<fire time>.csv and <fire time>_sign.json). See docs/queries.md.`,
	}
	cmd.AddCommand(x.reportsList(), x.reportsGet(), x.reportsCreate(), x.reportsDelete(), x.reportsRuns())
	return cmd
}

// report finds a report by ID or by name (ignoring case).
func (e *savedEnv) report(ctx context.Context, ref string) (saved.Report, error) {
	r, err := e.st.GetReport(ctx, ref)
	if !errors.Is(err, saved.ErrNotFound) {
		return r, err
	}
	all, lerr := e.st.ListReports(ctx)
	if lerr != nil {
		return saved.Report{}, lerr
	}
	for _, r := range all {
		if strings.EqualFold(r.Name, ref) {
			return r, nil
		}
	}
	return saved.Report{}, err
}

func (x *savedCmd) reportsList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List reports by name, as ListReports does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				rs, err := e.st.ListReports(ctx)
				if err != nil {
					return err
				}
				if rs == nil {
					rs = []saved.Report{}
				}
				return printSaved(cmd.OutOrStdout(), map[string]any{"Reports": rs})
			})
		},
	}
}

func (x *savedCmd) reportsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get ID|NAME",
		Short: "Print a report as GetReport does",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				r, err := e.report(ctx, args[0])
				if err != nil {
					return err
				}
				return printSaved(cmd.OutOrStdout(), r)
			})
		},
	}
}

func (x *savedCmd) reportsCreate() *cobra.Command {
	var r saved.Report
	var query, window, catchUp string
	var disabled bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --saved-query ID|NAME --schedule CRON [--time-zone ZONE] [--window 7d] [--destination PREFIX] [--webhook URL] [--catch-up SKIP|LATEST|ALL]",
		Short: "Schedule a saved query; prints the report as CreateReport does",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := saved.ParseDuration(window)
			if err != nil {
				return fmt.Errorf("--window: %w", err)
			}
			r.Window, r.CatchUp, r.Enabled = saved.Duration(w), saved.CatchUp(strings.ToUpper(catchUp)), !disabled
			return x.with(cmd, true, func(ctx context.Context, e *savedEnv) error {
				q, err := e.query(ctx, query)
				if err != nil {
					return err
				}
				r.SavedQueryID = q.ID
				by, err := e.writer(ctx)
				if err != nil {
					return err
				}
				out, err := e.st.CreateReport(ctx, by, r)
				if err != nil {
					return err
				}
				return printSaved(cmd.OutOrStdout(), out)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.Name, "name", "", "the report's name")
	f.StringVar(&query, "saved-query", "", "the saved query it runs (ID or name)")
	f.StringVar(&r.Schedule, "schedule", "", `cron expression, 5 fields ("0 6 * * 1") or @daily, @weekly, @every 6h`)
	f.StringVar(&r.TimeZone, "time-zone", "", "IANA time zone the schedule is read in (default UTC)")
	f.StringVar(&window, "window", "", "the time window {{start}}..{{end}} ending at each run, such as 24h or 7d (default: since the previous run)")
	f.StringVar(&r.Destination, "destination", "", "object-storage key prefix of the CSV files (default reports/<report id>)")
	f.StringVar(&r.Webhook, "webhook", "", "http(s) URL told of every run")
	f.StringVar(&catchUp, "catch-up", "SKIP", "runs missed while the server was down: SKIP, LATEST (run the latest once) or ALL")
	f.BoolVar(&disabled, "disabled", false, "create the report paused")
	_ = cmd.MarkFlagRequired("saved-query")
	return cmd
}

func (x *savedCmd) reportsDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID|NAME",
		Short: "Delete a report and its run records (its CSV files stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				r, err := e.report(ctx, args[0])
				if err != nil {
					return err
				}
				return e.st.DeleteReport(ctx, r.ID)
			})
		},
	}
}

func (x *savedCmd) reportsRuns() *cobra.Command {
	var maxRuns int
	var format string
	cmd := &cobra.Command{
		Use:   "runs ID|NAME [--max N] [--format table|json]",
		Short: "List a report's recent runs, newest first: status, duration, rows, and the CSV or the error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("%w: --format %q: use table or json", lake.ErrInvalidParameter, format)
			}
			return x.with(cmd, false, func(ctx context.Context, e *savedEnv) error {
				r, err := e.report(ctx, args[0])
				if err != nil {
					return err
				}
				runs, err := e.st.ListRuns(ctx, r.ID, maxRuns)
				if err != nil {
					return err
				}
				if runs == nil {
					runs = []saved.Run{}
				}
				if format == "json" {
					return printSaved(cmd.OutOrStdout(), map[string]any{"Runs": runs})
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FIRE TIME\tSTATUS\tDURATION\tROWS\tCSV OR ERROR")
				for _, run := range runs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", run.FireTime.UTC().Format(time.RFC3339), run.Status,
						runDuration(run), run.Rows, strings.Join(strings.Fields(run.Location+" "+run.Error), " "))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&maxRuns, "max", 20, "show at most this many runs (0: all)")
	cmd.Flags().StringVar(&format, "format", "table", "table or json (ListReportRuns' shape)")
	return cmd
}

func runDuration(r saved.Run) string {
	if r.Ended.IsZero() || r.Started.IsZero() {
		return "-"
	}
	return r.Ended.Sub(r.Started).Round(time.Millisecond).String()
}
