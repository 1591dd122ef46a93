package main

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtraildata"
	dtypes "github.com/aws/aws-sdk-go-v2/service/cloudtraildata/types"

	"github.com/auditlake/auditlake/bench"

	"github.com/auditlake/auditlake/bench/harness"
)

// ingestRun is one way of getting events into a store, measured over reps.
type ingestRun struct {
	name     string
	events   int   // events stored (or converted)
	inEvents int   // events in the input: the trail's, or those sent
	inBytes  int64 // input bytes: the .json.gz files, or the eventData sent
	wall     []time.Duration
	cpu      []time.Duration // user+system of the process doing the work
	rss      []int64         // its peak RSS
	note     string
}

func (r ingestRun) medWall() time.Duration { return harness.Median(r.wall) }
func (r ingestRun) medCPU() time.Duration  { return harness.Median(r.cpu) }

var ingestedRE = regexp.MustCompile(`ingested (\d+) events from (\d+) inputs \((\d+) skipped as already ingested, (\d+) records refused\)`)

// createStore runs `eds create` and returns the store's ID.
func createStore(ctx context.Context, bin, lakeDir, name, selectors string) (string, error) {
	// The longest retention: the generated history ends on a fixed date, and
	// the maintenance pass after an import (-compact) would otherwise expire
	// whatever the calendar has moved past the default year.
	res, err := harness.Run(ctx, nil, true, bin, "--lake", lakeDir, "eds", "create", "--name", name, "--retention-days", "3653", "--advanced-event-selectors", selectors)
	if err != nil {
		return "", err
	}
	var created struct{ EventDataStoreArn string }
	if err := json.Unmarshal(res.Stdout, &created); err != nil {
		return "", fmt.Errorf("eds create output: %w: %s", err, harness.Tail(string(res.Stdout), 300))
	}
	return storeIDOf(created.EventDataStoreArn), nil
}

// countStore returns the events a store holds, through `auditlake query`.
func countStore(ctx context.Context, bin, lakeDir, store string) (int, error) {
	res, err := harness.Run(ctx, nil, true, bin, "--lake", lakeDir, "query", "--format", "csv", "SELECT COUNT(*) AS n FROM "+store)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(res.Stdout)) // "n", then the count
	if len(f) != 2 {
		return 0, fmt.Errorf("count %s: %q", store, res.Stdout)
	}
	return strconv.Atoi(f[1])
}

// measureIngest ingests the trail into a fresh lake's bench store, reps
// times, each a separate `auditlake ingest` process.
func measureIngest(ctx context.Context, c config, bin, trail string, r *report) error {
	run := ingestRun{name: "auditlake ingest (files)", inEvents: r.gen.Events, inBytes: r.gen.Bytes}
	lakeDir := filepath.Join(c.work, "lake-ingest")
	defer os.RemoveAll(lakeDir)
	for i := 0; i < c.reps; i++ {
		if err := os.RemoveAll(lakeDir); err != nil {
			return err
		}
		if _, err := createStore(ctx, bin, lakeDir, "bench", c.selectors()); err != nil {
			return err
		}
		res, err := harness.Run(ctx, nil, false, bin, "--lake", lakeDir, "ingest", "--eds", "bench", trail)
		if err != nil {
			return err
		}
		m := ingestedRE.FindStringSubmatch(string(res.Stderr))
		if m == nil {
			return fmt.Errorf("ingest: no summary line in %q", harness.Tail(string(res.Stderr), 500))
		}
		run.events, _ = strconv.Atoi(m[1])
		r.refused, _ = strconv.Atoi(m[4])
		r.ingestSummary = m[0]
		run.wall, run.cpu, run.rss = append(run.wall, res.Wall), append(run.cpu, res.UserSys), append(run.rss, res.MaxRSS)
		logf("ingest rep %d: %v, %.0f MiB peak RSS, %d events", i+1, res.Wall.Round(time.Millisecond), float64(res.MaxRSS)/(1<<20), run.events)
	}
	r.ingested = run.events
	r.ingests = append(r.ingests, run)
	return nil
}

