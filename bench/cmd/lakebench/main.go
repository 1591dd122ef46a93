// Command lakebench measures auditlake against DuckDB on generated
// CloudTrail events, each figure beside its baseline in the same run:
// ingest, import (file:// and S3) and PutAuditEvents beside DuckDB's
// JSON-to-Parquet conversion; storage; audit queries through `auditlake
// query`, the API and the Postgres port beside DuckDB on the same Parquet
// and on the raw files; scale (store size, window, stores, concurrent
// clients); queries under ingest load; CPU and allocation profiles. It
// writes report.md and report.csv to -out. See bench/README.md.
//
//	go run ./bench/cmd/lakebench -events 1000000 -days 30 -out bench/results
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/auditlake/auditlake/bench"

	"github.com/auditlake/auditlake/bench/harness"
)

// The other stores of the query lake: every data event (the second store
// of the join), and for the stores figure management events only and S3
// data events only.
const (
	dataSelectors = `[` +
		`{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
		`{"Name":"l","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]},` +
		`{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]},` +
		`{"Name":"q","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::SQS::Queue"]}]},` +
		`{"Name":"t","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::SNS::Topic"]}]}]`
	mgmtSelectors = `[{"Name":"m","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]`
	s3Selectors   = `[{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]`
)

// sections are the parts of the suite -skip can leave out.
var sections = []string{"ingest", "import", "s3", "put", "convert", "cli", "raw", "api", "pg", "windows", "stores", "clients", "load", "scale", "profile"}

type config struct {
	events, days, reps int
	seed               int64
	end                time.Time
	out, work, bin     string
	rawTimeout         time.Duration
	extraSelectors     string
	versitygw          string
	downloads          int
	stores             int   // stores in the query lake (2..4)
	compact            bool  // compact the query lakes after their import
	scale              []int // more store sizes for the scale section
	putEvents          int
	putClients         int
	clients            []int // concurrent API clients for the clients figure
	clientsFor         time.Duration
	windows            []int // days
	loadRate           int   // events/s
	loadClients        int
	loadFor            time.Duration
	flushAge           time.Duration
	skip               map[string]bool
}

// selectors are the bench store's advanced event selectors:
// bench.StoreSelectors and -extra-selectors.
func (c config) selectors() string {
	return strings.TrimSuffix(bench.StoreSelectors, "]") + c.extraSelectors + "]"
}

func (c config) importArgs() []string {
	if c.downloads > 0 {
		return []string{"--downloads", strconv.Itoa(c.downloads)}
	}
	return nil
}

func (c config) on(section string) bool { return !c.skip[section] }

func main() {
	if os.Getenv(childEnv) == "convert" {
		if err := runChild(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "lakebench convert:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	var end, scale, clients, windows, skip string
	flag.IntVar(&c.events, "events", 1_000_000, "events to generate")
	flag.IntVar(&c.days, "days", 30, "days of history")
	flag.IntVar(&c.reps, "reps", 0, "repetitions of each ingest path (the median is reported); 0: 3. Queries run max(reps, 3) times after a warm-up")
	flag.Int64Var(&c.seed, "seed", 20260101, "generator seed")
	flag.StringVar(&end, "end", "2026-01-01", "exclusive end date of the generated history (UTC)")
	flag.StringVar(&c.out, "out", "bench/results", "folder for report.md and report.csv")
	flag.StringVar(&c.work, "work", "", "scratch folder for trail files and lakes (default: $TMPDIR/lakebench; trail files are reused)")
	flag.StringVar(&c.bin, "bin", "bin/auditlake", "auditlake binary; built with go build if missing")
	flag.DurationVar(&c.rawTimeout, "raw-timeout", time.Minute, "cap on each DuckDB query over raw .json.gz (reported as a lower bound if hit)")
	flag.StringVar(&c.extraSelectors, "extra-selectors", "", "more advanced event selectors appended to the bench store's, as a JSON fragment starting with a comma: ,{\"Name\":...}")
	flag.StringVar(&c.versitygw, "versitygw", "", "versitygw binary for the S3 import (default: from PATH or $GOPATH/bin; missing: that run is left out)")
	flag.IntVar(&c.downloads, "downloads", 0, "auditlake import --downloads (0: its default)")
	flag.BoolVar(&c.compact, "compact", true, "compact the query lakes after their import with one `auditlake maintenance run` (segments of any age), as a serving lake's maintenance does within minutes; false: query the import's segments as they are")
	flag.IntVar(&c.stores, "stores", 4, "stores in the query lake, 2 to 4: bench and data (the join), then management-only and S3-only (the stores figure)")
	flag.StringVar(&scale, "scale", "", "more store sizes (events, comma-separated) to run the queries on; days grow in proportion, so a day holds as many events at every size")
	flag.IntVar(&c.putEvents, "put-events", 0, "events sent with PutAuditEvents (0: min(events, 200000))")
	flag.IntVar(&c.putClients, "put-clients", 4, "concurrent PutAuditEvents clients")
	flag.StringVar(&clients, "clients", "1,4,16", "concurrent API query clients for the clients figure")
	flag.DurationVar(&c.clientsFor, "clients-for", 5*time.Second, "how long each clients level runs")
	flag.StringVar(&windows, "windows", "1,7,30", "time windows (days) for the window figure")
	flag.IntVar(&c.loadRate, "load-rate", 2000, "PutAuditEvents rate (events/s) under load")
	flag.IntVar(&c.loadClients, "load-clients", 8, "API query clients under load")
	flag.DurationVar(&c.loadFor, "load-for", 20*time.Second, "how long the load runs (and the same clients without ingest, as its baseline)")
	flag.DurationVar(&c.flushAge, "flush-age", 2*time.Second, "serve --wal-flush-age under load: how long accepted events wait before they are queryable (the server's default is 30s)")
	flag.StringVar(&skip, "skip", "", "sections to leave out, comma-separated: "+strings.Join(sections, ","))
	flag.Parse()
	var err error
	if c.end, err = time.Parse("2006-01-02", end); err != nil {
		log.Fatalf("lakebench: -end: %v", err)
	}
	if c.scale, err = ints(scale); err != nil {
		log.Fatalf("lakebench: -scale: %v", err)
	}
	if c.clients, err = ints(clients); err != nil {
		log.Fatalf("lakebench: -clients: %v", err)
	}
	if c.windows, err = ints(windows); err != nil {
		log.Fatalf("lakebench: -windows: %v", err)
	}
	c.skip = map[string]bool{}
	for _, s := range strings.Split(skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.skip[s] = true
		}
	}
	if c.reps <= 0 {
		// One run of the 1M ingest varies by 15-20% on a shared 2-core
		// machine (16.1 to 19.5 s in one session): too much for a ratio.
		c.reps = 3
	}
	if c.putEvents <= 0 {
		c.putEvents = min(c.events, 200_000)
	}
	c.stores = min(max(c.stores, 2), 4)
	if c.work == "" {
		c.work = filepath.Join(os.TempDir(), "lakebench")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		log.Fatalf("lakebench: %v", err)
	}
}

// ints parses a comma-separated list of positive integers.
func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, c config) error {
	start := time.Now()
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}
	bin, err := harness.EnsureBinary(ctx, c.bin)
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

	trail, gen, err := generate(ctx, c, c.events, c.days)
	if err != nil {
		return err
	}
	r.gen, r.trail = gen, trail
	logf("trail: %d events in %d files, %d bytes", gen.Events, gen.Files, gen.Bytes)

	if c.on("ingest") {
		if err := measureIngest(ctx, c, bin, trail, r); err != nil {
			return err
		}
	}
	if c.on("import") {
		if err := measureImport(ctx, c, bin, "auditlake import file://", "file://"+filepath.ToSlash(trail), nil, r); err != nil {
			return err
		}
	}
	if c.on("s3") {
		if err := measureS3Import(ctx, c, bin, trail, r); err != nil {
			return err
		}
	}
	if c.on("put") {
		if err := measurePut(ctx, c, bin, trail, r); err != nil {
			return err
		}
	}
	if c.on("convert") {
		if err := measureConvert(ctx, c, trail, r); err != nil {
			return err
		}
	}
	if c.on("profile") {
		if err := profileIngest(ctx, c, bin, trail, r); err != nil {
			return err
		}
	}

	ql, err := buildQueryLake(ctx, c, bin, trail, filepath.Join(c.work, "lake"), c.stores)
	if err != nil {
		return err
	}
	r.queryLake = ql
	if r.ingested == 0 {
		r.ingested = ql.benchEvents
	}
	if err := measureStorage(ctx, db, ql, r); err != nil {
		return err
	}
	if err := measureQueries(ctx, c, db, bin, ql, trail, r); err != nil {
		return err
	}
	if c.on("scale") {
		for _, n := range c.scale {
			if err := measureScale(ctx, c, db, bin, n, r); err != nil {
				return err
			}
		}
	}
	r.took = time.Since(start)
	logf("done in %v", r.took.Round(time.Second))
	return r.write()
}

