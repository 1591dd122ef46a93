package lake

import (
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"
)

// Store segments compress eventJson with jsonCodec and every other column
// with the writer's codec, through a schema parquet-go takes as R's own (so
// it keeps writing struct fields straight to columns).
func TestSegmentSchemaCompressesEventJSONWithItsCodec(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema *parquet.Schema
		own    *parquet.Schema
	}{
		{"Event", segmentSchema[Event](), parquet.SchemaOf(Event{})},
		{"AuditEvent", segmentSchema[AuditEvent](), parquet.SchemaOf(AuditEvent{})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, parquet.EqualNodes(tc.schema, tc.own), "the schema is R's in all but compression")
			require.Equal(t, len(tc.own.Columns()), len(tc.schema.Columns()))
			withCodec := 0
			for _, path := range tc.schema.Columns() {
				leaf, ok := tc.schema.Lookup(path...)
				require.True(t, ok, "%v", path)
				codec := leaf.Node.Compression()
				if len(path) == 1 && path[0] == "eventJson" {
					require.Same(t, jsonCodec, codec)
					withCodec++
				} else {
					require.Nil(t, codec, "%v takes the writer's codec", path)
				}
			}
			require.Equal(t, 1, withCodec)
		})
	}
	require.Panics(t, func() { withColumnCodec(parquet.SchemaOf(Event{}), "userIdentity", jsonCodec) }, "a group is not a leaf column")
}
