package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Defaults for GenerateOptions.
const (
	DefaultAccounts         = 3
	DefaultMaxEventsPerFile = 1000
	// DeliveryWindow is how much time the events of one log file span;
	// CloudTrail delivers a file about every five minutes per account and
	// region.
	DeliveryWindow = 5 * time.Minute
)

// DefaultRegions is the region set used when GenerateOptions.Regions is nil.
var DefaultRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1"}

// GenerateOptions configures Generate. A zero value means the default.
type GenerateOptions struct {
	Events        int       // total events (required, > 0)
	Days          int       // days of history ending at End (required, > 0)
	End           time.Time // exclusive end; zero: today 00:00 UTC
	Seed          int64     // same options + seed => byte-identical files
	Accounts      int       // 0: DefaultAccounts
	Regions       []string  // nil: DefaultRegions
	EventsPerFile int       // maximum events per file; 0: DefaultMaxEventsPerFile
	Workers       int       // 0: runtime.GOMAXPROCS(0)
}

// GenerateStats reports what Generate wrote.
type GenerateStats struct {
	Files  int
	Events int
	Bytes  int64 // compressed bytes
}

// ErrInvalidOptions is returned when GenerateOptions are out of range.
var ErrInvalidOptions = errors.New("invalid generate options")

func (o *GenerateOptions) normalize() error {
	switch {
	case o.Events <= 0:
		return fmt.Errorf("%w: events must be > 0", ErrInvalidOptions)
	case o.Days <= 0:
		return fmt.Errorf("%w: days must be > 0", ErrInvalidOptions)
	case o.Accounts < 0 || o.EventsPerFile < 0 || o.Workers < 0:
		return fmt.Errorf("%w: negative accounts, events per file or workers", ErrInvalidOptions)
	}
	if o.End.IsZero() {
		o.End = time.Now().UTC().Truncate(24 * time.Hour)
	}
	o.End = o.End.UTC()
	if o.Accounts == 0 {
		o.Accounts = DefaultAccounts
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions
	}
	if o.EventsPerFile == 0 {
		o.EventsPerFile = DefaultMaxEventsPerFile
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// Generate writes realistic CloudTrail log files under outDir in the layout
// CloudTrail delivers to S3:
//
//	AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alnum>.json.gz
//
// Each file holds the events of one delivery window of one account and
// region, in no particular order, all before the time in the file name.
// Output depends only on opts (with a fixed End) and not on scheduling.
// Files are written to a .tmp name and renamed, so an interrupted run leaves
// no partial file under a real name.
func Generate(ctx context.Context, outDir string, opts GenerateOptions) (GenerateStats, error) {
	if err := opts.normalize(); err != nil {
		return GenerateStats{}, err
	}
	m := newModel(opts.Seed, opts.Accounts)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan fileJob, 4*opts.Workers)
	var (
		st       GenerateStats
		files    atomic.Int64
		events   atomic.Int64
		bytesW   atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newFileWriter(m, &opts, outDir)
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				n, err := w.write(j)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					continue
				}
				files.Add(1)
				events.Add(int64(j.count))
				bytesW.Add(n)
			}
		}()
	}
	planErr := plan(ctx, &opts, func(j fileJob) { jobs <- j })
	close(jobs)
	wg.Wait()
	st.Files, st.Events, st.Bytes = int(files.Load()), int(events.Load()), bytesW.Load()
	if firstErr != nil {
		return st, firstErr
	}
	if planErr != nil {
		return st, planErr
	}
	return st, nil
}

// fileJob is one log file to write.
type fileJob struct {
	index  uint64 // global file number: seeds the file's RNG
	acct   int
	region int
	start  time.Time // delivery window start
	count  int
}

