package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/api"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
	"github.com/auditlake/auditlake/query"
	"github.com/auditlake/auditlake/query/jobs"
	"github.com/auditlake/auditlake/retention"
)

// pendingDeletionEnv sets how long a deleted store stays restorable, as a
// Go duration (default 168h, seven days); every command reads it, so that
// serve, eds restore and maintenance agree.
const pendingDeletionEnv = "AUDITLAKE_PENDING_DELETION"

func pendingDeletionFromEnv() time.Duration {
	d, err := time.ParseDuration(os.Getenv(pendingDeletionEnv))
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

// maintenanceFlags are the maintenance settings shared by serve and
// maintenance run.
type maintenanceFlags struct {
	interval     time.Duration
	grace        time.Duration
	targetBytes  int64
	maxMergeRows int64
	minAge       time.Duration
	noCompaction bool
}

func (f *maintenanceFlags) register(cmd *cobra.Command, loop bool) {
	fl := cmd.Flags()
	if loop {
		fl.DurationVar(&f.interval, "maintenance-interval", retention.DefaultInterval, "how often retention, compaction, purge and the query-results sweep run")
	}
	fl.DurationVar(&f.grace, "retire-grace", lake.DefaultRetireGrace, "how long files of expired or merged segments stay for queries that still read them")
	fl.Int64Var(&f.targetBytes, "target-segment-bytes", retention.DefaultTargetSegmentBytes, "the size compaction merges small segments up to")
	fl.Int64Var(&f.maxMergeRows, "max-merge-rows", retention.DefaultMaxMergeRows, "bound on the rows one merge holds in memory")
	fl.DurationVar(&f.minAge, "compact-min-age", retention.DefaultMinSegmentAge, "how old a segment must be before compaction merges it (0: any age)")
	fl.BoolVar(&f.noCompaction, "no-compaction", false, "turn compaction off")
}

func (f *maintenanceFlags) options() retention.Options {
	grace := f.grace
	if grace == 0 {
		grace = -1 // no grace period
	}
	minAge := f.minAge
	if minAge == 0 {
		minAge = -1 // any age; 0 would mean the default
	}
	return retention.Options{
		Interval: f.interval,
		Grace:    grace,
		Compaction: retention.CompactionPolicy{TargetBytes: f.targetBytes, MaxMergeRows: f.maxMergeRows,
			MinAge: minAge, Disabled: f.noCompaction},
	}
}

func newMaintenanceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "maintenance",
		Short: "Retention, compaction, the pending-deletion purge and the query-results sweep",
	}
	cmd.AddCommand(newMaintenanceRunCmd(g))
	return cmd
}

func newMaintenanceRunCmd(g *globals) *cobra.Command {
	var f maintenanceFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one maintenance pass now (the lake must not be served by another process)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				return runMaintenance(cmd.Context(), l, f, dryRun, cmd.OutOrStdout())
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	return cmd
}

func runMaintenance(ctx context.Context, l *lake.Lake, f maintenanceFlags, dryRun bool, out io.Writer) (err error) {
	opts := f.options()
	if !dryRun {
		eng, err := query.NewEngine(l, query.Options{TempDir: filepath.Join(l.Dir(), "tmp")})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, eng.Close()) }()
		mgr, err := jobs.New(l, eng, jobs.Options{SweepInterval: -1})
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, mgr.Close(context.WithoutCancel(ctx))) }()
		opts.SweepResults = mgr.Sweep
	}
	mt, err := retention.New(l, opts)
	if err != nil {
		return err
	}
	rep, err := mt.RunOnce(ctx, dryRun)
	if err != nil {
		return err
	}
	printPlans(out, rep.Plans)
	if !dryRun {
		fmt.Fprintf(out, "done: %d segments (%d events) expired, %d segments merged into %d, %d stores purged, %d retired files deleted (%d waiting), %d bytes reclaimed, %d query results removed\n",
			rep.SegmentsExpired, rep.EventsExpired, rep.SegmentsMerged, rep.SegmentsWritten, rep.StoresPurged,
			rep.FilesDeleted, rep.FilesWaiting, rep.BytesReclaimed, rep.ResultsRemoved)
	}
	return rep.Err()
}

