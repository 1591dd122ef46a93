package lake

import (
	"slices"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is the segments' Parquet compression codec: zstd at one level,
// with its encoders kept on a free list for the life of the process.
// parquet-go's own zstd codec keeps them in a sync.Pool, which every garbage
// collection empties; ingest collects often (it runs under a memory limit),
// so most pages paid for a new encoder and its history buffers (on the 1M
// bench trail, 2.7 GB of 24.7 GB allocated). The free list holds at most
// maxIdle encoders; more concurrent writers make more, which are dropped
// when the list is full.
type zstdCodec struct {
	level zstd.EncoderLevel
	idle  chan *zstd.Encoder
}

// maxIdle bounds the encoders a codec keeps: segment writers run one per
// core (WriteRowDays), and more on a big machine gain little.
const maxIdle = 8

func newZstdCodec(level zstd.EncoderLevel) *zstdCodec {
	return &zstdCodec{level: level, idle: make(chan *zstd.Encoder, maxIdle)}
}

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	var e *zstd.Encoder
	select {
	case e = <-c.idle:
	default:
		var err error
		e, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(c.level),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
		if err != nil {
			return nil, err
		}
	}
	out := e.EncodeAll(src, dst[:0])
	select {
	case c.idle <- e:
	default:
	}
	return out, nil
}

// Decode is not used by the writers it serves (readers take the codec the
// file names from parquet-go); it is here to satisfy the interface.
func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.DecodeAll(src, dst[:0])
}

// jsonCodec compresses the eventJson column of store segments. The column
// is four fifths of the bytes a segment compresses (1,530 of 1,906 bytes an
// event on the bench trail), so its level sets ingest's compression cost:
// "default" compresses it about twice as fast as "better". Rows clustered
// by principal first (cluster.go) give "default" the ratio "better" had
// with rows clustered by event name alone. The other columns stay at
// segmentCodec's "better": they are a fifth of the input and gain more
// from it (docs/format/lake.md, "Compression").
var jsonCodec = newZstdCodec(zstd.SpeedDefault)

var (
	eventSchema      = withColumnCodec(parquet.SchemaOf(Event{}), "eventJson", jsonCodec)
	auditEventSchema = withColumnCodec(parquet.SchemaOf(AuditEvent{}), "eventJson", jsonCodec)
)

// segmentSchema returns the schema store segments of R are written with:
// R's own, its eventJson column compressed by jsonCodec. parquet-go keeps
// its direct struct-to-column path for it, as the schema equals R's in all
// but compression.
func segmentSchema[R Row]() *parquet.Schema {
	switch any((*R)(nil)).(type) {
	case *Event:
		return eventSchema
	case *AuditEvent:
		return auditEventSchema
	}
	panic("lake: unknown row type")
}

// withColumnCodec returns schema with its top-level leaf column name
// compressed by codec.
func withColumnCodec(schema *parquet.Schema, name string, codec compress.Codec) *parquet.Schema {
	fields := slices.Clone(schema.Fields())
	found := false
	for i, f := range fields {
		if f.Name() == name && f.Leaf() {
			fields[i], found = codecField{f, codec}, true
		}
	}
	if !found {
		panic("lake: no leaf column " + name + " in schema " + schema.Name())
	}
	return parquet.NewSchema(schema.Name(), fieldsNode{schema, fields})
}

// fieldsNode is a group node with its fields replaced.
type fieldsNode struct {
	parquet.Node
	fields []parquet.Field
}

func (n fieldsNode) Fields() []parquet.Field { return n.fields }

// codecField is a leaf field with its own compression codec.
type codecField struct {
	parquet.Field
	codec compress.Codec
}

func (f codecField) Compression() compress.Codec { return f.codec }
