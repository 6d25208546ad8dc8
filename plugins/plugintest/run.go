package plugintest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// cancelDeadline bounds how long a cancelled run may take to return. It is
// a generous deadline, not a performance figure.
const cancelDeadline = 10 * time.Second

// runDir is one run's folder tree: inputs and spec files under root, and
// the output and scratch folders the component may write.
type runDir struct {
	root, out, scratch string
	cfg                json.RawMessage
	inputs             []specv1.Input
}

func (s *suite) prepare(t *testing.T) *runDir {
	t.Helper()
	root := t.TempDir()
	r := &runDir{root: root, out: filepath.Join(root, "output"), scratch: filepath.Join(root, "scratch")}
	in := filepath.Join(root, "inputs")
	for _, d := range []string{r.out, r.scratch, in} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.cfg, r.inputs = s.c.Setup(t, in)
	for _, input := range r.inputs {
		readOnly(t, input.Dir)
	}
	return r
}

func (s *suite) cancellation(t *testing.T) {
	r := s.prepare(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.comp.Run(ctx, s.request("cancelled", r.cfg, r.inputs, r.out, r.scratch, r.root), nopEvents{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run with a cancelled context succeeded; it must check ctx and return its error")
		}
	case <-time.After(cancelDeadline):
		t.Fatalf("Run did not return within %s of cancellation", cancelDeadline)
	}
}

func (s *suite) outputOnly(t *testing.T) {
	r := s.prepare(t)
	before := snapshot(t, r.root, r.out, r.scratch)
	if _, err := s.remoteRun(t.Context(), s.request("conformance", r.cfg, r.inputs, r.out, r.scratch, r.root)); err != nil {
		t.Fatalf("run: %v", err)
	}
	after := snapshot(t, r.root, r.out, r.scratch)
	for p, h := range after {
		if before[p] != h {
			t.Errorf("the run changed %s outside its output and scratch folders", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("the run removed %s outside its output and scratch folders", p)
		}
	}
}

func (s *suite) deterministic(t *testing.T) {
	var trees [2]map[string]string
	var mds [2]string
	for i := range 2 {
		r := s.prepare(t)
		md, err := s.remoteRun(t.Context(), s.request("conformance", r.cfg, r.inputs, r.out, r.scratch, r.root))
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		trees[i] = snapshot(t, r.out)
		b, _ := json.Marshal(md)
		// Input folders differ between the runs; their paths may not leak.
		mds[i] = strings.ReplaceAll(string(b), r.root, "ROOT")
	}
	if mds[0] != mds[1] {
		t.Errorf("metadata differs between two runs of the same input:\n%s\n%s", mds[0], mds[1])
	}
	for _, p := range union(trees[0], trees[1]) {
		if trees[0][p] != trees[1][p] {
			t.Errorf("output file %s differs between two runs of the same input", p)
		}
	}
}

// snapshot maps every path under root (relative, skipping the excluded
// folders) to its mode and content digest.
func snapshot(t *testing.T, root string, exclude ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		for _, e := range exclude {
			if p == e {
				return filepath.SkipDir
			}
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			v += " " + hex.EncodeToString(sum[:])
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", root, err)
	}
	return out
}

func union(a, b map[string]string) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// readOnly makes an input tree read-only, as the host hands it over; the
// test's cleanup makes it writable again so that it can be removed.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		return os.Chmod(p, 0o444)
	})
	if err != nil {
		t.Fatalf("input %s: %v", dir, err)
	}
	for _, d := range dirs {
		os.Chmod(d, 0o555)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			os.Chmod(d, 0o755)
		}
	})
	if len(dirs) == 0 {
		t.Fatal(fmt.Sprintf("input %s is not a folder", dir))
	}
}
