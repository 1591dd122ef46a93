package importjob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"gocloud.dev/gcerrors"

	"github.com/auditlake/auditlake/ingest"
	"github.com/auditlake/auditlake/lake"
)

const (
	// readAttempts is how often a file is read before it is reported RETRY.
	readAttempts = 3
	// maxFailuresPerFile bounds the failure entries of one file; the last
	// one says how many more records failed.
	maxFailuresPerFile = 20
)

// fileOut is one file read and decoded: for each store, the events to add
// (or that it has them all), and the failures the file holds.
type fileOut struct {
	job      job
	parts    []part // one per r.dests
	failures []Failure
	retry    error // the file could not be read
	teeBytes int64 // memory of the event history's events beyond the first store's
}

// eventOverhead is ingest's estimate of a decoded event's memory beyond its
// JSON text (ingest/writer.go).
const eventOverhead = 1800

// teeCost is the memory an event history's event adds to a batch: a copy
// of the struct when the first destination holds the same event (its text,
// maps and pointers are shared), else a whole event.
func teeCost(ev *lake.Event, shared bool) int64 {
	if shared {
		return int64(unsafe.Sizeof(*ev))
	}
	return int64(len(ev.EventJSON)) + eventOverhead
}

// part is a store's share of one file.
type part struct {
	key    string // the ledger key: digest, or digest@slice
	skip   bool   // the store has every event of the file it would take
	events []lake.Event
}

// fetched is a file downloaded, or the error reading it.
type fetched struct {
	job  job
	data []byte
	err  error
}

// fetch downloads one file. The error is only for the end of ctx.
func (r *run) fetch(ctx context.Context, j job) (fetched, error) {
	data, err := r.read(ctx, j.obj.Key)
	if ctx.Err() != nil {
		return fetched{}, ctx.Err()
	}
	return fetched{job: j, data: data, err: err}, nil
}

// load fingerprints and decodes one downloaded file. The error is only for
// a failure of the lake; problems of the file are in the fileOut.
func (r *run) load(ctx context.Context, dec *ingest.Decoder, f fetched) (*fileOut, error) {
	j, data := f.job, f.data
	fo := &fileOut{job: j, parts: make([]part, len(r.dests))}
	loc := r.src.location(j.obj.Key)
	switch err := f.err; {
	case errors.Is(err, errTooLarge):
		fo.failures = []Failure{r.failure(loc, "FileTooLarge", err.Error())}
		for i := range fo.parts {
			fo.parts[i].skip = true
		}
		return fo, nil
	case err != nil:
		fo.retry = err
		return fo, nil
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	have := make([]taken, len(r.dests))
	all := true
	for i, d := range r.dests {
		recs, err := r.m.lake.IngestedSlices(ctx, d.store.ID, digest)
		if err != nil {
			return nil, err
		}
		have[i] = takenOf(recs, digest)
		all = all && have[i].whole
	}
	if all {
		for i := range fo.parts {
			fo.parts[i] = part{key: digest, skip: true}
		}
		return fo, nil
	}
	var minT, maxT time.Time
	res, err := dec.Decode(loc, bytes.NewReader(data), func(ev *lake.Event) error {
		t := ev.EventTime
		if minT.IsZero() || t.Before(minT) {
			minT = t
		}
		if t.After(maxT) {
			maxT = t
		}
		if !r.win.contains(t) {
			return nil
		}
		hi := len(r.dests) - 1
		tookFirst, shared := false, false
		for i, d := range r.dests {
			if have[i].covers(t) || !d.takes(ev) || (i == hi && shared) {
				continue
			}
			// A store that shares its segments with the event history, and
			// has nothing of this file yet, keeps the event for the history.
			shared = shared || (d.shares && have[i].none())
			fo.parts[i].events = append(fo.parts[i].events, *ev)
			switch i {
			case 0:
				tookFirst = true
			case hi:
				fo.teeBytes += teeCost(ev, tookFirst)
			}
		}
		return nil
	})
	if err != nil {
		fo.retry = err
		return fo, nil
	}
	key := sliceKey(digest, r.win, minT, maxT)
	for i := range fo.parts {
		fo.parts[i].key = key
		fo.parts[i].skip = have[i].whole || (key != digest && have[i].hasKey(key))
	}
	fo.failures = r.recordFailures(loc, res)
	return fo, nil
}

// read reads an object, trying again after a failure that may pass.
func (r *run) read(ctx context.Context, key string) ([]byte, error) {
	var err error
	for attempt := range readAttempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		var data []byte
		data, err = r.src.read(ctx, key, r.m.opts.MaxFileBytes)
		if err == nil || errors.Is(err, errTooLarge) || gcerrors.Code(err) == gcerrors.NotFound {
			return data, err
		}
	}
	return nil, err
}

func (r *run) failure(loc, kind, msg string) Failure {
	return Failure{Location: loc, Status: FailureFailed, ErrorType: kind, ErrorMessage: msg, Updated: r.m.opts.Now().UTC()}
}

// recordFailures turns the decoder's problems into failure entries.
func (r *run) recordFailures(loc string, res ingest.Result) []Failure {
	errs := res.Errors
	if res.Records == 1 && res.Events == 0 && len(errs) == 1 && errs[0].Index == 0 && errs[0].Offset == 0 {
		// One top-level object that is not an event: JSON, but not a log file.
		return []Failure{r.failure(loc, "MissingRecords", fmt.Sprintf(
			"the file is one JSON object without a Records list of events, so it is not a CloudTrail log file (read as an event: %v)", errs[0].Err))}
	}
	var out []Failure
	for i, e := range errs {
		if i == maxFailuresPerFile-1 && len(errs) > maxFailuresPerFile {
			out = append(out, r.failure(loc, "MoreFailures", fmt.Sprintf("%d more records of this file could not be imported", len(errs)-i)))
			break
		}
		where := loc
		if e.Index >= 0 {
			where = fmt.Sprintf("%s#record=%d", loc, e.Index)
		}
		out = append(out, r.failure(where, errorType(e), describe(e)))
	}
	return out
}

// errorType names the kind of a decoder problem.
func errorType(e *ingest.RecordError) string {
	switch {
	case errors.Is(e, ingest.ErrEmpty):
		return "EmptyFile"
	case errors.Is(e, ingest.ErrNotJSON):
		return "NotJSON"
	case errors.Is(e, ingest.ErrCompressed):
		return "CorruptGzip"
	case errors.Is(e, ingest.ErrSyntax):
		return "InvalidJSON"
	case errors.Is(e, ingest.ErrNotRecord):
		return "NotARecord"
	case errors.Is(e, ingest.ErrEventTime):
		return "InvalidEventTime"
	default:
		return "InvalidRecord"
	}
}

// describe is the message of a failure entry: where in the file, and what.
func describe(e *ingest.RecordError) string {
	if e.Index < 0 {
		return fmt.Sprintf("line %d, offset %d: %v", e.Line, e.Offset, e.Err)
	}
	return fmt.Sprintf("record %d (line %d, offset %d): %v", e.Index, e.Line, e.Offset, e.Err)
}
