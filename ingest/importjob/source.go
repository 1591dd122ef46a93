package importjob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob" // s3:// on any S3-compatible store
)

// maxDepth bounds how deep the prefix walk descends below the source.
const maxDepth = 12

// source is where an import reads trail files from: a bucket and a key
// prefix inside it.
type source struct {
	bucket *blob.Bucket
	prefix string // "" or ending in "/"
	base   string // location of the bucket's root, for messages: s3://b/ or file:///dir/
	local  string // the folder of a file:// source, read directly; else ""
}

// openSource opens the import source rawURL: s3://bucket[/prefix][?params]
// (gocloud.dev/blob's S3 URL parameters: region, endpoint,
// use_path_style, disable_https, ...; credentials from the usual AWS
// environment), file:///abs/dir, or a plain local path. defaults are S3 URL
// parameters applied where rawURL does not set them.
func openSource(ctx context.Context, rawURL string, defaults url.Values) (*source, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("%w: no source given", ErrInvalidSource)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidSource, rawURL, err)
	}
	switch u.Scheme {
	case "s3":
		if u.Host == "" {
			return nil, fmt.Errorf("%w: %q names no bucket", ErrInvalidSource, rawURL)
		}
		q := u.Query()
		for k, v := range defaults {
			if !q.Has(k) {
				q[k] = v
			}
		}
		b, err := blob.OpenBucket(ctx, (&url.URL{Scheme: "s3", Host: u.Host, RawQuery: q.Encode()}).String())
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidSource, rawURL, err)
		}
		return &source{bucket: b, prefix: dirPrefix(strings.TrimPrefix(u.Path, "/")), base: "s3://" + u.Host + "/"}, nil
	case "file", "":
		dir := rawURL
		if u.Scheme == "file" {
			dir = filepath.FromSlash(u.Path)
		}
		if dir, err = filepath.Abs(dir); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidSource, rawURL, err)
		}
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%w: %s is not a folder", ErrInvalidSource, rawURL)
		}
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidSource, rawURL, err)
		}
		return &source{bucket: b, base: "file://" + filepath.ToSlash(dir) + "/", local: dir}, nil
	default:
		return nil, fmt.Errorf("%w: %q: want s3://bucket/prefix, file:///folder or a local path", ErrInvalidSource, rawURL)
	}
}

