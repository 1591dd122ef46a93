package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/bench"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

const demoStore = "demo"

// demoSelectors take management events and the data events the generator
// makes, as a store for a whole trail would.
func demoSelectors() []lake.AdvancedEventSelector {
	data := func(name, typ string) lake.AdvancedEventSelector {
		return lake.AdvancedEventSelector{Name: name, FieldSelectors: []lake.AdvancedFieldSelector{
			{Field: "eventCategory", Equals: []string{"Data"}},
			{Field: "resources.type", Equals: []string{typ}},
		}}
	}
	return []lake.AdvancedEventSelector{
		{Name: "Management events", FieldSelectors: []lake.AdvancedFieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}},
		data("S3 object data events", "AWS::S3::Object"),
		data("Lambda data events", "AWS::Lambda::Function"),
		data("DynamoDB data events", "AWS::DynamoDB::Table"),
	}
}

func newDemoCmd(g *globals) *cobra.Command {
	var events, days int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Create a demo event data store of generated CloudTrail events and show what to run next",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				return runDemo(cmd.Context(), l, cmd.OutOrStdout(), events, days)
			})
		},
	}
	cmd.Flags().IntVar(&events, "events", 150_000, "events to generate")
	cmd.Flags().IntVar(&days, "days", 14, "days of history, ending today")
	return cmd
}

func runDemo(ctx context.Context, l *lake.Lake, out io.Writer, events, days int) error {
	s, err := l.GetStore(ctx, demoStore)
	if errors.Is(err, lake.ErrStoreNotFound) {
		s, err = l.CreateStore(ctx, lake.CreateStoreInput{Name: demoStore, AdvancedEventSelectors: demoSelectors()})
	}
	if err != nil {
		return err
	}
	m, err := l.Manifest(ctx, s.ID)
	if err != nil {
		return err
	}
	if m.Rows() == 0 {
		trail := filepath.Join(l.Dir(), "demo-trail")
		fmt.Fprintf(out, "generating %d CloudTrail events over %d days into %s ...\n", events, days, trail)
		start := time.Now()
		st, err := bench.Generate(ctx, trail, bench.GenerateOptions{Events: events, Days: days, Seed: 1, Accounts: 2})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %d trail files, %.1f MB gzip, in %.1fs\n", st.Files, float64(st.Bytes)/1e6, time.Since(start).Seconds())
		fmt.Fprintf(out, "ingesting them into event data store %q ...\n", demoStore)
		start = time.Now()
		sum, err := ingest.Paths(ctx, l, s.ID, []string{trail}, ingest.Options{}, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %d events taken by the store's selectors, in %.1fs\n", sum.Events, time.Since(start).Seconds())
		if m, err = l.Manifest(ctx, s.ID); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, `
The demo event data store is ready: %d events in %d Parquet segments (%.1f MB).
  name: %s
  ARN:  %s

Try:
  ./bin/auditlake query "SELECT eventName, count(*) AS n FROM %s GROUP BY eventName ORDER BY n DESC LIMIT 10"
  ./bin/auditlake query "SELECT userIdentity.arn, count(*) AS denied FROM %s WHERE errorCode = 'AccessDenied' GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
  ./bin/auditlake query --format csv "SELECT eventTime, eventName, sourceIPAddress FROM demo WHERE userIdentity.type = 'Root' ORDER BY eventTime DESC LIMIT 20"
  ./bin/auditlake eds get demo
  ./bin/auditlake ingest --eds demo PATH-TO-YOUR-TRAIL-FILES
  ./bin/auditlake serve        # the CloudTrail API for the aws CLI and SDKs on http://127.0.0.1:7480
                               # (it prints a key to use; README: "Point the aws CLI and SDKs at auditlake")
`, m.Rows(), len(m.Segments), float64(m.Bytes())/1e6, s.Name, s.ARN, s.ID, s.ID)
	return nil
}
