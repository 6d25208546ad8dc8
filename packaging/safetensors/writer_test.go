package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReadRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.safetensors")
	in := []Tensor{
		{Spec{"b.weight", BF16, []int64{2, 3}}, bytes.Repeat([]byte{1}, 12)},
		{Spec{"a.weight", BF16, []int64{2}}, []byte{1, 2, 3, 4}},
		{Spec{"ids", I64, []int64{1}}, []byte{9, 0, 0, 0, 0, 0, 0, 0}},
		{Spec{"scale", F32, []int64{}}, []byte{0, 0, 128, 63}},
		{Spec{"mask", BOOL, []int64{0}}, nil},
	}
	if err := WriteFile(p, in, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want -rw-r--r-- like any checkpoint file", fi.Mode(), err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", f.Metadata)
	}
	if (f.DataOffset-8)%8 != 0 {
		t.Errorf("header length %d not padded to 8", f.DataOffset-8)
	}
	var order []string
	for _, ti := range f.Tensors {
		order = append(order, ti.Name)
	}
	// Descending alignment (I64 > F32 > BF16 > BOOL), then name.
	if got := strings.Join(order, ","); got != "ids,scale,a.weight,b.weight,mask" {
		t.Errorf("order %s", got)
	}
	for _, tc := range in {
		got, err := f.Bytes(tc.Name)
		if err != nil || !bytes.Equal(got, tc.Data) {
			t.Errorf("%s: %v %v", tc.Name, got, err)
		}
	}
	if s, _ := f.Floats("scale"); s[0] != 1 {
		t.Errorf("scale %v", s)
	}
	if _, err := f.Bytes("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
}

func TestCreateCommit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.safetensors")
	w, err := Create(p, []Spec{{"w", BF16, []int64{2}}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAt("w", []byte{1, 2, 3, 4}, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v (%v), want -rw-r--r--", fi.Mode(), err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := f.Bytes("w"); err != nil || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
		t.Fatalf("w = %v, %v", b, err)
	}
}

func TestCreateAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.safetensors")
	w, err := Create(p, []Spec{{"w", BF16, []int64{2}}}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("%s visible before Commit: %v", p, err)
	}
	w.Abort()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left after Abort", len(ents))
	}
}

func TestNoMetadataDeterministic(t *testing.T) {
	specs := []Spec{{"x", F16, []int64{4}}, {"y", F16, []int64{1}}}
	l1, _ := Plan(specs, WriteOptions{NoMetadata: true})
	l2, _ := Plan([]Spec{specs[1], specs[0]}, WriteOptions{NoMetadata: true})
	if !bytes.Equal(l1.Header, l2.Header) {
		t.Fatal("header depends on input order")
	}
	n := binary.LittleEndian.Uint64(l1.Header)
	if strings.Contains(string(l1.Header), "__metadata__") || n%8 != 0 {
		t.Fatalf("header %q", l1.Header[8:])
	}
	if _, err := Plan([]Spec{{"x", "F128", nil}}, WriteOptions{}); err == nil {
		t.Error("unknown dtype accepted")
	}
	if _, err := Plan([]Spec{specs[0], specs[0]}, WriteOptions{}); err == nil {
		t.Error("duplicate name accepted")
	}
}

func TestWriterOrderEnforced(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []Spec{{"a", U8, []int64{1}}, {"b", U8, []int64{1}}}, WriteOptions{})
	if err := w.WriteTensor("b", bytes.NewReader([]byte{1})); err == nil {
		t.Error("out of order write accepted")
	}
	if err := w.WriteTensor("a", bytes.NewReader(nil)); err == nil {
		t.Error("short tensor accepted")
	}
}

