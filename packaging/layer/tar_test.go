package layer

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteTarFileDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := WriteTarFile(buf, "dir/model.safetensors", 0o600, 5, strings.NewReader("hello"), TarOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes differ")
	}
	tr := tar.NewReader(&a)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "dir/model.safetensors" || h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" ||
		h.ModTime.Unix() != 0 || h.Size != 5 {
		t.Errorf("header %+v", h)
	}
	sum := sha256.Sum256(b.Bytes())
	if got := hex.EncodeToString(sum[:]); got != "8e2b1ab692314e53b37b45faac06ace12cfc3324c2f4c02004530b61fb4c5b9f" {
		t.Errorf("tar digest %s changed: the fixed header recipe drifted", got)
	}
	if err := WriteTarFile(io.Discard, "x", 0o644, 10, strings.NewReader("short"), TarOptions{}); err == nil {
		t.Error("short reader accepted")
	}
}

// TestZstdGolden pins zstd output bytes for the pinned klauspost version
// and settings, and checks bf16 weights actually compress.
func TestZstdGolden(t *testing.T) {
	in := bf16Normal(1<<20, 0.02)
	var buf bytes.Buffer
	zw, err := NewZstdWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(in)
	zw.Close()
	if r := float64(len(in)) / float64(buf.Len()); r < 1.2 {
		t.Errorf("zstd ratio %.3f on bf16: all-literal entropy coding is off", r)
	}
	sum := sha256.Sum256(buf.Bytes())
	const want = "0dce23aea30e3affeea420d4c7058acac33e334c1646b99a15d3289eb1b86c3e"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("zstd output digest %s, want %s (klauspost/compress or settings changed)", got, want)
	}
	dec, err := NewZstdReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(dec)
	if err != nil || !bytes.Equal(out, in) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestCheckPath(t *testing.T) {
	for _, ok := range []string{"a", "a/b.json", "./a", "a/./b"} {
		if _, err := CheckPath(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/../../x", "a/..", "/etc/passwd", `a\..\x`, "C:/x"[2:] + "/../.."} {
		if _, err := CheckPath(bad); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestEncodingOf(t *testing.T) {
	for mt, want := range map[string]Encoding{
		"application/vnd.cncf.model.weight.v1.raw":          Raw,
		"application/vnd.cncf.model.weight.v1.tar":          Tar,
		"application/vnd.cncf.model.doc.v1.tar+zstd":        TarZstd,
		"application/vnd.cnai.model.weight.v1.tar+gzip":     TarGzip,
		"application/vnd.kitops.modelkit.model.v1.tar+gzip": TarGzip,
		"application/vnd.ckpt.weight.v1.raw+bplane":         Float,
		"application/vnd.docker.ai.gguf.v3":                 Raw,
	} {
		if got := EncodingOf(mt); got != want {
			t.Errorf("%s: %v, want %v", mt, got, want)
		}
	}
}

// sparseTar is a PAX GNU sparse 0.1 archive of a few blocks whose one
// entry expands to a terabyte of zeros. Go's tar writer drops GNU.sparse
// records, so they are written under another name and renamed in place
// (PAX records are not covered by the header checksum).
func sparseTar(t testing.TB) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	err := tw.WriteHeader(&tar.Header{Name: "model.safetensors", Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"XXX.sparse.major": "0", "XXX.sparse.minor": "1",
			"XXX.sparse.size": "1000000000000", "XXX.sparse.numblocks": "1", "XXX.sparse.map": "0,0"}})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	return bytes.ReplaceAll(b.Bytes(), []byte("XXX.sparse"), []byte("GNU.sparse"))
}

func TestExtractTarRefusesSparse(t *testing.T) {
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, err = ExtractTar(bytes.NewReader(sparseTar(t)), root, ExtractOptions{})
	if !errors.Is(err, ErrUnsafePath) || !strings.Contains(err.Error(), "model.safetensors") || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("err = %v, want a sparse-file refusal naming the entry", err)
	}
	if _, err := root.Stat("model.safetensors"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("sparse entry was written: %v", err)
	}
}

func FuzzExtractTar(f *testing.F) {
	f.Add(sparseTar(f))
	var buf bytes.Buffer
	WriteTarFile(&buf, "a/b.txt", 0o644, 3, strings.NewReader("abc"), TarOptions{})
	f.Add(buf.Bytes())
	var evil bytes.Buffer
	tw := tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../.."})
	tw.WriteHeader(&tar.Header{Name: "l/x", Typeflag: tar.TypeReg, Size: 1})
	tw.Write([]byte("x"))
	tw.Close()
	f.Add(evil.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "out")
		os.Mkdir(dir, 0o755)
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		ExtractTar(bytes.NewReader(b), root, ExtractOptions{})
		ents, _ := os.ReadDir(parent)
		if len(ents) != 1 {
			t.Fatalf("wrote outside the destination: %v", ents)
		}
	})
}

func TestWriteTarFileParents(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTarFile(&buf, "a/b/c.txt", 0o644, 2, strings.NewReader("hi"), TarOptions{Parents: true}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, fmt.Sprintf("%s %c %o", h.Name, h.Typeflag, h.Mode))
	}
	if got := strings.Join(names, ", "); got != "a/ 5 755, a/b/ 5 755, a/b/c.txt 0 644" {
		t.Errorf("entries: %s", got)
	}
}