// generate writes the trail files once per (events, days, seed, end) into
// their own folder under the work folder and reuses them on later runs; a
// stamp file written last marks them complete.
func generate(ctx context.Context, c config, events, days int) (string, bench.GenerateStats, error) {
	dir := filepath.Join(c.work, fmt.Sprintf("trail-%d-%d-%d-%s", events, days, c.seed, c.end.Format(time.DateOnly)))
	trail, stamp := filepath.Join(dir, "trail"), filepath.Join(dir, "trail.json")
	var st struct{ Stats bench.GenerateStats }
	if b, err := os.ReadFile(stamp); err == nil && json.Unmarshal(b, &st) == nil {
		logf("reusing trail files in %s", trail)
		return trail, st.Stats, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", bench.GenerateStats{}, err
	}
	logf("generating %d events over %d days into %s", events, days, trail)
	stats, err := bench.Generate(ctx, trail, bench.GenerateOptions{Events: events, Days: days, End: c.end, Seed: c.seed})
	if err != nil {
		return "", stats, fmt.Errorf("generate: %w", err)
	}
	st.Stats = stats
	b, _ := json.Marshal(st)
	return trail, stats, os.WriteFile(stamp, b, 0o644)
}

// queryLake is the lake every query runs on: the bench store and the
// data-events store, and for the stores figure up to two more, all
// imported from the trail in one pass.
type queryLake struct {
	dir         string
	bench, data string
	stores      []string // every store's ID, bench first
	build       harness.Proc
	compact     *harness.Proc // the maintenance pass after the import; nil when not run
	benchEvents int
	events      int // generated
	days        int
}

