package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/auditlake/auditlake/lake"
)

// Options tunes an ingest run. Zero values take the defaults.
type Options struct {
	Workers     int   // decoding goroutines; 0: GOMAXPROCS
	BufferBytes int64 // 0: DefaultBufferBytes
	// Stdin is read for the path "-"; nil: os.Stdin.
	Stdin io.Reader
}

// Summary totals an ingest run.
type Summary struct {
	Sources  int // inputs read
	Skipped  int // inputs the store had already taken
	Records  int
	Events   int // events the store took
	Rejected int // records refused
}

// Paths ingests files and folders of CloudTrail events (walked recursively,
// in name order; digest files and temporary files are passed over) into the
// store. Each input is taken whole or not at all, and an input the store
// already took (same bytes) is skipped, so running the same ingest again,
// after a crash or not, adds nothing twice. onDone is called for each input
// once its events are durable, or once it is skipped; it is called from one
// goroutine at a time.
//
// The hidden event-history store (lake.HistoryStoreID) takes the management
// and Insights events of every input as well, whatever the store's
// selectors, through its own ledger entry for the input: an input the
// history already took adds nothing to it, and a run cut short between the
// two commits completes the history on the next run. When the store shares
// its segments with the history (lake.HistoryShares), the history store
// takes only the events the store does not.
func Paths(ctx context.Context, l *lake.Lake, storeRef string, paths []string, opts Options, onDone func(SourceResult)) (Summary, error) {
	var sum Summary
	store, err := l.GetStore(ctx, storeRef)
	if err != nil {
		return sum, err
	}
	if store.Hidden {
		return sum, fmt.Errorf("%w: %s", lake.ErrStoreNotFound, storeRef)
	}
	if err := checkIngesting(store); err != nil {
		return sum, err
	}
	hist, err := l.History(ctx)
	if err != nil {
		return sum, err
	}
	sel, err := CompileSelectors(store.AdvancedEventSelectors)
	if err != nil {
		return sum, fmt.Errorf("event data store %s: %w", store.ID, err)
	}
	found, err := expandPaths(paths)
	if err != nil {
		return sum, err
	}
	inputs := packPaths(found)
	found = nil
	if onDone == nil {
		onDone = func(SourceResult) {}
	}
	// account runs on the writer's goroutine and on its flush goroutine,
	// never at once: a skipped input is accounted between writes.
	var mu sync.Mutex
	account := func(r SourceResult) {
		mu.Lock()
		defer mu.Unlock()
		sum.Sources++
		sum.Records += r.Records
		sum.Rejected += len(r.Errors)
		if r.Skipped != nil {
			sum.Skipped++
		} else {
			sum.Events += r.Selected
		}
		onDone(r)
	}
	w := NewWriter(l, store, opts.BufferBytes, func(done []SourceResult) {
		for _, r := range done {
			account(r)
		}
	})
	w.SetTee(hist)
	shared := w.ShareHistory()

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type decoded struct {
		res    SourceResult
		events []lake.Event
		hist   *sourceHistory
	}
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan int)
	out := make(chan decoded, workers)
	g.Go(func() error {
		defer close(jobs)
		for i := range inputs.len() {
			select {
			case jobs <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var decoders errgroup.Group
	for range workers {
		decoders.Go(func() error {
			dec := NewDecoder()
			for i := range jobs {
				res, events, h, err := readSource(gctx, l, store.ID, dec, sel, shared, inputs.at(i), opts.Stdin)
				if err != nil {
					return err
				}
				select {
				case out <- decoded{res, events, h}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(out)
		return decoders.Wait()
	})
	g.Go(func() error {
		seen := make(DigestSet)
		seenHist := make(DigestSet)
		for d := range out {
			if d.hist != nil && seenHist.Add(d.res.Digest) {
				if err := w.AddTee(gctx, d.res.Source, d.hist.events, d.hist.bytes); err != nil {
					return errors.Join(err, w.Close())
				}
			}
			if d.res.Skipped == nil && seen.Has(d.res.Digest) {
				// The same bytes twice in one run: the second adds nothing.
				d.res.Skipped = &lake.SourceRecord{Source: d.res.Source}
				d.events = nil
			}
			if d.res.Skipped != nil {
				account(d.res)
				continue
			}
			seen.Add(d.res.Digest)
			if err := w.Add(gctx, d.res, d.events); err != nil {
				return errors.Join(err, w.Close())
			}
		}
		if err := gctx.Err(); err != nil {
			return errors.Join(err, w.Close())
		}
		return w.Flush(gctx)
	})
	return sum, g.Wait()
}

// sourceHistory is the event history's share of an input it has not taken.
type sourceHistory struct {
	events []lake.Event
	bytes  int64 // their memory beyond what the store's share holds too
}

// readSource reads, fingerprints, decodes and filters one input, for the
// store and for the event history (nil when the history took it already).
// When the store shares its segments with the history, the history's share
// leaves out the events the store takes.
func readSource(ctx context.Context, l *lake.Lake, storeID string, dec *Decoder, sel *Selector, shared bool, path string, stdin io.Reader) (SourceResult, []lake.Event, *sourceHistory, error) {
	var data []byte
	var err error
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return SourceResult{}, nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	digest := sha256.Sum256(data)
	res := SourceResult{Source: lake.Source{Digest: hex.EncodeToString(digest[:]), Name: path}}
	if rec, ok, err := l.Ingested(ctx, storeID, res.Digest); err != nil {
		return res, nil, nil, err
	} else if ok {
		res.Skipped = &rec
	}
	var hist *sourceHistory
	if _, ok, err := l.Ingested(ctx, lake.HistoryStoreID, res.Digest); err != nil {
		return res, nil, nil, err
	} else if !ok {
		hist = &sourceHistory{}
	}
	if res.Skipped != nil && hist == nil {
		return res, nil, nil, nil
	}
	var events []lake.Event
	name := path
	if path == "-" {
		name = "stdin"
	}
	r, err := dec.Decode(name, bytes.NewReader(data), func(ev *lake.Event) error {
		taken := false
		if res.Skipped == nil {
			res.Events++
			if taken = sel.Match(ev); taken {
				events = append(events, *ev)
			}
		}
		if hist != nil && !(taken && shared) && HistoryTakes(ev) {
			hist.events = append(hist.events, *ev)
			if taken { // a second copy of the struct; its text, maps and pointers are the store's event's
				hist.bytes += int64(unsafe.Sizeof(*ev))
			} else {
				hist.bytes += int64(len(ev.EventJSON)) + eventOverhead
			}
		}
		return nil
	})
	if err != nil {
		return res, nil, nil, err
	}
	if res.Skipped != nil {
		return res, nil, hist, nil
	}
	res.Records = r.Records
	res.Errors = r.Errors
	res.Selected = len(events)
	return res, events, hist, nil
}

// expandPaths turns files and folders into the list of inputs.
func expandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input: name files or folders of CloudTrail log files, or - for standard input")
	}
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && (strings.HasPrefix(name, ".") || name == "CloudTrail-Digest") {
					return filepath.SkipDir
				}
				return nil
			}
			if isInputName(name) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sortByDelivery(found)
		out = append(out, found...)
	}
	return out, nil
}

// isInputName reports whether a file found in a folder walk is an event
// file: JSON, JSON Lines, or either gzipped; not hidden, temporary or a
// CloudTrail digest file.
func isInputName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.Contains(name, "CloudTrail-Digest") || strings.HasSuffix(name, ".tmp") {
		return false
	}
	base := strings.TrimSuffix(name, ".gz")
	return strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".jsonl") || strings.HasSuffix(base, ".ndjson")
}

// sortByDelivery orders inputs by the delivery time in CloudTrail log file
// names (<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz), then
// by path. A trail bucket's folders run account by account and region by
// region; taking its files in time order instead keeps each batch to a few
// days, so a batch makes a few large segments rather than one small segment
// for every day of the trail.
func sortByDelivery(paths []string) {
	type keyed struct{ key, path string }
	ks := make([]keyed, len(paths))
	for i, p := range paths {
		ks[i] = keyed{deliveryTime(filepath.Base(p)), p}
	}
	// Keys are computed once: splitting names in the comparison took a
	// second per million inputs.
	slices.SortStableFunc(ks, func(a, b keyed) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	for i := range ks {
		paths[i] = ks[i].path
	}
}

// deliveryTime returns the YYYYMMDDTHHmmZ part of a CloudTrail log file
// name, "" if it has none.
func deliveryTime(name string) string {
	for part := range strings.SplitSeq(name, "_") {
		if len(part) == 14 && part[8] == 'T' && part[13] == 'Z' {
			return part
		}
	}
	return ""
}