// plan splits opts.Events over (window, account, region) cells by weight
// and emits the files in a deterministic order. It streams: memory does not
// grow with the number of cells.
func plan(ctx context.Context, o *GenerateOptions, emit func(fileJob)) error {
	windows := int(time.Duration(o.Days) * 24 * time.Hour / DeliveryWindow)
	start := o.End.Add(-time.Duration(windows) * DeliveryWindow)
	acctW := make([]float64, o.Accounts)
	for i := range acctW {
		acctW[i] = 1 / math.Pow(float64(i+1), 0.7)
	}
	regW := make([]float64, len(o.Regions))
	for i, r := range o.Regions {
		regW[i] = 1 / math.Pow(float64(i+1), 0.6)
		if r == "us-east-1" {
			regW[i] *= 1.6 // global services are recorded here
		}
	}
	cells := len(acctW) * len(regW)
	weight := func(w, c int) float64 {
		t := start.Add(time.Duration(w) * DeliveryWindow)
		h := splitmix64(uint64(o.Seed) ^ splitmix64(uint64(w*cells+c)))
		u1, u2 := unitFloat(h)+1e-12, unitFloat(splitmix64(h))
		z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
		return acctW[c/len(regW)] * regW[c%len(regW)] * diurnal(t) * math.Exp(0.5*z)
	}
	var total float64
	for w := range windows {
		for c := range cells {
			total += weight(w, c)
		}
	}
	var cum float64
	prev := 0
	var index uint64
	for w := range windows {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for c := range cells {
			cum += weight(w, c)
			next := int(math.Round(float64(o.Events) * cum / total))
			if w == windows-1 && c == cells-1 {
				next = o.Events
			}
			n := next - prev
			prev = next
			if n <= 0 {
				continue
			}
			parts := (n + o.EventsPerFile - 1) / o.EventsPerFile
			for p := range parts {
				emit(fileJob{index: index, acct: c / len(regW), region: c % len(regW),
					start: start.Add(time.Duration(w) * DeliveryWindow), count: n*(p+1)/parts - n*p/parts})
				index++
			}
		}
	}
	return nil
}

// diurnal is the relative activity at t: a baseline of automation plus a
// working-day peak, lower at weekends.
func diurnal(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	d := h - 16
	v := 0.3 + math.Exp(-d*d/(2*3.5*3.5))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v *= 0.45
	}
	return v
}

// fileWriter renders and writes files; one per worker.
type fileWriter struct {
	g    gen
	o    *GenerateOptions
	out  string
	buf  []byte
	gz   *gzip.Writer
	zbuf bytes.Buffer
	dirs map[string]bool
}

func newFileWriter(m *model, o *GenerateOptions, out string) *fileWriter {
	gz, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return &fileWriter{g: gen{m: m}, o: o, out: out, gz: gz, dirs: map[string]bool{}}
}

// write renders job j and writes it atomically. It returns the file size.
func (w *fileWriter) write(j fileJob) (int64, error) {
	g := &w.g
	g.r = newRand(w.o.Seed, j.index)
	g.acct = g.m.accounts[j.acct]
	g.region = w.o.Regions[j.region]
	delivered := j.start.Add(DeliveryWindow + time.Duration(g.r.IntN(5))*time.Minute)
	acct := g.acct.id
	name := acct + "_CloudTrail_" + g.region + "_" + delivered.Format("20060102T1504Z") + "_" + randStr(g.r, alnum, 16) + ".json.gz"
	dir := filepath.Join(w.out, "AWSLogs", acct, "CloudTrail", g.region, delivered.Format("2006/01/02"))

	b := append(w.buf[:0], `{"Records":[`...)
	window := int(DeliveryWindow / time.Second)
	for i := range j.count {
		if i > 0 {
			b = append(b, ',')
		}
		b = g.event(b, j.start.Add(time.Duration(g.r.IntN(window))*time.Second))
	}
	b = append(b, "]}"...)
	w.buf = b

	w.zbuf.Reset()
	w.gz.Reset(&w.zbuf)
	if _, err := w.gz.Write(b); err != nil {
		return 0, fmt.Errorf("compress %s: %w", name, err)
	}
	if err := w.gz.Close(); err != nil {
		return 0, fmt.Errorf("compress %s: %w", name, err)
	}
	if !w.dirs[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("create dir %s: %w", dir, err)
		}
		w.dirs[dir] = true
	}
	path := filepath.Join(dir, name)
	if err := writeAtomic(path, w.zbuf.Bytes()); err != nil {
		return 0, err
	}
	return int64(w.zbuf.Len()), nil
}

// writeAtomic writes data to path through a temporary file and a rename.
// It does not fsync: generated data can be regenerated from its seed.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}
