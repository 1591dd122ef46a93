package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob" // mem:// for tests
	_ "gocloud.dev/blob/s3blob"  // s3:// for any S3-compatible store
	"gocloud.dev/gcerrors"

	"github.com/auditlake/auditlake/internal/fsutil"
)

// ErrNotFound is returned for an object that does not exist.
var ErrNotFound = errors.New("object not found")

// ErrExists is returned by a conditional write when the object exists.
var ErrExists = errors.New("object already exists")

// Bucket is the object storage a lake keeps segments and manifests in,
// reached through gocloud.dev/blob. A file:// bucket is a local folder: its
// writes are made durable (fsync of data and directories, which fileblob does
// not do) and its objects are local files that DuckDB reads in place. Other
// schemes (s3://, mem://) are read through the lake's local cache.
type Bucket struct {
	b     *blob.Bucket
	url   string
	local string // root folder of a file:// bucket, else ""
}

// ObjectInfo describes one listed object.
type ObjectInfo struct {
	Key  string
	Size int64
}

// OpenBucket opens the bucket at url (file:///abs/dir, s3://bucket?..., mem://).
func OpenBucket(ctx context.Context, rawURL string) (*Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bucket url %q: %w", rawURL, err)
	}
	if u.Scheme == "file" {
		dir := filepath.FromSlash(u.Path)
		if err := fsutil.MkdirAllDurable(dir); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", rawURL, err)
		}
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", rawURL, err)
		}
		return &Bucket{b: b, url: rawURL, local: dir}, nil
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", rawURL, err)
	}
	return &Bucket{b: b, url: rawURL}, nil
}

// URL is the bucket's address as it was opened.
func (b *Bucket) URL() string { return b.url }

// LocalPath is the file holding key when the bucket is a local folder.
func (b *Bucket) LocalPath(key string) (string, bool) {
	if b.local == "" {
		return "", false
	}
	return filepath.Join(b.local, filepath.FromSlash(key)), true
}

// WriteAll stores data under key durably. With ifNotExist it fails with
// ErrExists instead of replacing an existing object.
func (b *Bucket) WriteAll(ctx context.Context, key string, data []byte, ifNotExist bool) error {
	if b.local != "" {
		return b.writeLocal(key, data, ifNotExist)
	}
	err := b.b.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: ifNotExist})
	if ifNotExist && gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return fmt.Errorf("write %s: %w", key, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

func (b *Bucket) writeLocal(key string, data []byte, ifNotExist bool) error {
	path, _ := b.LocalPath(key)
	if !ifNotExist {
		if err := fsutil.WriteFileDurable(path, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		return nil
	}
	// Write a synced temporary file, then link it to its name: link fails
	// when the name exists, which makes the create-if-absent atomic.
	dir := filepath.Dir(path)
	if err := fsutil.MkdirAllDurable(dir); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-write-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("write %s: %w", key, ErrExists)
		}
		return fmt.Errorf("write %s: %w", key, err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// PutFile stores the synced local file at path under key, durably, and
// removes path. In a local bucket on the same file system it is a rename.
func (b *Bucket) PutFile(ctx context.Context, key, path string) error {
	if dst, ok := b.LocalPath(key); ok {
		if err := fsutil.RenameDurable(path, dst); err == nil {
			return nil
		}
		// Another file system: fall through to a copy.
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if b.local != "" {
		dst, _ := b.LocalPath(key)
		tmp := dst + ".tmp-copy"
		if err := copyFileDurable(f, tmp); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if err := fsutil.RenameDurable(tmp, dst); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
	} else {
		w, err := b.b.NewWriter(ctx, key, nil)
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		if _, err := io.Copy(w, f); err != nil {
			_ = w.Close()
			return fmt.Errorf("put %s: %w", key, err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
	}
	return os.Remove(path)
}

func copyFileDurable(src io.Reader, dst string) error {
	if err := fsutil.MkdirAllDurable(filepath.Dir(dst)); err != nil {
		return err
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// ReadAll returns the object's contents, or an error wrapping ErrNotFound.
func (b *Bucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	data, err := b.b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("read %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}

// Download copies the object to the local file path, durably.
func (b *Bucket) Download(ctx context.Context, key, path string) error {
	r, err := b.b.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("download %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	defer r.Close()
	if err := copyFileDurable(r, path); err != nil {
		return fmt.Errorf("download %s: %w", key, err)
	}
	return nil
}

// List returns the objects whose keys start with prefix, in key order.
// Temporary files of interrupted local writes are not objects.
func (b *Bucket) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	it := b.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		if obj.IsDir || isTempKey(obj.Key) {
			continue
		}
		out = append(out, ObjectInfo{Key: obj.Key, Size: obj.Size})
	}
}

// Delete removes the object; a missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	err := b.b.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// SweepTemp removes temporary files that interrupted local writes left
// under prefix. It is a no-op for remote buckets, whose writes are atomic.
func (b *Bucket) SweepTemp(prefix string) (int, error) {
	if b.local == "" {
		return 0, nil
	}
	root := filepath.Join(b.local, filepath.FromSlash(prefix))
	n := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && isTempKey(path) {
			if err := os.Remove(path); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func isTempKey(key string) bool {
	return strings.HasSuffix(key, ".tmp") || strings.Contains(key, ".tmp-")
}

// Close releases the bucket.
func (b *Bucket) Close() error { return b.b.Close() }
