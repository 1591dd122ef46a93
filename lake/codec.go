package lake

import (
	"github.com/klauspost/compress/zstd"
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
