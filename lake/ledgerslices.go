package lake

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"
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
	prefix, err := ledgerKey(nil, storeID, digest)
	if err != nil {
		return nil, err
	}
	n := 2 + len(storeID) // the store's prefix (ledgerStorePrefix)
	l.ledgerMu.RLock()
	defer l.ledgerMu.RUnlock()
	if l.ledger == nil {
		return nil, l.noLedger()
	}
	it, err := l.ledger.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return nil, fmt.Errorf("ingest ledger: %w", err)
	}
	var out []SourceRecord
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if rest := k[len(prefix):]; len(rest) > 0 && !strings.HasPrefix(string(rest), SliceSep) {
			continue // another digest that starts with this one's text
		}
		var rec SourceRecord
		if rec.Digest, err = ledgerKeyDigest(k, n); err != nil {
			break
		}
		v, verr := it.ValueAndErr()
		if verr != nil {
			err = verr
			break
		}
		if err = decodeSourceValue(v, &rec); err != nil {
			break
		}
		out = append(out, rec)
	}
	return out, errors.Join(err, it.Error(), it.Close())
}