// measureImport runs `auditlake import` of source into a fresh lake's bench
// store, reps times.
func measureImport(ctx context.Context, c config, bin, name, source string, env []string, r *report) error {
	run := ingestRun{name: name, inEvents: r.gen.Events, inBytes: r.gen.Bytes}
	lakeDir := filepath.Join(c.work, "lake-import")
	defer os.RemoveAll(lakeDir)
	for i := 0; i < c.reps; i++ {
		if err := os.RemoveAll(lakeDir); err != nil {
			return err
		}
		id, err := createStore(ctx, bin, lakeDir, "bench", c.selectors())
		if err != nil {
			return err
		}
		args := append([]string{"--lake", lakeDir, "import", "--eds", "bench", source}, c.importArgs()...)
		res, err := harness.Run(ctx, env, false, bin, args...)
		if err != nil {
			return err
		}
		if run.events, err = countStore(ctx, bin, lakeDir, id); err != nil {
			return err
		}
		run.wall, run.cpu, run.rss = append(run.wall, res.Wall), append(run.cpu, res.UserSys), append(run.rss, res.MaxRSS)
		logf("%s rep %d: %v, %.0f MiB peak RSS, %d events", name, i+1, res.Wall.Round(time.Millisecond), float64(res.MaxRSS)/(1<<20), run.events)
	}
	r.ingests = append(r.ingests, run)
	return nil
}

// measureS3Import serves the trail from versitygw on loopback and imports
// it over S3. The trail is copied into versitygw's posix folder first; that
// is not timed. Without versitygw the run is left out with a note.
func measureS3Import(ctx context.Context, c config, bin, trail string, r *report) error {
	source, stop, err := startS3(c.work, trail, c.versitygw)
	if err != nil {
		r.notes = append(r.notes, fmt.Sprintf("no import from S3: %v (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)", err))
		logf("no S3 import: %v", err)
		return nil
	}
	defer stop()
	env := []string{"AWS_ACCESS_KEY_ID=benchkey", "AWS_SECRET_ACCESS_KEY=benchsecret"}
	return measureImport(ctx, c, bin, "auditlake import s3:// (versitygw on loopback)", source, env, r)
}

// startS3 serves the trail from versitygw's posix backend on loopback and
// returns the import source URL and the function that stops it.
func startS3(work, trail, bin string) (string, func(), error) {
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("versitygw"); err != nil {
			gopath := os.Getenv("GOPATH")
			if gopath == "" {
				home, _ := os.UserHomeDir()
				gopath = filepath.Join(home, "go")
			}
			bin = filepath.Join(gopath, "bin", "versitygw")
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return "", nil, fmt.Errorf("versitygw not found: %w", err)
	}
	root := filepath.Join(work, "s3")
	if err := os.RemoveAll(root); err != nil {
		return "", nil, err
	}
	if err := copyTree(trail, filepath.Join(root, "trails")); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--access", "benchkey", "--secret", "benchsecret", "--port", addr, "--quiet", "posix", root)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = os.RemoveAll(root) }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("versitygw did not start")
		}
	}
	return "s3://trails/?endpoint=http://" + addr + "&use_path_style=true&region=us-east-1", stop, nil
}

// copyTree copies src to dst, hard-linking files where it can.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if os.Link(p, target) == nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// measureConvert runs DuckDB's JSON-to-Parquet conversion of the same
// trail files in a subprocess, c.reps times as each ingest path runs: the
// ratio is of two medians. The last Parquet file stays for the storage
// figures.
func measureConvert(ctx context.Context, c config, trail string, r *report) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r.duckParquet = filepath.Join(c.work, "duckdb.parquet")
	env := []string{childEnv + "=convert", childSrcEnv + "=" + trail, childDstEnv + "=" + r.duckParquet}
	r.convert = ingestRun{name: "DuckDB read_json -> COPY parquet", inEvents: r.gen.Events, inBytes: r.gen.Bytes}
	for rep := 1; rep <= c.reps; rep++ {
		os.Remove(r.duckParquet)
		res, err := harness.Run(ctx, env, true, self)
		if err != nil {
			return fmt.Errorf("duckdb convert: %w", err)
		}
		n, _ := strconv.Atoi(string(trimNL(res.Stdout)))
		r.convert.events = n
		r.convert.wall = append(r.convert.wall, res.Wall)
		r.convert.cpu = append(r.convert.cpu, res.UserSys)
		r.convert.rss = append(r.convert.rss, res.MaxRSS)
		logf("duckdb convert rep %d: %v, %.0f MiB peak RSS, %d rows", rep, res.Wall.Round(time.Millisecond), float64(res.MaxRSS)/(1<<20), n)
	}
	return nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// auditEventData is an event from outside AWS, as PutAuditEvents takes it