func printPlans(out io.Writer, plans []retention.StorePlan) {
	for _, p := range plans {
		fmt.Fprintf(out, "store %s (%s), retention %d days:", p.Store.ID, p.Store.Name, p.Store.RetentionPeriod)
		switch {
		case p.Purge:
			fmt.Fprintf(out, " purge (pending deletion since %s, window ended %s)\n", p.Store.DeletedTimestamp.Format(time.RFC3339), p.PurgeAfter.Format(time.RFC3339))
			continue
		case p.Skip != "":
			fmt.Fprintf(out, " %s", p.Skip)
			if !p.PurgeAfter.IsZero() {
				fmt.Fprintf(out, " (purged after %s)", p.PurgeAfter.Format(time.RFC3339))
			}
		case p.Empty():
			fmt.Fprint(out, " nothing to do")
		}
		fmt.Fprintln(out)
		if len(p.Expire) > 0 {
			var events int64
			for _, s := range p.Expire {
				events += s.Rows
			}
			fmt.Fprintf(out, "  expire %d segments, %d events (days %s to %s; cutoff %s)\n", len(p.Expire), events,
				p.Expire[0].Day, p.Expire[len(p.Expire)-1].Day, p.Cutoff.Format(time.RFC3339))
		}
		for _, g := range p.Compact {
			var bytes, rows int64
			for _, s := range g {
				bytes += s.Bytes
				rows += s.Rows
			}
			fmt.Fprintf(out, "  merge %d segments of %s (%d events, %d bytes)\n", len(g), g[0].Day, rows, bytes)
		}
	}
}

// startMaintainer starts the maintenance loop of serve. Changes it makes
// to stores become self-audit events (unless noSelfAudit) through sink.
func startMaintainer(l *lake.Lake, f maintenanceFlags, mgr *jobs.Manager, sink *ingest.Sink, noSelfAudit bool,
	log *slog.Logger, reg prometheus.Registerer,
) (*retention.Maintainer, error) {
	opts := f.options()
	opts.SweepResults, opts.Logger, opts.Registerer = mgr.Sweep, log, reg
	if !noSelfAudit {
		audit := api.SinkAudit{Lake: l, Sink: sink}
		opts.Audit = func(ctx context.Context, c lake.StoreChange) {
			if err := audit.AppendRecords(ctx, [][]byte{maintenanceRecord(l, c)}); err != nil {
				log.Warn("recording a maintenance change as a self-audit event", "store", c.Store, "err", err)
			}
		}
	}
	mt, err := retention.New(l, opts)
	if err != nil {
		return nil, err
	}
	if reg != nil {
		reg.MustRegister(retention.NewStoreCollector(l))
	}
	mt.Start()
	return mt, nil
}

// maintenanceRecord is a CloudTrail record of a change maintenance made:
// an AwsServiceEvent of cloudtrail.amazonaws.com, as CloudTrail records
// what the service does by itself.
func maintenanceRecord(l *lake.Lake, c lake.StoreChange) []byte {
	when := c.Time
	if when.IsZero() {
		when = time.Now()
	}
	rec := map[string]any{
		"eventVersion":       "1.11",
		"userIdentity":       map[string]any{"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
		"eventTime":          when.UTC().Format(time.RFC3339),
		"eventSource":        "cloudtrail.amazonaws.com",
		"eventName":          "EventDataStoreMaintenance",
		"awsRegion":          l.Region(),
		"sourceIPAddress":    "cloudtrail.amazonaws.com",
		"userAgent":          "auditlake-maintenance",
		"requestParameters":  nil,
		"responseElements":   nil,
		"eventID":            uuid.NewString(),
		"readOnly":           false,
		"eventType":          "AwsServiceEvent",
		"managementEvent":    true,
		"recipientAccountId": l.AccountID(),
		"eventCategory":      "Management",
		"resources": []map[string]string{{
			"accountId": l.AccountID(), "type": "AWS::CloudTrail::EventDataStore",
			"ARN": fmt.Sprintf("arn:aws:cloudtrail:%s:%s:eventdatastore/%s", l.Region(), l.AccountID(), c.Store),
		}},
		"serviceEventDetails": map[string]string{"action": c.Action, "detail": c.Detail},
	}
	data, _ := json.Marshal(rec)
	return data
}
