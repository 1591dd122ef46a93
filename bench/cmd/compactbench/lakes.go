package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/auditlake/auditlake/bench"
	"github.com/auditlake/auditlake/lake"

	"github.com/auditlake/auditlake/bench/harness"
)

// storeName is the name of the benchmark store in each lake.
const storeName = "bench"

// lakeRun is one lake of the run with its benchmark store.
type lakeRun struct {
	label   string
	dir     string
	storeID string
}

// createStore makes a fresh lake with the benchmark store: lakebench's
// selectors, and the longest retention so that maintenance never expires
// the generated history, however old its end date is.
func createStore(ctx context.Context, bin string, lr *lakeRun) error {
	if err := os.RemoveAll(lr.dir); err != nil {
		return err
	}
	res, err := harness.Run(ctx, nil, true, bin, "--lake", lr.dir, "eds", "create", "--name", storeName,
		"--retention-days", strconv.Itoa(lake.MaxRetentionDays), "--advanced-event-selectors", bench.StoreSelectors)
	if err != nil {
		return err
	}
	var created struct{ EventDataStoreArn string }
	if err := json.Unmarshal(res.Stdout, &created); err != nil {
		return fmt.Errorf("eds create output: %w: %s", err, harness.Tail(string(res.Stdout), 300))
	}
	arn := created.EventDataStoreArn
	lr.storeID = arn[strings.LastIndexByte(arn, '/')+1:]
	return nil
}

var ingestedRE = regexp.MustCompile(`ingested (\d+) events from (\d+) inputs`)

// ingestBulk ingests the whole trail in one `auditlake ingest` run.
func ingestBulk(ctx context.Context, bin, dir, trail string) (harness.Proc, error) {
	res, err := harness.Run(ctx, nil, false, bin, "--lake", dir, "ingest", "--eds", storeName, trail)
	if err != nil {
		return res, err
	}
	if !ingestedRE.Match(res.Stderr) {
		return res, fmt.Errorf("ingest: no summary line in %q", harness.Tail(string(res.Stderr), 500))
	}
	return res, nil
}

// compact runs one maintenance pass on the lake: compaction of segments of
// any age, and no grace period for the merged inputs' files, so that the
// figures after it count only live files. It returns the pass's summary.
func compact(ctx context.Context, c config, bin, dir string) (harness.Proc, string, error) {
	args := []string{"--lake", dir, "maintenance", "run", "--compact-min-age", "1ns", "--retire-grace", "0"}
	if c.profile != "" {
		args = append(args, "--cpuprofile", c.profile)
	}
	if c.targetBytes > 0 {
		args = append(args, "--target-segment-bytes", strconv.FormatInt(c.targetBytes, 10))
	}
	res, err := harness.Run(ctx, nil, true, bin, args...)
	if err != nil {
		return res, "", err
	}
	for _, line := range strings.Split(string(res.Stdout), "\n") {
		if strings.HasPrefix(line, "done:") {
			return res, strings.TrimSpace(line), nil
		}
	}
	return res, "", fmt.Errorf("maintenance run: no summary line in %q", harness.Tail(string(res.Stdout), 500))
}

// figures are the storage figures of the benchmark store.
type figures struct {
	segments             int
	files                int   // .parquet files in the store's data folder, live or not
	bytes, rows          int64 // of the manifest's segments
	rowGroups            int
	days                 int
	minPerDay, maxPerDay int
}

func (f figures) bytesPerEvent() float64 { return float64(f.bytes) / float64(f.rows) }

// storeFigures opens the lake and reads the store's manifest and the
// footers of its segment files.
func storeFigures(ctx context.Context, lr *lakeRun) (f figures, err error) {
	l, err := lake.Open(ctx, lr.dir, lake.Options{Region: os.Getenv("AUDITLAKE_REGION"), AccountID: os.Getenv("AUDITLAKE_ACCOUNT_ID")})
	if err != nil {
		return f, err
	}
	defer func() {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}()
	m, err := l.Manifest(ctx, lr.storeID)
	if err != nil {
		return f, err
	}
	perDay := map[string]int{}
	for _, s := range m.Segments {
		f.segments++
		f.bytes += s.Bytes
		f.rows += s.Rows
		perDay[s.Day]++
		path, ok := l.Bucket().LocalPath(s.Key)
		if !ok {
			return f, fmt.Errorf("segment %s is not in a local bucket", s.ID)
		}
		n, err := rowGroups(path)
		if err != nil {
			return f, err
		}
		f.rowGroups += n
	}
	counts := slices.Collect(maps.Values(perDay))
	if len(counts) > 0 {
		f.days, f.minPerDay, f.maxPerDay = len(counts), slices.Min(counts), slices.Max(counts)
	}
	err = filepath.WalkDir(filepath.Join(lr.dir, "objects", "stores", lr.storeID, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			f.files++
		}
		return err
	})
	logf("%s: %d segments (%d files) on %d days (%d to %d a day), %d row groups, %d bytes, %d events",
		lr.label, f.segments, f.files, f.days, f.minPerDay, f.maxPerDay, f.rowGroups, f.bytes, f.rows)
	return f, err
}

// rowGroups returns the number of row groups of a Parquet file.
func rowGroups(path string) (int, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(fh, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	return len(pf.RowGroups()), nil
}