// (the CloudTrail Lake integration schema).
type auditEventData struct {
	Version      string `json:"version"`
	UserIdentity struct {
		Type        string            `json:"type"`
		PrincipalID string            `json:"principalId"`
		Details     map[string]string `json:"details,omitempty"`
	} `json:"userIdentity"`
	UserAgent           string          `json:"userAgent,omitempty"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	EventTime           string          `json:"eventTime"`
	UID                 string          `json:"UID"`
	RequestParameters   json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements    json.RawMessage `json:"responseElements,omitempty"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	SourceIPAddress     string          `json:"sourceIPAddress,omitempty"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
}

// toAuditEvent maps a generated CloudTrail record to eventData for account.
func toAuditEvent(rec *bench.Record, account string) ([]byte, error) {
	var e auditEventData
	e.Version = "1.0"
	e.UserIdentity.Type, e.UserIdentity.PrincipalID = "Unknown", "anonymous"
	if ui := rec.UserIdentity; ui != nil {
		e.UserIdentity.Type = firstOf(ui.Type, "Unknown")
		e.UserIdentity.PrincipalID = firstOf(ui.PrincipalID, ui.ARN, "anonymous")
		if ui.ARN != "" {
			e.UserIdentity.Details = map[string]string{"arn": ui.ARN, "accountId": ui.AccountID}
		}
	}
	e.UserAgent = truncate(rec.UserAgent, 1024)
	e.EventSource, e.EventName, e.EventTime, e.UID = rec.EventSource, rec.EventName, rec.EventTime, rec.EventID
	e.RequestParameters, e.ResponseElements, e.AdditionalEventData = object(rec.RequestParameters), object(rec.ResponseElements), object(rec.AdditionalEventData)
	e.ErrorCode, e.ErrorMessage = truncate(rec.ErrorCode, 256), truncate(rec.ErrorMessage, 256)
	e.SourceIPAddress, e.RecipientAccountID = rec.SourceIPAddress, account
	return json.Marshal(&e)
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// object keeps a JSON object and drops anything else.
func object(m json.RawMessage) json.RawMessage {
	if len(m) > 0 && m[0] == '{' {
		return m
	}
	return nil
}

func truncate(s string, chars int) string {
	if utf8.RuneCountInString(s) <= chars {
		return s
	}
	return string([]rune(s)[:chars])
}

// auditBatches reads up to n records from the trail files and returns them
// as PutAuditEvents batches of 100 events (at most 1 MB of eventData each),
// with the eventData bytes in all. uidPrefix makes the event IDs unique to
// the run.
func auditBatches(trail string, n int, account, uidPrefix string) ([][]dtypes.AuditEvent, int64, error) {
	var batches [][]dtypes.AuditEvent
	var cur []dtypes.AuditEvent
	var total, curBytes int64
	count := 0
	errDone := errors.New("done")
	err := filepath.WalkDir(trail, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json.gz") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		var file struct{ Records []bench.Record }
		if err := json.NewDecoder(zr).Decode(&file); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for i := range file.Records {
			rec := &file.Records[i]
			rec.EventID = uidPrefix + rec.EventID
			data, err := toAuditEvent(rec, account)
			if err != nil {
				return err
			}
			if len(cur) == 100 || curBytes+int64(len(data)) > 1<<20 {
				batches, cur, curBytes = append(batches, cur), nil, 0
			}
			cur = append(cur, dtypes.AuditEvent{Id: aws.String(rec.EventID), EventData: aws.String(string(data))})
			curBytes += int64(len(data))
			total += int64(len(data))
			if count++; count == n {
				return errDone
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return nil, 0, err
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, total, nil
}

// putAll sends the batches through clients concurrent PutAuditEvents
// callers and returns the events acknowledged and the calls or events
// that failed.
func putAll(ctx context.Context, dt *cloudtraildata.Client, channel string, batches [][]dtypes.AuditEvent, clients int) (acked, failed int, firstErr error) {
	work := make(chan []dtypes.AuditEvent)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				out, err := dt.PutAuditEvents(ctx, &cloudtraildata.PutAuditEventsInput{ChannelArn: aws.String(channel), AuditEvents: b})
				mu.Lock()
				switch {
				case err != nil:
					failed += len(b)
					if firstErr == nil {
						firstErr = err
					}
				default:
					acked += len(out.Successful)
					failed += len(out.Failed)
					if len(out.Failed) > 0 && firstErr == nil {
						firstErr = fmt.Errorf("PutAuditEvents: %s: %s", aws.ToString(out.Failed[0].ErrorCode), aws.ToString(out.Failed[0].ErrorMessage))
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, b := range batches {
		select {
		case work <- b:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return acked, failed, firstErr
}

// measurePut serves a fresh lake, creates an ActivityAuditLog store and a
// channel through the API, and sends events mapped from the trail's
// records with concurrent PutAuditEvents clients. Wall time is from the
// first call to the last acknowledgement (events are durable in the
// write-ahead log then); CPU is the server's over that span; peak RSS is
// the server's over its whole life, which ends with the flush of every
// accepted event into segments. The stored count is checked afterwards.
func measurePut(ctx context.Context, c config, bin, trail string, r *report) error {
	lakeDir := filepath.Join(c.work, "lake-put")
	defer os.RemoveAll(lakeDir)
	run := ingestRun{name: fmt.Sprintf("PutAuditEvents over HTTP (%d clients, 100 events a call)", c.putClients)}
	for i := 0; i < c.reps; i++ {
		if err := os.RemoveAll(lakeDir); err != nil {
			return err
		}
		srv, err := startServer(ctx, bin, lakeDir)
		if err != nil {
			return err
		}
		channel, storeID, err := srv.createChannel(ctx, "activity")
		if err != nil {
			srv.stop()
			return err
		}
		batches, bytes, err := auditBatches(trail, c.putEvents, srv.account, "")
		if err != nil {
			srv.stop()
			return err
		}
		cpu0, _ := srv.cpu()
		start := time.Now()
		acked, failed, perr := putAll(ctx, srv.dt, channel, batches, c.putClients)
		wall := time.Since(start)
		cpu1, _ := srv.cpu()
		flushStart := time.Now()
		res, err := srv.stop()
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("PutAuditEvents: %d events failed: %v", failed, perr)
		}
		stored, err := countStore(ctx, bin, lakeDir, storeID)
		if err != nil {
			return err
		}
		if stored != acked {
			r.warnings = append(r.warnings, fmt.Sprintf("PutAuditEvents: %d events acknowledged, %d in the store after the server stopped", acked, stored))
		}
		run.events, run.inEvents, run.inBytes = acked, acked, bytes
		run.wall, run.cpu, run.rss = append(run.wall, wall), append(run.cpu, cpu1-cpu0), append(run.rss, res.MaxRSS)
		run.note = fmt.Sprintf("the flush into segments at shutdown took %v more", time.Since(flushStart).Round(time.Millisecond))
		logf("PutAuditEvents rep %d: %d events acknowledged in %v (%d stored), server %.0f MiB peak RSS", i+1, acked, wall.Round(time.Millisecond), stored, float64(res.MaxRSS)/(1<<20))
	}
	r.ingests = append(r.ingests, run)
	return nil
}

func segmentGlob(lakeDir, storeID string) string {
	return filepath.Join(lakeDir, "objects", "stores", storeID, "data", "*", "*.parquet")
}

// measureStorage compares the query lake's bench store with the input and
// with DuckDB's Parquet of the same files.
func measureStorage(ctx context.Context, db *sql.DB, ql *queryLake, r *report) error {
	var err error
	dataDir := filepath.Join(ql.dir, "objects", "stores", ql.bench, "data")
	if r.lakeBytes, r.lakeFiles, err = dirBytes(dataDir, ".parquet"); err != nil {
		return err
	}
	if fi, err := os.Stat(r.duckParquet); err == nil {
		r.duckBytes = fi.Size()
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM read_parquet("+quote(segmentGlob(ql.dir, ql.bench))+")").Scan(&r.lakeRows); err != nil {
		return fmt.Errorf("count lake rows: %w", err)
	}
	if r.duckParquet != "" && r.duckBytes > 0 {
		if r.coverage, err = coverage(ctx, db, segmentGlob(ql.dir, ql.bench), r.duckParquet); err != nil {
			return err
		}
	}
	logf("storage: lake %d bytes in %d segments (%d rows), duckdb %d bytes, input %d bytes", r.lakeBytes, r.lakeFiles, r.lakeRows, r.duckBytes, r.gen.Bytes)
	return nil
}
