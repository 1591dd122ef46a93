package lake_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/auditlake/auditlake/lake"
)

// TestBucketAcceptance runs the same checks against every backend that
// needs no outside service. The S3 backend runs them in the S3 suite.
func TestBucketAcceptance(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"file": func(t *testing.T) string { return "file://" + filepath.ToSlash(t.TempDir()) },
		"mem":  func(*testing.T) string { return "mem://" },
	} {
		t.Run(name, func(t *testing.T) {
			b, err := lake.OpenBucket(context.Background(), url(t))
			require.NoError(t, err)
			t.Cleanup(func() { _ = b.Close() })
			BucketAcceptance(t, b)
		})
	}
}

// BucketAcceptance is the contract every bucket backend meets.
func BucketAcceptance(t *testing.T, b *lake.Bucket) {
	ctx := context.Background()
	_, err := b.ReadAll(ctx, "missing")
	require.ErrorIs(t, err, lake.ErrNotFound)
	require.NoError(t, b.Delete(ctx, "missing"), "deleting nothing is fine")

	require.NoError(t, b.WriteAll(ctx, "a/1.json", []byte("one"), true))
	err = b.WriteAll(ctx, "a/1.json", []byte("other"), true)
	require.ErrorIs(t, err, lake.ErrExists)
	got, err := b.ReadAll(ctx, "a/1.json")
	require.NoError(t, err)
	require.Equal(t, "one", string(got), "a refused conditional write changes nothing")

	require.NoError(t, b.WriteAll(ctx, "a/1.json", []byte("replaced"), false))
	got, err = b.ReadAll(ctx, "a/1.json")
	require.NoError(t, err)
	require.Equal(t, "replaced", string(got))

	src := filepath.Join(t.TempDir(), "seg")
	require.NoError(t, os.WriteFile(src, []byte("segment bytes"), 0o644))
	require.NoError(t, b.PutFile(ctx, "a/b/2.parquet", src))
	require.NoFileExists(t, src)

	objs, err := b.List(ctx, "a/")
	require.NoError(t, err)
	require.Equal(t, []lake.ObjectInfo{{Key: "a/1.json", Size: 8}, {Key: "a/b/2.parquet", Size: 13}}, objs)

	dst := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, b.Download(ctx, "a/b/2.parquet", dst))
	data, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, "segment bytes", string(data))

	require.NoError(t, b.Delete(ctx, "a/1.json"))
	objs, err = b.List(ctx, "a/")
	require.NoError(t, err)
	require.Len(t, objs, 1)
}
