package gguf

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func sample(t testing.TB) ([]KV, []TensorInfo, [][]byte) {
	kv := []KV{
		{"general.architecture", "llama"},
		{"general.alignment", uint32(64)},
		{"llama.block_count", uint32(2)},
		{"llama.rope.freq_base", float32(1e6)},
		{"flag", true}, {"i8", int8(-3)}, {"u64", uint64(1 << 40)}, {"f64", 0.25},
		{"tokenizer.ggml.tokens", []string{"a", "b", ""}},
		{"tokenizer.ggml.token_type", []int32{1, 3, 6}},
		{"scores", []float32{0, -1.5}},
		{"bytes", []uint8{1, 2, 3}},
	}
	infos := []TensorInfo{
		{Name: "a", Shape: []uint64{3}, Type: F32},
		{Name: "b", Shape: []uint64{32, 2}, Type: Q8_0},
		{Name: "c", Shape: []uint64{5}, Type: F16},
	}
	data := [][]byte{bytes.Repeat([]byte{1}, 12), bytes.Repeat([]byte{2}, 68), bytes.Repeat([]byte{3}, 10)}
	return kv, infos, data
}

func encode(t testing.TB, kv []KV, infos []TensorInfo, data [][]byte) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, kv, infos)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range infos {
		if err := w.WriteTensor(in.Name, func(w io.Writer) error { _, err := w.Write(data[i]); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	kv, infos, data := sample(t)
	b := encode(t, kv, infos, data)
	if !bytes.Equal(b, encode(t, kv, infos, data)) {
		t.Fatal("two encodings differ")
	}
	f, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.KV, kv) {
		t.Errorf("metadata\n got %#v\nwant %#v", f.KV, kv)
	}
	if f.Alignment != 64 || f.DataOffset%64 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment, f.DataOffset)
	}
	wantOff := []uint64{0, 64, 192}
	for i, ti := range f.Tensors {
		if ti.Offset != wantOff[i] || ti.Name != infos[i].Name || ti.Type != infos[i].Type {
			t.Errorf("tensor %d: %+v", i, ti)
		}
		got := b[f.DataOffset+int64(ti.Offset):][:len(data[i])]
		if !bytes.Equal(got, data[i]) {
			t.Errorf("tensor %s data differs", ti.Name)
		}
	}
	if int64(len(b)) != f.DataOffset+192+10 {
		t.Errorf("file is %d bytes, want no padding after the last tensor", len(b))
	}
}

func TestWriterErrors(t *testing.T) {
	kv, infos, data := sample(t)
	cases := map[string]func() error{
		"alignment 48": func() error {
			_, err := NewWriter(io.Discard, []KV{{"general.alignment", uint32(48)}}, infos)
			return err
		},
		"duplicate tensor": func() error {
			_, err := NewWriter(io.Discard, kv, append(infos, infos[0]))
			return err
		},
		"row not a multiple of the block": func() error {
			_, err := NewWriter(io.Discard, kv, []TensorInfo{{Name: "x", Shape: []uint64{33}, Type: Q8_0}})
			return err
		},
		"unsupported value": func() error {
			_, err := NewWriter(io.Discard, []KV{{"x", []any{1}}}, nil)
			return err
		},
		"out of order": func() error {
			w, _ := NewWriter(io.Discard, kv, infos)
			return w.WriteTensor("b", func(io.Writer) error { return nil })
		},
		"short tensor": func() error {
			w, _ := NewWriter(io.Discard, kv, infos)
			return w.WriteTensor("a", func(w io.Writer) error { _, err := w.Write(data[0][:4]); return err })
		},
		"missing tensor": func() error {
			w, _ := NewWriter(io.Discard, kv, infos)
			return w.Close()
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadErrors(t *testing.T) {
	kv, infos, data := sample(t)
	good := encode(t, kv, infos, data)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"magic":     mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":   mut(func(b []byte) []byte { b[4] = 9; return b }),
		"truncated": good[:len(good)-1],
		"huge kv count": mut(func(b []byte) []byte {
			copy(b[16:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f})
			return b
		}),
		"huge tensor count": mut(func(b []byte) []byte {
			copy(b[8:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f})
			return b
		}),
		"header only": good[:30],
	}
	for name, b := range cases {
		_, err := Read(bytes.NewReader(b), int64(len(b)))
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A tensor offset that breaks tensor-info order is refused as llama.cpp does.
	i := bytes.Index(good, []byte("c\x01\x00\x00\x00"))
	b := append([]byte(nil), good...)
	b[i+1+4+8+4] = 0xc8 // offset 192 → 200
	if _, err := Read(bytes.NewReader(b), int64(len(b))); err == nil || !strings.Contains(err.Error(), "expected 192") {
		t.Errorf("bad offset: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	kv, infos, data := sample(f)
	f.Add(encode(f, kv, infos, data))
	f.Add(encode(f, nil, nil, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Read(bytes.NewReader(b), int64(len(b)))
		if err == nil && g.DataOffset > int64(len(b)) && len(g.Tensors) > 0 {
			t.Fatalf("data offset %d beyond %d bytes with tensors", g.DataOffset, len(b))
		}
	})
}
