// Command lakebench measures auditlake against DuckDB on generated
// CloudTrail events: ingest time and memory, storage size, and five typical
// audit queries. It writes report.md and report.csv to -out. See
// bench/README.md.
//
//	go run ./bench/cmd/lakebench -events 1000000 -days 30 -out bench/results
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/auditlake/auditlake/bench"
)

// selectors are the store's advanced event selectors: management events and
// the data events on S3 objects, Lambda functions and DynamoDB tables. They
// miss the generator's SQS and SNS data events and its NetworkActivity
// events (about 11% of them); the report lists what the lake lacks.
const selectors = `[` +
	`{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},` +
	`{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
	`{"Name":"l","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},` +
	`{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}` +
	`%s]`

type config struct {
	events, days, reps int
	seed               int64
	end                time.Time
	out, work, bin     string
	rawTimeout         time.Duration
	extraSelectors     string
}

func main() {
	if os.Getenv(childEnv) == "convert" {
		if err := runChild(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "lakebench convert:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	var end string
	flag.IntVar(&c.events, "events", 1_000_000, "events to generate")
	flag.IntVar(&c.days, "days", 30, "days of history")
	flag.IntVar(&c.reps, "reps", 0, "repetitions of ingest and conversion (the median is reported); 0: 3 up to 200k events, else 1. Queries run max(reps, 3) times")
	flag.Int64Var(&c.seed, "seed", 20260101, "generator seed")
	flag.StringVar(&end, "end", "2026-01-01", "exclusive end date of the generated history (UTC)")
	flag.StringVar(&c.out, "out", "bench/results", "folder for report.md and report.csv")
	flag.StringVar(&c.work, "work", "", "scratch folder for trail files and lakes (default: $TMPDIR/lakebench-<events>-<days>-<seed>; trail files are reused)")
	flag.StringVar(&c.bin, "bin", "bin/auditlake", "auditlake binary; built with go build if missing")
	flag.DurationVar(&c.rawTimeout, "raw-timeout", time.Minute, "cap on each DuckDB query over raw .json.gz (reported as a lower bound if hit)")
	flag.StringVar(&c.extraSelectors, "extra-selectors", "", "more advanced event selectors appended to the built-in ones, as a JSON fragment starting with a comma: ,{\"Name\":...}")
	flag.Parse()
	var err error
	if c.end, err = time.Parse("2006-01-02", end); err != nil {
		log.Fatalf("lakebench: -end: %v", err)
	}
	if c.reps <= 0 {
		c.reps = 3
		if c.events > 200_000 {
			c.reps = 1
		}
	}
	if c.work == "" {
		c.work = filepath.Join(os.TempDir(), fmt.Sprintf("lakebench-%d-%d-%d", c.events, c.days, c.seed))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatalf("lakebench: %v", err)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, c config) error {
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	bin, err := ensureBinary(ctx, c.bin)
	if err != nil {
		return err
	}
	db, err := openDuck(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r := &report{cfg: c, machine: describeMachine(ctx, db, bin)}
	logf("machine: %s", r.machine)

	trail := filepath.Join(c.work, "trail")
	if r.gen, err = generate(ctx, c, trail); err != nil {
		return err
	}
	logf("trail: %d events in %d files, %d bytes", r.gen.Events, r.gen.Files, r.gen.Bytes)

	lakeDir, storeID, err := measureIngest(ctx, c, bin, trail, r)
	if err != nil {
		return err
	}
	if err := measureConvert(ctx, c, trail, r); err != nil {
		return err
	}
	if err := measureStorage(ctx, db, lakeDir, storeID, r); err != nil {
		return err
	}
	if err := measureQueries(ctx, c, db, bin, lakeDir, storeID, trail, r); err != nil {
		return err
	}
	return r.write()
}

// ensureBinary returns the absolute path of the auditlake binary, building
// it when it does not exist.
func ensureBinary(ctx context.Context, bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		logf("building %s", bin)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", abs, "./cmd/auditlake")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build auditlake: %w", err)
		}
	}
	return abs, nil
}

// generate writes the trail files once per (events, days, seed, end) and
// reuses them on later runs; a stamp file written last marks them complete.
func generate(ctx context.Context, c config, trail string) (bench.GenerateStats, error) {
	stamp := filepath.Join(c.work, "trail.json")
	want := fmt.Sprintf("%d/%d/%d/%s", c.events, c.days, c.seed, c.end.Format(time.DateOnly))
	var st struct {
		Key   string
		Stats bench.GenerateStats
	}
	if b, err := os.ReadFile(stamp); err == nil && json.Unmarshal(b, &st) == nil && st.Key == want {
		logf("reusing trail files in %s", trail)
		return st.Stats, nil
	}
	if err := os.RemoveAll(trail); err != nil {
		return bench.GenerateStats{}, err
	}
	logf("generating %d events over %d days into %s", c.events, c.days, trail)
	stats, err := bench.Generate(ctx, trail, bench.GenerateOptions{Events: c.events, Days: c.days, End: c.end, Seed: c.seed})
	if err != nil {
		return stats, fmt.Errorf("generate: %w", err)
	}
	st.Key, st.Stats = want, stats
	b, _ := json.Marshal(st)
	return stats, os.WriteFile(stamp, b, 0o644)
}

var ingestedRE = regexp.MustCompile(`ingested (\d+) events from (\d+) inputs \((\d+) skipped as already ingested, (\d+) records refused\)`)

// measureIngest creates a store in a fresh lake and ingests the trail into
// it, reps times. The last lake stays for the storage and query figures.
func measureIngest(ctx context.Context, c config, bin, trail string, r *report) (string, string, error) {
	lakeDir := filepath.Join(c.work, "lake")
	var storeID string
	sels := fmt.Sprintf(selectors, c.extraSelectors)
	for i := 0; i < c.reps; i++ {
		if err := os.RemoveAll(lakeDir); err != nil {
			return "", "", err
		}
		res, err := runProc(ctx, nil, true, bin, "--lake", lakeDir, "eds", "create", "--name", "bench", "--advanced-event-selectors", sels)
		if err != nil {
			return "", "", err
		}
		var created struct{ EventDataStoreArn string }
		if err := json.Unmarshal(res.Stdout, &created); err != nil {
			return "", "", fmt.Errorf("eds create output: %w: %s", err, tail(string(res.Stdout), 300))
		}
		storeID = created.EventDataStoreArn[len(created.EventDataStoreArn)-36:]
		res, err = runProc(ctx, nil, false, bin, "--lake", lakeDir, "ingest", "--eds", "bench", trail)
		if err != nil {
			return "", "", err
		}
		m := ingestedRE.FindStringSubmatch(string(res.Stderr))
		if m == nil {
			return "", "", fmt.Errorf("ingest: no summary line in %q", tail(string(res.Stderr), 500))
		}
		r.ingested, _ = strconv.Atoi(m[1])
		r.refused, _ = strconv.Atoi(m[4])
		r.ingestSummary = ingestedRE.FindString(string(res.Stderr))
		r.ingestWall = append(r.ingestWall, res.Wall)
		r.ingestCPU = append(r.ingestCPU, res.UserSys)
		r.ingestRSS = append(r.ingestRSS, res.MaxRSS)
		logf("ingest rep %d: %v, %.0f MiB peak RSS, %d events", i+1, res.Wall.Round(time.Millisecond), float64(res.MaxRSS)/(1<<20), r.ingested)
	}
	return lakeDir, storeID, nil
}

// measureConvert runs DuckDB's JSON-to-Parquet conversion of the same
// trail files in a subprocess. It runs once: it is the slow side, and its
// per-file cost (about 2 ms per trail file here) dominates a short run.
func measureConvert(ctx context.Context, c config, trail string, r *report) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r.duckParquet = filepath.Join(c.work, "duckdb.parquet")
	for i := 0; i < 1; i++ {
		os.Remove(r.duckParquet)
		env := []string{childEnv + "=convert", childSrcEnv + "=" + trail, childDstEnv + "=" + r.duckParquet}
		res, err := runProc(ctx, env, true, self)
		if err != nil {
			return fmt.Errorf("duckdb convert: %w", err)
		}
		r.convertRows, _ = strconv.Atoi(string(trimNL(res.Stdout)))
		r.convertWall = append(r.convertWall, res.Wall)
		r.convertCPU = append(r.convertCPU, res.UserSys)
		r.convertRSS = append(r.convertRSS, res.MaxRSS)
		logf("duckdb convert rep %d: %v, %.0f MiB peak RSS, %d rows", i+1, res.Wall.Round(time.Millisecond), float64(res.MaxRSS)/(1<<20), r.convertRows)
	}
	return nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func segmentGlob(lakeDir, storeID string) string {
	return filepath.Join(lakeDir, "objects", "stores", storeID, "data", "*", "*.parquet")
}

func measureStorage(ctx context.Context, db *sql.DB, lakeDir, storeID string, r *report) error {
	var err error
	dataDir := filepath.Join(lakeDir, "objects", "stores", storeID, "data")
	if r.lakeBytes, r.lakeFiles, err = dirBytes(dataDir, ".parquet"); err != nil {
		return err
	}
	if fi, err := os.Stat(r.duckParquet); err == nil {
		r.duckBytes = fi.Size()
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM read_parquet("+quote(segmentGlob(lakeDir, storeID))+")").Scan(&r.lakeRows); err != nil {
		return fmt.Errorf("count lake rows: %w", err)
	}
	if r.coverage, err = coverage(ctx, db, segmentGlob(lakeDir, storeID), r.duckParquet); err != nil {
		return err
	}
	logf("storage: lake %d bytes in %d segments (%d rows), duckdb %d bytes, input %d bytes", r.lakeBytes, r.lakeFiles, r.lakeRows, r.duckBytes, r.gen.Bytes)
	return nil
}

// measureQueries times the five queries through the auditlake CLI, through
// DuckDB over the lake's Parquet segments, and through DuckDB over the raw
// trail files.
func measureQueries(ctx context.Context, c config, db *sql.DB, bin, lakeDir, storeID, trail string, r *report) error {
	pq := "read_parquet(" + quote(segmentGlob(lakeDir, storeID)) + ")"
	var arn string
	if err := db.QueryRowContext(ctx, "SELECT userIdentity.arn FROM "+pq+" WHERE userIdentity.arn IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1").Scan(&arn); err != nil {
		return fmt.Errorf("pick principal: %w", err)
	}
	day := c.end.AddDate(0, 0, -2)
	r.queries = auditQueries(day, arn)

	cli := func(sqlText string) (procResult, error) {
		return runProc(ctx, nil, true, bin, "--lake", lakeDir, "query", "--format", "csv", sqlText)
	}
	// Process start: the cheapest query the engine takes.
	startSQL := "SELECT 1"
	if _, err := cli(startSQL); err != nil {
		logf("SELECT 1 refused (%v); timing a trivial store query instead", err)
		startSQL = "SELECT eventName FROM " + storeID + " LIMIT 1"
		if _, err := cli(startSQL); err != nil {
			return err
		}
	}
	r.startSQL = startSQL
	reps := max(c.reps, 3)
	var ds []time.Duration
	for i := 0; i < reps; i++ {
		res, _ := cli(startSQL)
		ds = append(ds, res.Wall)
	}
	r.start = median(ds)
	logf("process start (%s): %v", startSQL, r.start)
	ds = ds[:0]
	for i := 0; i < reps; i++ {
		d, _, err := timeDuckFresh(ctx, "SELECT 1")
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	r.duckStart = median(ds)
	logf("new DuckDB database (SELECT 1): %v", r.duckStart)

	for _, q := range r.queries {
		qr := queryResult{q: q}
		// auditlake: one warm-up run too, so both sides read from the page cache.
		if _, err := cli(q.on(storeID)); err != nil {
			return fmt.Errorf("%s: %w", q.ID, err)
		}
		ds = ds[:0]
		var rss []int64
		for i := 0; i < reps; i++ {
			res, err := cli(q.on(storeID))
			if err != nil {
				return fmt.Errorf("%s: %w", q.ID, err)
			}
			ds = append(ds, res.Wall)
			rss = append(rss, res.MaxRSS)
			qr.lakeRows = countCSVRows(res.Stdout)
		}
		qr.lake, qr.lakeRSS = median(ds), medianInt(rss)

		if _, _, err := timeDuck(ctx, db, q.on(pq)); err != nil { // warm-up
			return fmt.Errorf("%s on duckdb parquet: %w", q.ID, err)
		}
		ds = ds[:0]
		for i := 0; i < reps; i++ {
			d, n, err := timeDuck(ctx, db, q.on(pq))
			if err != nil {
				return fmt.Errorf("%s on duckdb parquet: %w", q.ID, err)
			}
			ds = append(ds, d)
			qr.duckRows = n
		}
		qr.duck = median(ds)

		// DuckDB cold: a new in-memory database for each run, as a separate
		// `duckdb -c SQL` process or auditlake's per-query sandbox has; its
		// open is subtracted below as auditlake's start is.
		ds = ds[:0]
		for i := 0; i < reps; i++ {
			d, _, err := timeDuckFresh(ctx, q.on(pq))
			if err != nil {
				return fmt.Errorf("%s on a new duckdb: %w", q.ID, err)
			}
			ds = append(ds, d)
		}
		qr.duckCold = median(ds)

		rctx, cancel := context.WithTimeout(ctx, c.rawTimeout)
		start := time.Now()
		_, n, err := timeDuck(rctx, db, q.on("("+rawRowsSQL(trail)+")"))
		qr.raw = time.Since(start)
		cancel()
		switch {
		case err != nil && rctx.Err() != nil && ctx.Err() == nil:
			qr.rawTimedOut = true
			qr.raw = c.rawTimeout
		case err != nil:
			qr.rawErr = err.Error()
		default:
			qr.rawRows = n
		}
		logf("%s: auditlake %v (%d rows), duckdb parquet %v (%d rows; new database %v), duckdb raw %v (%d rows, timeout %v) %s",
			q.ID, qr.lake.Round(time.Millisecond), qr.lakeRows, qr.duck.Round(time.Millisecond), qr.duckRows, qr.duckCold.Round(time.Millisecond),
			qr.raw.Round(time.Millisecond), qr.rawRows, qr.rawTimedOut, qr.rawErr)
		r.results = append(r.results, qr)
	}
	return nil
}