func dirPrefix(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// location is the address of key for people: s3://bucket/key.
func (s *source) location(key string) string { return s.base + key }

func (s *source) close() error { return s.bucket.Close() }

// prefix is one unit of an import: a day folder of a trail
// (.../CloudTrail/<region>/YYYY/MM/DD/), or a folder that holds files
// outside that layout.
type prefix struct {
	Key string
	Day time.Time // zero for a folder outside the layout
}

// window is an import's time range; a zero bound is open.
type window struct {
	Start, End time.Time
}

// contains reports whether t falls in [Start, End].
func (w window) contains(t time.Time) bool {
	return (w.Start.IsZero() || !t.Before(w.Start)) && (w.End.IsZero() || !t.After(w.End))
}

// dayBounds returns the first and last UTC day a trail may have filed the
// range's events under: files are filed under their delivery day, which is
// the day of their events or later, so the last day gets one day of slack
// for late deliveries.
func (w window) dayBounds() (lo, hi time.Time) {
	if !w.Start.IsZero() {
		lo = w.Start.UTC().Truncate(24 * time.Hour)
	}
	if !w.End.IsZero() {
		hi = w.End.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	}
	return lo, hi
}

// keepDate reports whether a folder for the period [from, to) can hold
// files of the range.
func (w window) keepDate(from, to time.Time) bool {
	lo, hi := w.dayBounds()
	return (lo.IsZero() || to.After(lo)) && (hi.IsZero() || !from.After(hi))
}

// keepDelivery reports whether a file delivered at t (the time in its
// name) can hold events of the range: its events are older than t.
func (w window) keepDelivery(t time.Time) bool {
	return w.Start.IsZero() || !t.Add(5*time.Minute).Before(w.Start)
}

// walkStats counts what the walk passed over on purpose.
type walkStats struct {
	Digest, Insight int // prefixes of digest files and of Insights events skipped
}

// prefixes lists the source's prefixes that can hold events of w, ordered
// by day and then by key, so that an import takes a trail's accounts and
// regions a day at a time.
func (s *source) prefixes(ctx context.Context, w window) ([]prefix, walkStats, error) {
	var out []prefix
	var st walkStats
	err := s.walk(ctx, s.prefix, nil, 0, w, &out, &st)
	slices.SortStableFunc(out, func(a, b prefix) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, st, err
}

// walk descends from p; date holds the YYYY, MM and DD components seen
// just above.
func (s *source) walk(ctx context.Context, p string, date []int, depth int, w window, out *[]prefix, st *walkStats) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(date) == 3 {
		day := time.Date(date[0], time.Month(date[1]), date[2], 0, 0, 0, 0, time.UTC)
		*out = append(*out, prefix{Key: p, Day: day})
		return nil
	}
	dirs, files, err := s.listLevel(ctx, p)
	if err != nil {
		return err
	}
	if files > 0 {
		*out = append(*out, prefix{Key: p})
	}
	if depth >= maxDepth {
		return nil
	}
	for _, d := range dirs {
		name := strings.TrimSuffix(strings.TrimPrefix(d, p), "/")
		switch {
		case name == "CloudTrail-Digest":
			st.Digest++
			continue
		case name == "CloudTrail-Insight":
			st.Insight++
			continue
		case strings.HasPrefix(name, "."):
			continue
		}
		next, ok := dateStep(date, name)
		if ok && !keepPeriod(w, next) {
			continue
		}
		if !ok {
			next = nil
		}
		if err := s.walk(ctx, d, next, depth+1, w, out, st); err != nil {
			return err
		}
	}
	return nil
}

// dateStep extends the YYYY/MM/DD components above a folder with its name,
// when the name is the next component.
func dateStep(date []int, name string) ([]int, bool) {
	n, err := strconv.Atoi(name)
	if err != nil {
		return nil, false
	}
	switch len(date) {
	case 0:
		if len(name) == 4 && n >= 1990 && n < 3000 {
			return []int{n}, true
		}
	case 1:
		if len(name) == 2 && n >= 1 && n <= 12 {
			return []int{date[0], n}, true
		}
	case 2:
		if len(name) == 2 && n >= 1 && n <= 31 {
			return []int{date[0], date[1], n}, true
		}
	}
	return nil, false
}

// keepPeriod reports whether the year, month or day in date can hold files
// of the range.
func keepPeriod(w window, date []int) bool {
	switch len(date) {
	case 1:
		from := time.Date(date[0], 1, 1, 0, 0, 0, 0, time.UTC)
		return w.keepDate(from, from.AddDate(1, 0, 0))
	case 2:
		from := time.Date(date[0], time.Month(date[1]), 1, 0, 0, 0, 0, time.UTC)
		return w.keepDate(from, from.AddDate(0, 1, 0))
	default:
		from := time.Date(date[0], time.Month(date[1]), date[2], 0, 0, 0, 0, time.UTC)
		return w.keepDate(from, from.AddDate(0, 0, 1))
	}
}

// listLevel lists the sub-folders of p and counts its input files.
func (s *source) listLevel(ctx context.Context, p string) (dirs []string, files int, err error) {
	if s.local != "" {
		entries, err := s.readDir(p)
		for _, e := range entries {
			if e.dir {
				dirs = append(dirs, e.key)
			} else if isInputKey(e.key) {
				files++
			}
		}
		return dirs, files, err
	}
	it := s.bucket.List(&blob.ListOptions{Prefix: p, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return dirs, files, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("list %s: %w", s.location(p), err)
		}
		if obj.IsDir {
			dirs = append(dirs, obj.Key)
		} else if isInputKey(obj.Key) {
			files++
		}
	}
}

// object is one file of a prefix.
type object struct {
	Key  string
	Size int64
}

// objects lists the input files directly in p, in key order, passing over
// those that cannot hold events of w by the delivery time in their name.
func (s *source) objects(ctx context.Context, p string, w window) ([]object, error) {
	var out []object
	if s.local != "" {
		entries, err := s.readDir(p)
		for _, e := range entries {
			if e.dir || !isInputKey(e.key) {
				continue
			}
			if t, ok := deliveryTime(e.key); ok && !w.keepDelivery(t) {
				continue
			}
			out = append(out, object{Key: e.key, Size: e.size})
		}
		return out, err
	}
	it := s.bucket.List(&blob.ListOptions{Prefix: p, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.location(p), err)
		}
		if obj.IsDir || !isInputKey(obj.Key) {
			continue
		}
		if t, ok := deliveryTime(obj.Key); ok && !w.keepDelivery(t) {
			continue
		}
		out = append(out, object{Key: obj.Key, Size: obj.Size})
	}
}

