package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// lastArtifact is the artifact digest of step addr in the last entry of
// the ledger of spec folder dir.
func lastArtifact(t *testing.T, dir, addr string) string {
	t.Helper()
	entries, err := state.ReadLedger(state.For(dir).Ledger())
	if err != nil || len(entries) == 0 {
		t.Fatalf("ledger of %s: %d entries, %v", dir, len(entries), err)
	}
	for _, s := range entries[len(entries)-1].Steps {
		if s.Address == addr && s.Artifact != "" {
			return s.Artifact
		}
	}
	t.Fatalf("ledger of %s: no artifact of %s", dir, addr)
	return ""
}

// buildInto builds the spec folder dir into the store s and returns the
// steps that ran (were not cached).
func buildInto(t *testing.T, dir, s string) []string {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "build", dir, "--store", s, "--json")
	if code != 0 {
		t.Fatalf("build %s: exit %d\n%s\n%s", dir, code, out, errOut)
	}
	var ran []string
	for _, e := range parseEvents(t, out) {
		if e.Type == run.EventStepFinished && !e.Cached {
			ran = append(ran, e.Step)
		}
	}
	return ran
}

// TestSharedStore: two spec folders with the same step names (their
// adapters differ) build into one --store. Each exports its own artifacts
// (the digests its ledger recorded), a folder that never built exports
// nothing, and gc for one project keeps what the other's ledger uses: a
// rebuild of the other is fully cached.
func TestSharedStore(t *testing.T) {
	a, b := quickstartProject(t), quickstartProject(t)
	retrain(t, b, 3)
	s := filepath.Join(t.TempDir(), "shared")
	buildInto(t, a, s)
	buildInto(t, b, s)
	bundleA, bundleB := lastArtifact(t, a, "bundle.release"), lastArtifact(t, b, "bundle.release")
	if bundleA == bundleB {
		t.Fatalf("the two projects built the same bundle %s", bundleA)
	}

	for dir, want := range map[string]string{a: bundleA, b: bundleB} {
		code, out, errOut := ckptProc(t, nil, "export", "--dir", dir, "--store", s, "bundle.release", filepath.Join(t.TempDir(), "out"))
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("export --dir %s: exit %d, want %s\n%s%s", filepath.Base(dir), code, want, out, errOut)
		}
	}
	code, out, errOut := ckptProc(t, nil, "export", "--dir", t.TempDir(), "--store", s, "bundle.release", filepath.Join(t.TempDir(), "out"))
	if code != 1 || !strings.Contains(errOut, "no build of this step") {
		t.Errorf("export from a folder that never built: exit %d\n%s%s", code, out, errOut)
	}

	if code, out, errOut := ckptProc(t, nil, "gc", "--dir", a, "--store", s, "--keep-builds", "0"); code != 0 {
		t.Fatalf("gc --dir A: exit %d\n%s%s", code, out, errOut)
	}
	if ran := buildInto(t, b, s); len(ran) != 0 {
		t.Errorf("after gc --dir A, B's rebuild ran %v", ran)
	}
	code, out, errOut = ckptProc(t, nil, "export", "--dir", a, "--store", s, "bundle.release", filepath.Join(t.TempDir(), "out"))
	if code != 0 || !strings.Contains(out, bundleA) {
		t.Errorf("export --dir A after gc: exit %d, want %s\n%s%s", code, bundleA, out, errOut)
	}
}