func TestFloatRounding(t *testing.T) {
	for _, tc := range []struct {
		f    float32
		bf16 uint16
		f16  uint16
	}{
		{1, 0x3f80, 0x3c00},
		{-2, 0xc000, 0xc000},
		{math.Float32frombits(0x3f808000), 0x3f80, 0x3c04}, // bf16 tie → even
		{math.Float32frombits(0x3f818000), 0x3f82, 0x3c0c}, // bf16 tie → even (up)
		{65520, 0x4780, 0x7c00},                            // f16 overflow
		{65504, 0x4780, 0x7bff},
		{5.960464477539063e-08, 0x3380, 0x0001},   // smallest f16 subnormal
		{2.98023223876953125e-08, 0x3300, 0x0000}, // tie → even (0)
		{float32(math.Inf(-1)), 0xff80, 0xfc00},
	} {
		if got := F32ToBF16(tc.f); got != tc.bf16 {
			t.Errorf("bf16(%g) = %#x, want %#x", tc.f, got, tc.bf16)
		}
		if got := F32ToF16(tc.f); got != tc.f16 {
			t.Errorf("f16(%g) = %#x, want %#x", tc.f, got, tc.f16)
		}
	}
	// Every f16 value round-trips through f32.
	for h := 0; h < 1<<16; h++ {
		f := F16ToF32(uint16(h))
		if f != f {
			continue
		}
		if got := F32ToF16(f); got != uint16(h) {
			t.Fatalf("f16 %#x → %g → %#x", h, f, got)
		}
	}
	if nan := F32ToBF16(float32(math.NaN())); BF16ToF32(nan) == BF16ToF32(nan) {
		t.Error("NaN lost")
	}
}

func TestIndex(t *testing.T) {
	dir := t.TempDir()
	WriteFile(filepath.Join(dir, "model-00001-of-00002.safetensors"), []Tensor{{Spec{"a", U8, []int64{2}}, []byte{1, 2}}}, WriteOptions{})
	WriteFile(filepath.Join(dir, "model-00002-of-00002.safetensors"), []Tensor{{Spec{"b", U8, []int64{1}}, []byte{3}}}, WriteOptions{})
	idx := &Index{Metadata: IndexMetadata{TotalSize: 3}, WeightMap: map[string]string{
		"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
	p := filepath.Join(dir, "model.safetensors.index.json")
	if err := WriteIndex(p, idx); err != nil {
		t.Fatal(err)
	}
	got, err := ReadIndex(p)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := got.Verify(dir); err != nil || len(w) != 0 {
		t.Fatalf("verify: %v %v", w, err)
	}
	got.Metadata.TotalSize = 4
	if w, _ := got.Verify(dir); len(w) != 1 {
		t.Error("total_size mismatch not warned")
	}
	got.WeightMap["c"] = "model-00002-of-00002.safetensors"
	if _, err := got.Verify(dir); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("phantom tensor: %v", err)
	}
	delete(got.WeightMap, "c")
	got.WeightMap["b"] = "model-00001-of-00002.safetensors"
	if _, err := got.Verify(dir); err == nil {
		t.Error("wrong shard accepted")
	}
	got.WeightMap["b"] = "missing.safetensors"
	if _, err := got.Verify(dir); !os.IsNotExist(errorsUnwrapAll(err)) {
		t.Errorf("missing shard: %v", err)
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func BenchmarkReadHeader(b *testing.B) {
	var specs []Spec
	for i := 0; i < 300; i++ {
		specs = append(specs, Spec{Name: "layers." + string(rune('a'+i%26)) + ".w" + string(rune('0'+i%10)) + strings.Repeat("x", i%7), DType: BF16, Shape: []int64{64, 64}})
	}
	l, err := Plan(uniq(specs), WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	file := append(append([]byte{}, l.Header...), make([]byte, l.Size()-l.DataOffset())...)
	b.SetBytes(int64(len(l.Header)))
	for b.Loop() {
		if _, err := ReadHeader(bytes.NewReader(file), int64(len(file))); err != nil {
			b.Fatal(err)
		}
	}
}

func uniq(s []Spec) []Spec {
	seen := map[string]bool{}
	var out []Spec
	for _, x := range s {
		if !seen[x.Name] {
			seen[x.Name] = true
			out = append(out, x)
		}
	}
	return out
}

func BenchmarkWriteRead(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 16<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p := filepath.Join(dir, "x.safetensors")
		if err := WriteFile(p, []Tensor{{Spec{"w", BF16, []int64{8 << 20}}, data}}, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		f, err := Open(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.ReadAt("w", data, 0); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
