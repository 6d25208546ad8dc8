package tree_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/tree"
)

// write creates the files (slash paths → contents) under dir.
func write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// list returns the regular files under dir (slash paths → contents).
func list(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func checkpoint(t *testing.T) string {
	src := t.TempDir()
	write(t, src, map[string]string{
		"config.json":                        `{"dim": 8}`,
		"model.safetensors":                  "weights",
		"tokenizer/tokenizer.json":           "{}",
		".gitattributes":                     "*.safetensors filter=lfs",
		".cache/huggingface/download/x.lock": "",
		"tokenizer/.hidden":                  "no",
	})
	// links to nothing and to a folder are left out
	if err := os.Symlink("missing.safetensors", filepath.Join(src, "link.safetensors")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tokenizer", filepath.Join(src, "tok")); err != nil {
		t.Fatal(err)
	}
	return src
}

// snapshot is a Hugging Face cache snapshot: every file a relative link to
// a blob outside the folder.
func snapshot(t *testing.T) (dir, blob string) {
	root := t.TempDir()
	write(t, root, map[string]string{"blobs/abc": "weights", "blobs/def": `{"dim": 8}`})
	dir = filepath.Join(root, "snapshots", "main")
	os.MkdirAll(dir, 0o755)
	for name, b := range map[string]string{"model.safetensors": "abc", "config.json": "def"} {
		if err := os.Symlink(filepath.Join("..", "..", "blobs", b), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, filepath.Join(root, "blobs", "abc")
}

func TestLinkCarriesLinksToFiles(t *testing.T) {
	src, blob := snapshot(t)
	dst := t.TempDir()
	n, err := tree.Link(t.Context(), src, dst, tree.Options{})
	if err != nil || n != 2 {
		t.Fatalf("Link of a cache snapshot: %d files, %v", n, err)
	}
	a, _ := os.Stat(blob)
	b, _ := os.Lstat(filepath.Join(dst, "model.safetensors"))
	if !os.SameFile(a, b) {
		t.Error("model.safetensors is not a hard link to the blob its link resolves to")
	}
}

func TestLinkRefer(t *testing.T) {
	src, blob := snapshot(t)
	dst := t.TempDir()
	n, err := tree.Link(t.Context(), src, dst, tree.Options{Refer: true})
	if err != nil || n != 2 {
		t.Fatalf("Link with Refer: %d files, %v", n, err)
	}
	if target, err := os.Readlink(filepath.Join(dst, "model.safetensors")); err != nil || target != blob {
		t.Errorf("model.safetensors links to %q (%v), want the absolute path %s", target, err, blob)
	}
	if fi, _ := os.Stat(blob); fi.Sys().(*syscall.Stat_t).Nlink != 1 {
		t.Error("Refer hard-linked the user's file")
	}
	src = checkpoint(t)
	dst = t.TempDir()
	if n, err := tree.Link(t.Context(), src, dst, tree.Options{Refer: true}); err != nil || n != 3 {
		t.Fatalf("Link with Refer: %d files, %v", n, err)
	}
	if target, _ := os.Readlink(filepath.Join(dst, "tokenizer", "tokenizer.json")); target != filepath.Join(src, "tokenizer", "tokenizer.json") {
		t.Errorf("tokenizer/tokenizer.json links to %q", target)
	}
}

func TestReferFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a": "bytes"})
	t.Chdir(dir)
	if err := tree.ReferFile("a", filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "b")); target != filepath.Join(dir, "a") {
		t.Errorf("a relative source gave a link to %q, want an absolute path", target)
	}
	if err := tree.ReferFile("a", filepath.Join(dir, "b")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("ReferFile over an existing file: %v, want fs.ErrExist", err)
	}
	if err := tree.ReferFile("missing", filepath.Join(dir, "c")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReferFile of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLinkTree(t *testing.T) {
	src := checkpoint(t)
	dst := t.TempDir()
	n, err := tree.Link(t.Context(), src, dst, tree.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := list(t, dst)
	if want := "config.json model.safetensors tokenizer/tokenizer.json"; keys(got) != want || n != 3 {
		t.Fatalf("carried %d files %q, want 3: %q", n, keys(got), want)
	}
	if got["config.json"] != `{"dim": 8}` || got["model.safetensors"] != "weights" {
		t.Fatalf("contents differ: %q", got)
	}
	a, _ := os.Stat(filepath.Join(src, "model.safetensors"))
	b, _ := os.Stat(filepath.Join(dst, "model.safetensors"))
	if !os.SameFile(a, b) {
		t.Fatal("model.safetensors was copied, want a hard link on the same file system")
	}
}

func TestLinkFlat(t *testing.T) {
	src := checkpoint(t)
	dst := t.TempDir()
	n, err := tree.Link(t.Context(), src, dst, tree.Options{Flat: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(list(t, dst)); got != "config.json model.safetensors" || n != 2 {
		t.Fatalf("carried %d files %q, want config.json and model.safetensors", n, got)
	}
	if _, err := os.Stat(filepath.Join(dst, "tokenizer")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("flat link created the sub-folder tokenizer: %v", err)
	}
}

func TestLinkSymlinkedFolder(t *testing.T) {
	src := checkpoint(t)
	ln := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(src, ln); err != nil {
		t.Fatal(err)
	}
	for _, o := range []tree.Options{{}, {Flat: true}} {
		dst := t.TempDir()
		n, err := tree.Link(t.Context(), ln, dst, o)
		if err != nil || n < 2 || list(t, dst)["config.json"] == "" {
			t.Fatalf("flat=%v: carried %d files (%v) through a symlinked folder", o.Flat, n, err)
		}
	}
}

func TestLinkCreatesDst(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "out", "model")
	if n, err := tree.Link(t.Context(), checkpoint(t), dst, tree.Options{}); err != nil || n != 3 {
		t.Fatalf("Link into a new folder: %d files, %v", n, err)
	}
}

func TestLinkReadOnlyInput(t *testing.T) {
	src := checkpoint(t)
	for _, p := range []string{"config.json", "model.safetensors", "tokenizer/tokenizer.json", "tokenizer"} {
		mode := os.FileMode(0o444)
		if p == "tokenizer" {
			mode = 0o555
		}
		if err := os.Chmod(filepath.Join(src, p), mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "tokenizer"), 0o755) })
	dst := t.TempDir()
	if _, err := tree.Link(t.Context(), src, dst, tree.Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dst, "tokenizer", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o444 {
		t.Fatalf("linked read-only file has mode %v, want it to stay read-only", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dst, "tokenizer")); st.Mode().Perm() != 0o755 {
		t.Fatalf("output folder has mode %v, want 0755 (writable)", st.Mode().Perm())
	}
}

func TestLinkErrors(t *testing.T) {
	t.Run("missing source", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		_, err := tree.Link(t.Context(), missing, t.TempDir(), tree.Options{})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
			t.Fatalf("got %v, want a not-exist error naming %s", err, missing)
		}
	})
	t.Run("existing output file", func(t *testing.T) {
		dst := t.TempDir()
		write(t, dst, map[string]string{"config.json": "mine"})
		_, err := tree.Link(t.Context(), checkpoint(t), dst, tree.Options{})
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), filepath.Join(dst, "config.json")) {
			t.Fatalf("got %v, want an exists error naming the output file", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dst, "config.json")); string(b) != "mine" {
			t.Fatalf("existing file overwritten: %q", b)
		}
	})
	t.Run("output is a file", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "out")
		write(t, filepath.Dir(dst), map[string]string{"out": ""})
		_, err := tree.Link(t.Context(), checkpoint(t), dst, tree.Options{})
		if !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), dst) {
			t.Fatalf("got %v, want an error naming %s", err, dst)
		}
	})
	t.Run("unreadable sub-folder", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads any folder")
		}
		src := checkpoint(t)
		sub := filepath.Join(src, "tokenizer")
		if err := os.Chmod(sub, 0o000); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(sub, 0o755) })
		_, err := tree.Link(t.Context(), src, t.TempDir(), tree.Options{})
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), sub) {
			t.Fatalf("got %v, want a permission error naming %s", err, sub)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		dst := t.TempDir()
		n, err := tree.Link(ctx, checkpoint(t), dst, tree.Options{})
		if !errors.Is(err, context.Canceled) || n != 0 || len(list(t, dst)) != 0 {
			t.Fatalf("cancelled Link: %d files, %v", n, err)
		}
	})
}