// buildQueryLake creates the stores in a fresh lake and imports the trail
// into all of them with one `auditlake import`.
func buildQueryLake(ctx context.Context, c config, bin, trail, dir string, nStores int) (*queryLake, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	ql := &queryLake{dir: dir}
	defs := [][2]string{{"bench", c.selectors()}, {"data", dataSelectors}, {"mgmt", mgmtSelectors}, {"s3data", s3Selectors}}[:nStores]
	args := []string{"--lake", dir, "import"}
	for _, d := range defs {
		id, err := createStore(ctx, bin, dir, d[0], d[1])
		if err != nil {
			return nil, err
		}
		ql.stores = append(ql.stores, id)
		args = append(args, "--eds", d[0])
	}
	ql.bench, ql.data = ql.stores[0], ql.stores[1]
	args = append(append(args, "file://"+filepath.ToSlash(trail)), c.importArgs()...)
	logf("building the query lake %s (%d stores)", dir, nStores)
	res, err := harness.Run(ctx, nil, false, bin, args...)
	if err != nil {
		return nil, err
	}
	ql.build = res
	if c.compact {
		logf("compacting the query lake %s", dir)
		res, err := harness.Run(ctx, nil, false, bin, "--lake", dir, "maintenance", "run", "--compact-min-age", "0", "--retire-grace", "0")
		if err != nil {
			return nil, fmt.Errorf("compact the query lake: %w", err)
		}
		ql.compact = &res
	}
	if ql.benchEvents, err = countStore(ctx, bin, dir, ql.bench); err != nil {
		return nil, err
	}
	logf("query lake: %d stores, %d events in bench, in %v", nStores, ql.benchEvents, res.Wall.Round(time.Millisecond))
	return ql, nil
}
