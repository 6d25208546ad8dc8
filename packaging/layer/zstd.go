package layer

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// ZstdLevel is the fixed zstd level of ckpt's layers. Together with the
// pinned klauspost/compress version it fixes the output bytes.
const ZstdLevel = zstd.SpeedDefault

// NewZstdWriter returns a deterministic zstd encoder writing to w. All-literal
// entropy coding is on: without it klauspost stores bf16 weights (which have
// almost no LZ matches) uncompressed, at ratio 1.00.
func NewZstdWriter(w io.Writer) (*zstd.Encoder, error) {
	enc, err := zstd.NewWriter(w,
		zstd.WithEncoderLevel(ZstdLevel),
		zstd.WithAllLitEntropyCompression(true),
		zstd.WithEncoderCRC(true),
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	return enc, nil
}

// NewZstdReader returns a zstd decoder of r with a bounded window, so that a
// hostile frame cannot ask for unbounded memory.
func NewZstdReader(r io.Reader) (*zstd.Decoder, error) {
	dec, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(1<<27), zstd.WithDecoderConcurrency(2))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	return dec, nil
}
