package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// raw builds a file from header text and n data bytes.
func raw(header string, n int) []byte {
	b := make([]byte, 8, 8+len(header)+n)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func parse(b []byte) (*Header, error) { return ReadHeader(bytes.NewReader(b), int64(len(b))) }

func TestMinimalFile(t *testing.T) {
	b := raw(`{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}`, 16)
	if len(b) != 84 {
		t.Fatalf("minimal file is %d bytes, want 84", len(b))
	}
	h, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	ti, ok := h.Tensor("test")
	if !ok || ti.DType != I32 || ti.Elements() != 4 || h.DataOffset != 68 {
		t.Fatalf("got %+v", ti)
	}
}

func TestReaderRules(t *testing.T) {
	long := make([]byte, 8)
	binary.LittleEndian.PutUint64(long, MaxHeaderSize+1)
	for _, tc := range []struct {
		name string
		file []byte
		want error
		in   string // the error must name this
	}{
		{"too small", []byte{1, 2, 3}, ErrHeaderTooSmall, ""},
		{"header > 1e8", long, ErrHeaderTooLarge, ""},
		{"header beyond EOF", raw(`{}`, 0)[:9], ErrInvalidHeaderLength, ""},
		{"invalid utf8", raw("{\"a\xff\":{}}", 0), ErrInvalidHeader, ""},
		{"not json", raw(`{"a":`, 0), ErrHeaderJSON, ""},
		{"trailing garbage", raw(`{} x`, 0), ErrHeaderJSON, ""},
		{"duplicate key", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), ErrDuplicateKey, `"a"`},
		{"duplicate field", raw(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), ErrDuplicateKey, `"a"`},
		{"unknown dtype", raw(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), ErrUnknownDType, `"w"`},
		{"extra field", raw(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1), ErrHeaderJSON, `"w"`},
		{"missing field", raw(`{"w":{"dtype":"U8","shape":[1]}}`, 1), ErrHeaderJSON, `"w"`},
		{"negative dim", raw(`{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, 1), ErrHeaderJSON, `"w"`},
		{"metadata not string", raw(`{"__metadata__":{"n":1}}`, 0), ErrMetadata, ""},
		{"offset gap", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, 3), ErrInvalidOffset, `"b"`},
		{"offset overlap", raw(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 3), ErrInvalidOffset, `"b"`},
		{"not from zero", raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrInvalidOffset, `"a"`},
		{"end before begin", raw(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}`, 1), ErrInvalidOffset, ""},
		{"size mismatch", raw(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), ErrTensorInvalidInfo, `"w"`},
		{"F4 odd count", raw(`{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, 2), ErrMisaligned, `"w"`},
		{"overflow", raw(`{"w":{"dtype":"F64","shape":[281474976710655,281474976710655],"data_offsets":[0,8]}}`, 8), ErrOverflow, `"w"`},
		{"trailing byte", raw(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2), ErrIncompleteBuffer, ""},
		{"missing byte", raw(`{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, 1), ErrIncompleteBuffer, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.file)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.in) {
				t.Fatalf("error %q does not name %s", err, tc.in)
			}
		})
	}
}

func TestReaderAccepts(t *testing.T) {
	for name, b := range map[string][]byte{
		"trailing spaces": raw(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}    `, 1),
		"leading spaces":  raw(`  {"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1),
		"zero dim":        raw(`{"a":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1),
		"scalar":          raw(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4),
		"empty":           raw(`{}`, 0),
		"metadata":        raw(`{"__metadata__":{"format":"pt"}}`, 0),
		"F4 even count":   raw(`{"w":{"dtype":"F4","shape":[4],"data_offsets":[0,2]}}`, 2),
	} {
		if _, err := parse(b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	h, _ := parse(raw(`  {}`, 0))
	if len(h.Warnings) != 1 {
		t.Errorf("leading whitespace: no warning")
	}
}

func TestOpenNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(p, raw(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2), 0o644)
	_, err := Open(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name the file", err)
	}
}

func FuzzHeader(f *testing.F) {
	f.Add([]byte(`{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}`), int64(84))
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]}}`), int64(100))
	f.Add([]byte(`{"a":{"dtype":"F4","shape":[1],"data_offsets":[0,1]},"a":{}}`), int64(70))
	f.Fuzz(func(t *testing.T, header []byte, size int64) {
		h, err := ParseHeader(header, size)
		if err != nil {
			return
		}
		if h.DataOffset+h.DataSize() != size {
			t.Fatalf("accepted a header whose data ends at %d in a %d-byte file", h.DataOffset+h.DataSize(), size)
		}
		for _, ti := range h.Tensors {
			if got, ok := h.Tensor(ti.Name); !ok || got.Begin != ti.Begin {
				t.Fatalf("index broken for %q", ti.Name)
			}
		}
	})
}
