package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// maxErrorLines bounds the refused-record messages printed for one run.
const maxErrorLines = 50

func newIngestCmd(g *globals) *cobra.Command {
	var store string
	var acks bool
	var opts ingest.Options
	var bufferMiB int
	cmd := &cobra.Command{
		Use:   "ingest --eds ID|NAME PATH...",
		Short: "Ingest CloudTrail log files (files or folders; - for standard input) into an event data store",
		Long: `Ingest CloudTrail events into an event data store. Inputs are CloudTrail log
files ({"Records":[...]}, plain or gzip), JSON arrays, JSON Lines or single
records; folders are walked recursively. The store's advanced event selectors
choose the events it takes. An input is taken whole or not at all, and an
input the store already took (the same bytes) is skipped, so running the same
ingest again, after a crash or not, adds nothing twice.

A record that cannot be read is reported with its file, position and problem,
and the other records of the file are still taken; the exit status is then 1.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.BufferBytes = int64(bufferMiB) << 20
			if os.Getenv("GOMEMLIMIT") == "" {
				// Bound the heap near what the buffers need: the collector
				// works harder instead of doubling the heap.
				debug.SetMemoryLimit(ingest.MemoryLimit(opts.BufferBytes))
			}
			opts.Stdin = cmd.InOrStdin()
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			start := time.Now()
			errLines := 0
			var sum ingest.Summary
			err := g.withLake(cmd.Context(), func(l *lake.Lake) error {
				var err error
				sum, err = ingest.Paths(cmd.Context(), l, store, args, opts, func(r ingest.SourceResult) {
					for _, e := range r.Errors {
						if errLines++; errLines <= maxErrorLines {
							fmt.Fprintln(errOut, "refused:", e)
						}
					}
					if !acks {
						return
					}
					if r.Skipped != nil {
						fmt.Fprintf(out, "skipped %s %s: already ingested\n", r.Digest, r.Name)
						return
					}
					fmt.Fprintf(out, "acked %s %d %s\n", r.Digest, r.Selected, r.Name)
				})
				return err
			})
			if errLines > maxErrorLines {
				fmt.Fprintf(errOut, "refused: ... and %d more\n", errLines-maxErrorLines)
			}
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			fmt.Fprintf(errOut, "ingested %d events from %d inputs (%d skipped as already ingested, %d records refused) in %.1fs, %.0f events/s\n",
				sum.Events, sum.Sources, sum.Skipped, sum.Rejected, secs, float64(sum.Events)/secs)
			if sum.Rejected > 0 {
				return errReported
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&store, "eds", "", "the event data store: ID, name or ARN")
	f.BoolVar(&acks, "acks", false, "print a line to standard output for each input once its events are durable (or skipped)")
	f.IntVar(&opts.Workers, "workers", 0, "decoding goroutines (default: the number of CPUs)")
	f.IntVar(&bufferMiB, "buffer-mib", ingest.DefaultBufferBytes>>20, "MiB of events held before they are written as segments; bounds memory")
	_ = cmd.MarkFlagRequired("eds")
	return cmd
}