// isInputKey reports whether a key names an event file: JSON, JSON Lines
// or either gzipped; not hidden, temporary, or a digest file.
func isInputKey(key string) bool {
	name := key[strings.LastIndexByte(key, '/')+1:]
	if strings.HasPrefix(name, ".") || strings.Contains(name, "CloudTrail-Digest") || strings.HasSuffix(name, ".tmp") {
		return false
	}
	base := strings.TrimSuffix(name, ".gz")
	return strings.HasSuffix(base, ".json") || strings.HasSuffix(base, ".jsonl") || strings.HasSuffix(base, ".ndjson")
}

// deliveryTime reads the delivery time in a CloudTrail log file name:
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz.
func deliveryTime(key string) (time.Time, bool) {
	name := key[strings.LastIndexByte(key, '/')+1:]
	for part := range strings.SplitSeq(name, "_") {
		if len(part) == 14 && part[8] == 'T' && part[13] == 'Z' {
			t, err := time.Parse("20060102T1504Z", part)
			return t, err == nil
		}
	}
	return time.Time{}, false
}

// read returns the object's bytes, at most limit of them.
func (s *source) read(ctx context.Context, key string, limit int64) ([]byte, error) {
	if s.local != "" {
		return readLocal(filepath.Join(s.local, filepath.FromSlash(key)), limit)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d an import reads", errTooLarge, r.Size(), limit)
	}
	buf := make([]byte, 0, r.Size())
	b := &limitedBuffer{buf: buf}
	if _, err := io.Copy(b, io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(len(b.buf)) > limit {
		return nil, fmt.Errorf("%w: more than the %d bytes an import reads", errTooLarge, limit)
	}
	return b.buf, nil
}

type limitedBuffer struct{ buf []byte }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// readLocal reads a file of a local source, at most limit bytes of it.
func readLocal(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d an import reads", errTooLarge, fi.Size(), limit)
	}
	buf := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// entry is one name in a local source's folder.
type entry struct {
	key  string // folders end in "/"
	dir  bool
	size int64
}

// readDir lists the folder of a local source holding the keys under p, in
// key order; a missing folder is empty. The local listing costs one
// directory read per folder (fileblob's walks the whole subtree).
func (s *source) readDir(p string) ([]entry, error) {
	des, err := os.ReadDir(filepath.Join(s.local, filepath.FromSlash(p)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.location(p), err)
	}
	out := make([]entry, 0, len(des))
	for _, d := range des {
		e := entry{key: p + d.Name(), dir: d.IsDir()}
		if e.dir {
			e.key += "/"
		} else if fi, err := d.Info(); err == nil {
			if !fi.Mode().IsRegular() {
				continue
			}
			e.size = fi.Size()
		}
		out = append(out, e)
	}
	return out, nil
}