// otherFS returns a folder on another file system than t.TempDir, where a
// hard link from it fails.
func otherFS(t *testing.T) string {
	t.Helper()
	var a, b syscall.Stat_t
	if syscall.Stat(t.TempDir(), &a) != nil || syscall.Stat("/dev/shm", &b) != nil || a.Dev == b.Dev {
		t.Skip("no second file system (/dev/shm) to copy across")
	}
	dir, err := os.MkdirTemp("/dev/shm", "tree-test-")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestLinkCopiesAcrossFileSystems(t *testing.T) {
	src := checkpoint(t)
	if err := os.Chmod(filepath.Join(src, "config.json"), 0o444); err != nil {
		t.Fatal(err)
	}
	dst := otherFS(t)
	n, err := tree.Link(t.Context(), src, dst, tree.Options{})
	if err != nil || n != 3 {
		t.Fatalf("Link across file systems: %d files, %v", n, err)
	}
	if got := list(t, dst); got["model.safetensors"] != "weights" || got["tokenizer/tokenizer.json"] != "{}" {
		t.Fatalf("copied contents differ: %q", got)
	}
	st, err := os.Stat(filepath.Join(dst, "config.json"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("copy of a read-only input: %v, %v; want a new 0644 file", st.Mode(), err)
	}
}

func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a": "bytes", "b": "other"})
	if err := tree.CopyFile(filepath.Join(dir, "a"), filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(filepath.Join(dir, "a"))
	c, _ := os.Stat(filepath.Join(dir, "c"))
	if b, _ := os.ReadFile(filepath.Join(dir, "c")); string(b) != "bytes" || os.SameFile(a, c) {
		t.Fatalf("CopyFile wrote %q (same file: %v), want an independent copy", b, os.SameFile(a, c))
	}
	if err := tree.CopyFile(filepath.Join(dir, "a"), filepath.Join(dir, "b")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("CopyFile over an existing file: %v, want fs.ErrExist", err)
	}
	missing := filepath.Join(dir, "missing")
	if err := tree.CopyFile(missing, filepath.Join(dir, "d")); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("CopyFile of a missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("failed copy left %s behind", filepath.Join(dir, "d"))
	}
	if err := tree.CopyFile(dir, filepath.Join(dir, "e")); err == nil {
		t.Fatal("CopyFile of a folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "e")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("failed copy of a folder left its output file behind")
	}
}

func TestLinkFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"a": "bytes"})
	if err := tree.LinkFile(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if err := tree.LinkFile(filepath.Join(dir, "a"), filepath.Join(dir, "b")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("LinkFile over an existing file: %v, want fs.ErrExist", err)
	}
	other := filepath.Join(otherFS(t), "a")
	if err := tree.LinkFile(filepath.Join(dir, "a"), other); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(other); string(b) != "bytes" {
		t.Fatalf("LinkFile across file systems wrote %q", b)
	}
}

func BenchmarkLink(b *testing.B) {
	src := b.TempDir()
	files := map[string]string{}
	for i := range 64 {
		files[filepath.Join("shards", string(rune('a'+i%26)), strings.Repeat("x", i%7+1))] = "w"
	}
	write(b, src, files)
	for b.Loop() {
		b.StopTimer()
		dst := filepath.Join(b.TempDir(), "out")
		b.StartTimer()
		if _, err := tree.Link(context.Background(), src, dst, tree.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
