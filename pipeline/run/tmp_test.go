package run_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// leftBuild makes the temporary folder of another build, as a killed
// build leaves it (a step folder with a read-only output file), and its
// lock file; held, the lock is taken as that build's, still running.
func leftBuild(t *testing.T, p *project, name string, held bool) (dir string, unlock func()) {
	t.Helper()
	root := filepath.Join(p.dir, ".ckpt", "tmp")
	dir = filepath.Join(root, name)
	out := filepath.Join(dir, "model.a-123", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "weights"), []byte("partial"), 0o444)
	os.Chmod(out, 0o555)
	l := flock.New(dir + ".lock")
	if held {
		if err := l.Lock(); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(dir+".lock", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, func() { l.Unlock() }
}

// The temporary folders of a build that was killed (second Ctrl-C,
// SIGKILL) are removed by the next build; those of a build still running
// are kept until it ends.
func TestBuildRemovesTmpOfKilledBuilds(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, `model "t" "a" { content = "a" }`)
	dead, _ := leftBuild(t, p, "build-111", false)
	live, unlock := leftBuild(t, p, "build-222", true)
	if _, err := p.build(t, ctx, run.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed build's folder is still there (%v)", err)
	}
	if _, err := os.Stat(dead + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the killed build's lock file is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(live, "model.a-123", "out", "weights")); err != nil {
		t.Errorf("a running build's folder was touched: %v", err)
	}
	unlock()
	if _, err := p.build(t, ctx, run.Options{}); err != nil {
		t.Fatal(err)
	}
	assertTmpEmpty(t, p)
}
