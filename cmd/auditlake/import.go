package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/auditlake/auditlake/ingest/importjob"
	"github.com/auditlake/auditlake/lake"
)

// progressEvery is how often import prints a progress line when standard
// error is not a terminal.
const progressEvery = 10 * time.Second

func newImportCmd(g *globals) *cobra.Command {
	var stores []string
	var start, end, endpoint, region string
	var pathStyle bool
	var bufferMiB int
	var opts importjob.Options
	cmd := &cobra.Command{
		Use:   "import --eds ID|NAME SOURCE [--start TIME] [--end TIME]",
		Short: "Import a trail bucket or folder of CloudTrail log files into event data stores (the copy job)",
		Long: `Import existing CloudTrail log files into one or more event data stores,
as CloudTrail Lake's StartImport does. SOURCE is s3://bucket/prefix (any
S3-compatible store; credentials from the usual AWS environment), file:///folder
or a local folder. Trail layouts (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/,
organization trails too) are found under the prefix; digest files and
CloudTrail-Insight folders are skipped.

--start and --end (RFC 3339, or a date) prune the day folders by their names,
then keep only events whose eventTime falls in the range. Each store applies
its own advanced event selectors. A broken file is reported and the import
goes on. Nothing is imported twice: running the same command again resumes
an unfinished import, or finds every file already imported. See
docs/import.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := importjob.StartInput{Source: args[0], Destinations: stores, Region: region}
			var err error
			if in.Start, err = parseTimeFlag("--start", start, false); err != nil {
				return err
			}
			if in.End, err = parseTimeFlag("--end", end, true); err != nil {
				return err
			}
			opts.BufferBytes = int64(bufferMiB) << 20
			opts.S3Defaults = url.Values{}
			if endpoint != "" {
				opts.S3Defaults.Set("endpoint", endpoint)
			}
			if pathStyle {
				opts.S3Defaults.Set("use_path_style", "true")
			}
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(int64(len(stores)+1)*3*max(opts.BufferBytes, 32<<20) + 512<<20)
			}
			errOut := cmd.ErrOrStderr()
			return g.withLake(cmd.Context(), func(l *lake.Lake) error {
				m := importjob.New(l, opts)
				if prev, ok, err := m.Resumable(cmd.Context(), in); err != nil {
					return err
				} else if ok {
					fmt.Fprintf(errOut, "resuming import %s (%s, %d of %d files done)\n", prev.ID, prev.Status, prev.Stats.FilesCompleted, prev.Stats.FilesFound)
					in = importjob.StartInput{ID: prev.ID}
				}
				show := newImportProgress(errOut)
				im, err := m.Run(cmd.Context(), in, show.update)
				show.done()
				if err != nil {
					return err
				}
				return reportImport(cmd.OutOrStdout(), errOut, m, im, cmd)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&stores, "eds", nil, "a destination event data store: ID, name or ARN (repeat for several)")
	f.StringVar(&start, "start", "", "import events at or after this time (RFC 3339 or YYYY-MM-DD)")
	f.StringVar(&end, "end", "", "import events at or before this time (RFC 3339, or YYYY-MM-DD for the end of that day)")
	f.StringVar(&endpoint, "endpoint", os.Getenv("AWS_ENDPOINT_URL_S3"), "S3 endpoint URL of an S3-compatible store (default $AWS_ENDPOINT_URL_S3)")
	f.StringVar(&region, "region", "", "region of the source bucket")
	f.BoolVar(&pathStyle, "path-style", false, "address the S3 bucket in the path (most S3-compatible stores need it)")
	f.IntVar(&opts.Workers, "workers", 0, "files decoded at once (default: the number of CPUs)")
	f.IntVar(&opts.Downloads, "downloads", 0, fmt.Sprintf("files downloaded at once, each held whole in memory (default %d)", importjob.DefaultDownloads))
	f.IntVar(&bufferMiB, "buffer-mib", 0, "MiB of events each destination holds before writing segments (default 64); bounds memory")
	_ = cmd.MarkFlagRequired("eds")
	return cmd
}

// parseTimeFlag reads an RFC 3339 time or a date; a date as an end bound
// means the end of that day.
func parseTimeFlag(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time (2024-01-31T00:00:00Z) or a date (2024-01-31)", name, v)
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

// reportImport prints the outcome and the failures of an import.
func reportImport(out, errOut io.Writer, m *importjob.Manager, im importjob.Import, cmd *cobra.Command) error {
	st := im.Stats
	fmt.Fprintf(out, "import %s %s: %d of %d prefixes, %d files, %d events, %d failed entries\n",
		im.ID, im.Status, st.PrefixesCompleted, st.PrefixesFound, st.FilesCompleted, st.EventsCompleted, st.FailedEntries)
	if st.FailedEntries > 0 {
		failures, _, err := m.Failures(cmd.Context(), im.ID, "", maxErrorLines)
		if err != nil {
			return err
		}
		for _, f := range failures {
			fmt.Fprintf(errOut, "failed: %s %s: %s\n", f.Location, f.ErrorType, f.ErrorMessage)
		}
		if st.FailedEntries > int64(len(failures)) {
			fmt.Fprintf(errOut, "failed: ... and %d more\n", st.FailedEntries-int64(len(failures)))
		}
	}
	switch im.Status {
	case importjob.StatusCompleted:
		if st.FailedEntries > 0 {
			return errReported
		}
		return nil
	case importjob.StatusInProgress:
		fmt.Fprintln(errOut, "interrupted: run the same command again to resume")
		return errReported
	default:
		return fmt.Errorf("import %s %s: %s", im.ID, im.Status, im.Error)
	}
}

// importProgress shows an import's progress: a bar on a terminal, a line
// every progressEvery otherwise.
type importProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	last  time.Time
	start time.Time
}

func newImportProgress(w io.Writer) *importProgress {
	p := &importProgress{w: w, start: time.Now(), last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetDescription("listing"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *importProgress) update(im importjob.Import) {
	st := im.Stats
	if p.bar != nil {
		// Bytes read: durable progress (files and events completed) moves
		// a writer batch at a time.
		if st.BytesFound > 0 {
			p.bar.ChangeMax64(st.BytesFound)
		}
		p.bar.Describe(fmt.Sprintf("%d/%d files read, %d durable, %d events", st.FilesRead, st.FilesFound, st.FilesCompleted, st.EventsCompleted))
		_ = p.bar.Set64(st.BytesRead)
		return
	}
	if time.Since(p.last) < progressEvery {
		return
	}
	p.last = time.Now()
	secs := time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "import %s %s: %d/%d prefixes, %d/%d files read (%d MiB, %.1f MiB/s), %d files and %d events durable, %d failed entries\n",
		im.ID, im.Status, st.PrefixesCompleted, st.PrefixesFound, st.FilesRead, st.FilesFound, st.BytesRead>>20,
		float64(st.BytesRead)/(1<<20)/secs, st.FilesCompleted, st.EventsCompleted, st.FailedEntries)
}

func (p *importProgress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
