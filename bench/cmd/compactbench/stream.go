package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"
	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

// deliveryLag bounds how long after an event the generator delivers the
// file that holds it: a file's events lie in its 5-minute window and it is
// named for a delivery 5 to 9 minutes after the window starts. Once the
// files delivered up to D are read, every event before D-deliveryLag is.
const deliveryLag = 2 * bench.DeliveryWindow

// streamStats describes the streaming feed.
type streamStats struct {
	events, refused  int
	appends, flushes int
	late             int // events older than a window already flushed
	wall             time.Duration
}

// feedStream sends the trail's events to the store through the lake's
// write-ahead-log Sink as a stream brings them: in eventTime order, in
// Appends of at most c.appendEvents events, with a Flush at the end of
// every c.flushEvery of event time. Each flush writes one segment per UTC
// day, as the Sink does every 30 s (its flush age) for a trickle.
func feedStream(ctx context.Context, c config, dir string) (st streamStats, err error) {
	start := time.Now()
	files, err := trailFiles(c.trail)
	if err != nil {
		return st, err
	}
	l, err := lake.Open(ctx, dir, lake.Options{Region: os.Getenv("AUDITLAKE_REGION"), AccountID: os.Getenv("AUDITLAKE_ACCOUNT_ID")})
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}()
	// Only the feed's own flushes: the age and size triggers never fire.
	sink, err := ingest.OpenSink(ctx, l, ingest.SinkOptions{FlushAge: 1000 * time.Hour, FlushBytes: 1 << 40})
	if err != nil {
		return st, err
	}
	f := &feeder{c: c, sink: sink, st: &st}
	err = f.run(ctx, files)
	if cerr := sink.Close(ctx); err == nil {
		err = cerr
	}
	st.wall = time.Since(start)
	return st, err
}

type feeder struct {
	c       config
	sink    *ingest.Sink
	st      *streamStats
	pending []lake.Event
	flushed time.Time // end of the last window flushed
}

func (f *feeder) run(ctx context.Context, files []trailFile) error {
	dec := ingest.NewDecoder()
	for _, tf := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.read(dec, tf.path); err != nil {
			return err
		}
		if err := f.emit(ctx, tf.delivered.Add(-deliveryLag)); err != nil {
			return err
		}
	}
	return f.emit(ctx, time.Time{})
}

func (f *feeder) read(dec *ingest.Decoder, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	res, err := dec.Decode(filepath.Base(path), fh, func(e *lake.Event) error {
		if !f.flushed.IsZero() && e.EventTime.Before(f.flushed) {
			f.st.late++
		}
		f.pending = append(f.pending, *e)
		return nil
	})
	f.st.refused += len(res.Errors)
	return err
}

// emit appends and flushes every whole window of events before until (all
// of them when until is zero).
func (f *feeder) emit(ctx context.Context, until time.Time) error {
	slices.SortStableFunc(f.pending, func(a, b lake.Event) int { return a.EventTime.Compare(b.EventTime) })
	for len(f.pending) > 0 {
		end := f.pending[0].EventTime.Truncate(f.c.flushEvery).Add(f.c.flushEvery)
		if !until.IsZero() && end.After(until) {
			return nil
		}
		n, _ := slices.BinarySearchFunc(f.pending, end, func(e lake.Event, t time.Time) int { return e.EventTime.Compare(t) })
		for i := 0; i < n; i += f.c.appendEvents {
			// The Sink keeps the events it is given: hand it a copy.
			batch := slices.Clone(f.pending[i:min(i+f.c.appendEvents, n)])
			if err := f.sink.Append(ctx, []string{storeName}, batch); err != nil {
				return fmt.Errorf("append: %w", err)
			}
			f.st.appends++
		}
		if err := f.sink.Flush(ctx); err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		f.st.flushes++
		f.st.events += n
		f.pending = slices.Delete(f.pending, 0, n)
		f.flushed = end
	}
	return nil
}

// trailFile is a trail log file and the delivery time in its name.
type trailFile struct {
	path      string
	delivered time.Time
}

// trailFiles lists the trail's log files in delivery order.
func trailFiles(trail string) ([]trailFile, error) {
	var out []trailFile
	err := filepath.WalkDir(trail, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		t, ok := deliveryTime(d.Name())
		if !ok {
			return fmt.Errorf("%s: no delivery time in the name", p)
		}
		out = append(out, trailFile{p, t})
		return nil
	})
	slices.SortStableFunc(out, func(a, b trailFile) int {
		if c := a.delivered.Compare(b.delivered); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	return out, err
}

// deliveryTime parses the time in a CloudTrail log file name:
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz.
func deliveryTime(name string) (time.Time, bool) {
	for _, part := range strings.Split(name, "_") {
		if t, err := time.Parse("20060102T1504Z", part); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
