package gguf

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/synth"
)

// tensors reads every tensor of a GGUF file: infos and raw data by name.
func tensors(t testing.TB, path string) (*File, map[string][]byte) {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	out := map[string][]byte{}
	for _, ti := range f.Tensors {
		s, err := f.Section(fd, ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		out[ti.Name] = b
	}
	return f, out
}

func synthModel(t testing.TB, o synth.ModelOptions) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if err := synth.Model(context.Background(), dir, o); err != nil {
		t.Fatal(err)
	}
	return dir
}

func export(t testing.TB, dir string, o Options) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), string(o.Type)+".gguf")
	if err := Export(context.Background(), dir, out, o); err != nil {
		t.Fatal(err)
	}
	return out
}

// llamaQuantizer compiles testdata/quantize.c against node-llama-cpp's
// libllama with the system C compiler.
func llamaQuantizer(t testing.TB) string {
	t.Helper()
	l := testenv.RequireLlama(t)
	cc := testenv.RequireTool(t, "cc")
	bin := filepath.Join(t.TempDir(), "quantize")
	args := []string{"-O2", "-o", bin, "testdata/quantize.c", "-Wl,-rpath," + l.Lib}
	for _, so := range []string{"libllama.v0.4.0.so", "libggml-base.so", "libggml.v0.4.0.so"} {
		args = append(args, filepath.Join(l.Lib, so))
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return bin
}

// llamaQuantize runs llama.cpp's quantizer and returns its seconds.
func llamaQuantize(t testing.TB, bin, in, out string, ftype uint32, threads int) string {
	t.Helper()
	cmd := exec.Command(bin, in, out, strconv.Itoa(int(ftype)), strconv.Itoa(threads))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama_model_quantize %s: %v\n%s", in, err, cmd.Stderr)
	}
	return strings.TrimSpace(string(b))
}
