package lake

import (
	"bytes"
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// SliceSep separates an input's digest from the event-time slice in a
// ledger entry for part of an input: "<digest>@<slice>". An entry without
// it stands for the whole input. The import job takes only the events of a
// time range from the files at the edges of the range, and records which.
const SliceSep = "@"

// IngestedSlices returns the store's ledger entries for the input with this
// digest: the whole-input entry (Digest equal to digest) and every slice
// entry ("<digest>@..."), in key order.
func (l *Lake) IngestedSlices(ctx context.Context, storeID, digest string) ([]SourceRecord, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	var out []SourceRecord
	err := l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSources).Bucket([]byte(storeID))
		if b == nil {
			return nil
		}
		prefix := []byte(digest)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			rest := k[len(prefix):]
			if len(rest) > 0 && !bytes.HasPrefix(rest, []byte(SliceSep)) {
				continue
			}
			var rec SourceRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	return out, err
}
