package importjob

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/lake"
)

// Sentinel errors; api/apierr maps them to the model's exceptions.
var (
	// ErrImportNotFound: no import has the ID.
	ErrImportNotFound = errors.New("import not found")
	// ErrInvalidSource: the source cannot be opened or is not a source.
	ErrInvalidSource = errors.New("invalid import source")
	// ErrNotPermitted: the import's status does not allow the operation.
	ErrNotPermitted = errors.New("operation not permitted")
	// ErrInvalidParameter: a bad time range, destination or page token.
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrOngoingImport: another import is running. One import runs at a
	// time, as in CloudTrail Lake: two imports reading the same files at
	// once could both find them not yet taken.
	ErrOngoingImport = errors.New("an import is already in progress")

	errTooLarge = errors.New("file too large")
	errStopped  = errors.New("import stopped")
)

// Control-plane namespaces of the import's records. Keys of the last three
// start with "<import-id>\n".
const (
	nsImports  = "imports"         // <id> -> Import
	nsPrefixes = "import-prefixes" // <id>\n<prefix> -> "done"
	nsKeys     = "import-keys"     // <id>\n<object key> -> "done" (until its prefix is done)
	nsFailures = "import-failures" // <id>\n<%012d sequence> -> Failure
)

// Status is an import's state, as in the API model.
type Status string

// The statuses of an import.
const (
	StatusInitializing Status = "INITIALIZING" // listing the source
	StatusInProgress   Status = "IN_PROGRESS"  // importing (or interrupted, until resumed)
	StatusFailed       Status = "FAILED"       // stopped by an error (Import.Error)
	StatusStopped      Status = "STOPPED"      // stopped by StopImport
	StatusCompleted    Status = "COMPLETED"    // every prefix listed was imported
)

// Stats are an import's ImportStatistics. They are saved with the progress
// they count, so they hold across restarts.
type Stats struct {
	PrefixesFound     int64 `json:"prefixesFound"`
	PrefixesCompleted int64 `json:"prefixesCompleted"`
	FilesCompleted    int64 `json:"filesCompleted"`
	EventsCompleted   int64 `json:"eventsCompleted"` // events the destination stores took, summed
	FailedEntries     int64 `json:"failedEntries"`
	BytesCompleted    int64 `json:"bytesCompleted"` // bytes of files completed (not in the API)
	FilesFound        int64 `json:"filesFound"`     // files listed so far in this run (not in the API)
	BytesFound        int64 `json:"bytesFound"`     // their bytes (not in the API)
	FilesRead         int64 `json:"filesRead"`      // files of this run read and handed to the writers, durable or not (not in the API)
	BytesRead         int64 `json:"bytesRead"`      // their bytes (not in the API)
}

// Import is an import's record.
type Import struct {
	ID           string    `json:"id"`
	Source       string    `json:"source"`       // the source URL as given
	Region       string    `json:"region"`       // S3BucketRegion, when given
	RoleARN      string    `json:"roleArn"`      // S3BucketAccessRoleArn, kept for the API; not used
	Destinations []string  `json:"destinations"` // store IDs
	Start        time.Time `json:"start,omitzero"`
	End          time.Time `json:"end,omitzero"`
	Status       Status    `json:"status"`
	Error        string    `json:"error,omitempty"` // why the import failed
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	Stats        Stats     `json:"stats"`
}

func (im Import) window() window { return window{Start: im.Start, End: im.End} }

// Finished reports whether the import is not running and will not resume
// by itself.
func (im Import) Finished() bool {
	return im.Status == StatusCompleted || im.Status == StatusFailed || im.Status == StatusStopped
}

// The failure statuses of the API model.
const (
	FailureFailed    = "FAILED"    // the file, or a record of it, could not be imported
	FailureRetry     = "RETRY"     // the file could not be read; a resumed import tries it again
	FailureSucceeded = "SUCCEEDED" // a file that failed to read was read by a later run
)

// Failure is one ImportFailureListItem.
type Failure struct {
	Location     string    `json:"location"` // s3://bucket/key or file:///path, plus the record when one record failed
	Status       string    `json:"status"`
	ErrorType    string    `json:"errorType"`
	ErrorMessage string    `json:"errorMessage"`
	Updated      time.Time `json:"updated"`
}

func recKey(id, sub string) string { return id + "\n" + sub }

// loadImport reads an import's record.
func loadImport(c lake.Control, id string) (Import, error) {
	var im Import
	if err := c.Get(nsImports, id, &im); err != nil {
		if errors.Is(err, lake.ErrNoRecord) {
			return im, fmt.Errorf("%w: %s", ErrImportNotFound, id)
		}
		return im, err
	}
	return im, nil
}

// progress is what a resumed import skips.
type progress struct {
	prefixes map[string]bool
	keys     map[string]bool
	failures int64 // failure entries so far: the next sequence number
}

// loadProgress reads the done prefixes and keys of an import.
func loadProgress(c lake.Control, id string) (progress, error) {
	p := progress{prefixes: map[string]bool{}, keys: map[string]bool{}}
	from := recKey(id, "")
	scan := func(ns string, fn func(sub string)) error {
		return c.Scan(ns, from, func(k string, _ []byte) (bool, error) {
			if !strings.HasPrefix(k, from) {
				return false, nil
			}
			fn(k[len(from):])
			return true, nil
		})
	}
	if err := scan(nsPrefixes, func(s string) { p.prefixes[s] = true }); err != nil {
		return p, err
	}
	if err := scan(nsKeys, func(s string) { p.keys[s] = true }); err != nil {
		return p, err
	}
	err := scan(nsFailures, func(string) { p.failures++ })
	return p, err
}

// deleteProgress removes an import's progress records (not the import, nor
// its failures).
func deleteProgress(c lake.Control, id string) error {
	from := recKey(id, "")
	for _, ns := range []string{nsPrefixes, nsKeys} {
		var keys []string
		err := c.Scan(ns, from, func(k string, _ []byte) (bool, error) {
			if !strings.HasPrefix(k, from) {
				return false, nil
			}
			keys = append(keys, k)
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := c.Delete(ns, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// listFailures returns up to max failures of an import after the sequence
// key token ("" from the start), and the token of the next page.
func listFailures(c lake.Control, id, token string, max int) ([]Failure, string, error) {
	from := recKey(id, "")
	start := from
	if token != "" {
		start = recKey(id, token) + "\x00"
	}
	var out []Failure
	var last, next string
	err := c.Scan(nsFailures, start, func(k string, v []byte) (bool, error) {
		if !strings.HasPrefix(k, from) {
			return false, nil
		}
		if len(out) == max {
			next = last
			return false, nil
		}
		var f Failure
		if err := json.Unmarshal(v, &f); err != nil {
			return false, fmt.Errorf("%w: import failure %s: %v", lake.ErrCorrupt, k, err)
		}
		out = append(out, f)
		last = k[len(from):]
		return true, nil
	})
	return out, next, err
}

// addFailure appends a failure entry after the import's last one.
func addFailure(c lake.Control, id string, f Failure) error {
	from := recKey(id, "")
	n := 0
	err := c.Scan(nsFailures, from, func(k string, _ []byte) (bool, error) {
		if !strings.HasPrefix(k, from) {
			return false, nil
		}
		n++
		return true, nil
	})
	if err != nil {
		return err
	}
	return c.Put(nsFailures, recKey(id, fmt.Sprintf("%012d", n)), f)
}
