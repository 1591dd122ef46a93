package lake

// parquet-go v0.32.0 writes some NULL maps as empty maps. Its writer of an
// optional field that is neither a pointer nor a slice (in our rows: the
// maps) marks the rows of one Write call in a bitmap, one bit per row set
// when the map is not nil, and then writes runs of NULL and non-NULL rows.
// Where a non-NULL run starts inside a 64-row word, at bit y, it tests
// whether the rest of the word is all set against (1<<y)-1 instead of
// ^0>>y. So when the run is exactly y rows long and the rest of the word is
// NULL, the word's rows from 2y on are written as non-NULL: empty maps
// where the record had none. (Maps below a pointer are written one row per
// call and never meet it.)
//
// writeInOrder therefore ends a Write call just before the first row the
// test would get wrong (safeRows), and starts the next call there, where
// the bitmap starts afresh. That adds a few calls per 512-row chunk;
// writing two rows per call, which is always safe, took about 10% more CPU
// in BenchmarkWriteSegment (user CPU of 6 iterations, 3 runs each, on a
// loaded machine). The fix upstream is to compare with ^uint64(0)>>y; when
// a parquet-go release has it, this file can go.

// mapBits returns, for each map column that every row of a Write call
// reaches (Event's top-level maps; AuditEvent's eventData maps), a bit set
// when r's map is not nil, and the number of such columns.
func mapBits[R Row](r *R) (bits uint16, cols int) {
	var maps [8]map[string]string
	switch v := any(r).(type) {
	case *Event:
		maps = [8]map[string]string{v.RequestParameters, v.ResponseElements, v.AdditionalEventData,
			v.ServiceEventDetails, v.Addendum, v.EdgeDeviceDetails, v.InsightDetails}
		cols = 7
	case *AuditEvent:
		d := &v.EventData
		maps = [8]map[string]string{d.RequestParameters, d.ResponseElements, d.AdditionalEventData, d.UserIdentity.Details}
		cols = 4
	}
	for i, m := range maps[:cols] {
		if m != nil {
			bits |= 1 << i
		}
	}
	return bits, cols
}

// safeRows returns how many of rows, from the first, one Write call can
// take without meeting the bug; at least 2 when there are 2 rows or more.
func safeRows[R Row](rows []R, scratch []uint16) int {
	if len(rows) <= 2 {
		return len(rows)
	}
	masks := scratch[:0]
	cols := 0
	for i := range rows {
		b, c := mapBits(&rows[i])
		masks, cols = append(masks, b), c
	}
	n := len(rows)
	for {
		m := unsafeAt(masks[:n], cols)
		if m == n {
			return n
		}
		n = m // a shorter call has a different last word: check it again
	}
}

// unsafeAt returns the first row that a Write call of len(masks) rows
// would write wrongly, or len(masks).
func unsafeAt(masks []uint16, cols int) int {
	n := len(masks)
	first := n
	for k := range cols {
		for x := 0; x*64 < first; x++ {
			var w uint64
			for i := x * 64; i < min(x*64+64, n); i++ {
				w |= uint64(masks[i]>>k&1) << (i - x*64)
			}
			// A non-NULL run starting at y (bit y-1 clear) of exactly y
			// rows, with the rest of the word NULL: rows from 2y on, if
			// the call has them, are the ones written wrongly.
			for y := 1; y < 32; y++ {
				if w>>y == 1<<y-1 && w>>(y-1)&1 == 0 {
					if p := x*64 + 2*y; p < first {
						first = p
					}
				}
			}
		}
	}
	return first
}
