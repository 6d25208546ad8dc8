package cli

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// zeroCopySpec is one model "dir" step on the model in folder path.
func zeroCopySpec(path string) string {
	return "model \"dir\" \"base\" {\n  path    = \"" + path + "\"\n  id      = \"synth-32m\"\n  license = \"Apache-2.0\"\n}\n"
}

// synthModel writes a 32 MiB HF model in shards into dir.
func synthModel(t *testing.T, dir string) {
	t.Helper()
	args := []string{"synth", "model", dir, "--size", "32MiB", "--layout", "hf", "--shard-size", "16MiB", "--seed", "1"}
	if b, err := exec.Command(binaries(t).ckpt, args...).CombinedOutput(); err != nil {
		t.Fatalf("ckpt %v: %v\n%s", args, err, b)
	}
}

// du is the disk space the files under root take, links not followed.
func du(t *testing.T, root string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err == nil {
			n += fi.Sys().(*syscall.Stat_t).Blocks * 512
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// buildModel builds the project and returns the model step's result.
func buildModel(t *testing.T, dir string) run.Event {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "build", dir, "--json")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errOut)
	}
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished && e.Step == "model.base" {
			return e
		}
	}
	t.Fatalf("no result for model.base in\n%s", out)
	return run.Event{}
}

// TestModelStepRefersToTheUsersFiles: the store of a project with one
// model step holds under 1 % of the model's bytes, for a model folder on
// the project's file system and on another one (tmpfs); a second build is
// cached; one byte changed (same size, new mtime) re-runs the step with a
// new digest; a removed weights file makes export fail naming it.
func TestModelStepRefersToTheUsersFiles(t *testing.T) {
	for _, where := range []string{"same", "tmpfs"} {
		t.Run(where, func(t *testing.T) {
			dir := specDir(t, nil)
			model := filepath.Join(dir, "base")
			if where == "tmpfs" {
				model = tmpfsFolder(t, dir)
			}
			synthModel(t, model)
			initial := fileStates(t, model)
			os.WriteFile(filepath.Join(dir, "build.ckpt.hcl"), []byte(zeroCopySpec(model)), 0o644)
			first := buildModel(t, dir)
			if first.Status != run.StatusOK {
				t.Fatalf("first build: %+v", first)
			}
			store, size := du(t, filepath.Join(dir, ".ckpt", "store")), du(t, model)
			if store*100 >= size {
				t.Errorf("the store takes %d bytes for a model of %d: want < 1 %%", store, size)
			}
			if again := buildModel(t, dir); !again.Cached || again.Artifact != first.Artifact {
				t.Errorf("second build: %+v, want cached %s", again, first.Artifact)
			}
			if now := fileStates(t, model); now != initial {
				t.Errorf("the user's files changed under build:\n%s\nwas\n%s", now, initial)
			}
			flipWeightByte(t, model)
			changed := buildModel(t, dir)
			if changed.Status != run.StatusOK || changed.Cached || changed.Artifact == first.Artifact {
				t.Errorf("after one byte changed: %+v, want the step re-run with a new digest", changed)
			}
			shard := firstShard(t, model)
			os.Remove(shard)
			code, _, errOut := ckptProc(t, nil, "export", "--dir", dir, "model.base", filepath.Join(t.TempDir(), "x"))
			if code == 0 || !strings.Contains(errOut, shard) || !strings.Contains(errOut, "gone") {
				t.Errorf("export with a weights file removed: exit %d\n%s\nwant a failure naming %s", code, errOut, shard)
			}
			keepsUserFiles(t, dir, model)
		})
	}
}

// keepsUserFiles runs store verify, store verify --repair and gc on the
// project: they report the removed shard's blob by its path and leave the
// user's other files as they were.
func keepsUserFiles(t *testing.T, dir, model string) {
	t.Helper()
	before := fileStates(t, model)
	code, out, _ := ckptProc(t, nil, "store", "verify", "--dir", dir)
	if code != 1 || !strings.Contains(out, "refers to "+model) {
		t.Errorf("store verify: exit %d\n%s\nwant the removed shard reported by its path", code, out)
	}
	for _, args := range [][]string{{"store", "verify", "--repair", "--dir", dir}, {"gc", "--keep-builds", "0", "--dir", dir}} {
		if code, out, errOut := ckptProc(t, nil, args...); code != 0 && args[0] == "gc" {
			t.Errorf("ckpt %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	if after := fileStates(t, model); after != before {
		t.Errorf("the user's files changed under verify, repair and gc:\n%s\nwas\n%s", after, before)
	}
}

// fileStates lists each file under dir with its mode, links, inode, size
// and mtime.
func fileStates(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := os.Lstat(p)
			st := fi.Sys().(*syscall.Stat_t)
			fmt.Fprintf(&b, "%s %v %d %d %d %d\n", p, fi.Mode(), st.Nlink, st.Ino, fi.Size(), fi.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

// tmpfsFolder is a new folder on another file system than dir's
// (/dev/shm), or skips.
func tmpfsFolder(t *testing.T, dir string) string {
	t.Helper()
	var a, b syscall.Stat_t
	if syscall.Stat(dir, &a) != nil || syscall.Stat("/dev/shm", &b) != nil || a.Dev == b.Dev {
		t.Skip("no second file system (/dev/shm)")
	}
	d, err := os.MkdirTemp("/dev/shm", "ckpt-zerocopy-")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "base")
}

// flipWeightByte changes the last byte of the first shard, keeping its
// size (its mtime changes).
func flipWeightByte(t *testing.T, model string) {
	t.Helper()
	f, err := os.OpenFile(firstShard(t, model), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b := make([]byte, 1)
	f.ReadAt(b, fi.Size()-1)
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, fi.Size()-1); err != nil {
		t.Fatal(err)
	}
}

func firstShard(t *testing.T, model string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(model, "model-00001-of-*.safetensors"))
	if len(m) != 1 {
		t.Fatalf("shards of %s: %v", model, m)
	}
	return m[0]
}
