package layer

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkCodecFile measures each codec on the file named by
// CKPT_BENCH_FILE (bench/codec.sh sets it): encode and decode wall-clock
// MB/s of input and the ratio. The file is read into memory once, so disk
// speed does not count.
func BenchmarkCodecFile(b *testing.B) {
	path := os.Getenv("CKPT_BENCH_FILE")
	if path == "" {
		b.Skip("CKPT_BENCH_FILE is not set (bench/codec.sh sets it)")
	}
	in, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		encode func(w io.Writer, r io.Reader) error
		decode func(w io.Writer, r io.Reader) error
	}{
		{"float", func(w io.Writer, r io.Reader) error {
			_, err := EncodeFloat(context.Background(), w, r, FloatOptions{})
			return err
		}, func(w io.Writer, r io.Reader) error {
			_, err := DecodeFloat(context.Background(), w, r, FloatOptions{})
			return err
		}},
		{"zstd", func(w io.Writer, r io.Reader) error {
			zw, err := NewZstdWriter(w)
			if err != nil {
				return err
			}
			if _, err := io.Copy(zw, r); err != nil {
				return err
			}
			return zw.Close()
		}, func(w io.Writer, r io.Reader) error {
			zr, err := NewZstdReader(r)
			if err != nil {
				return err
			}
			defer zr.Close()
			_, err = io.Copy(w, zr)
			return err
		}},
	} {
		var enc bytes.Buffer
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				enc.Reset()
				if err := c.encode(&enc, bytes.NewReader(in)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(in))/float64(enc.Len()), "ratio")
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := c.decode(discard{}, bytes.NewReader(enc.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
