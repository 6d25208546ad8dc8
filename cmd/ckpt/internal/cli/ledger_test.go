package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// ledgerProject writes a ledger of two builds that differ in a variable,
// a plugin version, a cache key and an artifact.
func ledgerProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := state.For(dir).Ledger()
	step := func(version, key, artifact string) state.LedgerStep {
		return state.LedgerStep{Address: "merge.m", CacheKey: key, Artifact: artifact, Status: run.StatusOK,
			Plugin: plan.PluginID{Name: "builtin", Version: version, Digest: "sha256:aa"}}
	}
	for i, e := range []*state.Entry{
		{Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), Status: "ok", Spec: state.SpecRef{Path: "spec", Digest: "sha256:s1"},
			Variables: map[string]json.RawMessage{"tag": json.RawMessage(`"v1"`), "token": json.RawMessage(`"(sensitive)"`)},
			Steps:     []state.LedgerStep{step("1.0", "sha256:k1", "sha256:a1")}},
		{Time: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC), Status: "failed", Spec: state.SpecRef{Path: "spec", Digest: "sha256:s1"},
			Variables: map[string]json.RawMessage{"tag": json.RawMessage(`"v2"`), "token": json.RawMessage(`"(sensitive)"`)},
			Steps:     []state.LedgerStep{step("1.1", "sha256:k2", "sha256:a2"), {Address: "check.c", Status: run.StatusFailed, Error: "boom"}}},
	} {
		if n, err := state.AppendLedger(context.Background(), path, e); err != nil || n != i+1 {
			t.Fatalf("append: %d %v", n, err)
		}
	}
	return dir
}

func TestLedgerList(t *testing.T) {
	dir := ledgerProject(t)
	code, out, _ := ckptRun(t, "ledger", "--dir", dir)
	want := "N  TIME                  SPEC  STATUS  RAN  CACHED\n" +
		"1  2026-11-27T10:00:00Z  spec  ok      1    0\n" +
		"2  2026-11-27T11:00:00Z  spec  failed  2    0\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d\n%s\nwant\n%s", code, out, want)
	}
	code, out, _ = ckptRun(t, "ledger", "--dir", dir, "--json")
	var entries []state.Entry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 2 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
}

func TestLedgerShow(t *testing.T) {
	dir := ledgerProject(t)
	code, out, _ := ckptRun(t, "ledger", "show", "last", "--dir", dir)
	for _, want := range []string{"build #2", "failed", `var tag = "v2"`, `var token = "(sensitive)"`, "check.c: error: boom", "builtin@1.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("ledger show lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestLedgerDiff(t *testing.T) {
	dir := ledgerProject(t)
	code, out, _ := ckptRun(t, "ledger", "diff", "1", "2", "--dir", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var d ledgerDiff
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range d.Changes {
		got[c.What] = c.A + " -> " + c.B
	}
	want := map[string]string{
		"status":            "ok -> failed",
		"var tag":           `"v1" -> "v2"`,
		"merge.m plugin":    "builtin@1.0 (sha256:aa) -> builtin@1.1 (sha256:aa)",
		"merge.m cache key": "sha256:k1 -> sha256:k2",
		"merge.m artifact":  "sha256:a1 -> sha256:a2",
		"check.c":           "absent -> present",
	}
	if len(got) != len(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	code, out, _ = ckptRun(t, "ledger", "diff", "1", "1", "--dir", dir)
	if code != 0 || !strings.Contains(out, "are the same") {
		t.Errorf("diff 1 1: %s", out)
	}
}

func TestLedgerErrors(t *testing.T) {
	dir := ledgerProject(t)
	empty := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ledger", "show", "1", "--dir", empty}, 1, "the ledger is empty"},
		{[]string{"ledger", "show", "3", "--dir", dir}, 1, "no build #3 in the ledger (builds 1 to 2)"},
		{[]string{"ledger", "show", "two", "--dir", dir}, 2, `build number "two"`},
		{[]string{"ledger", "show", "--dir", dir}, 2, "accepts 1 arg"},
		{[]string{"ledger", "diff", "1", "--dir", dir}, 2, "accepts 2 arg"},
		{[]string{"ledger", "diff", "1", "7", "--dir", dir}, 1, "no build #7"},
	} {
		code, _, errOut := ckptRun(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
	os.MkdirAll(filepath.Join(empty, ".ckpt"), 0o755)
	os.WriteFile(state.For(empty).Ledger(), []byte("{broken\n"), 0o644)
	if code, _, errOut := ckptRun(t, "ledger", "--dir", empty); code != 1 || !strings.Contains(errOut, "ledger.jsonl:1") {
		t.Errorf("broken ledger: exit %d %q", code, errOut)
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := ckptRun(t, "export", "--dir", dir, "merge.m", filepath.Join(dir, "out"))
	if code != 1 || !strings.Contains(errOut, "no build of this step") {
		t.Errorf("export before any build: exit %d %q", code, errOut)
	}
	if code, _, _ := ckptRun(t, "export", "merge.m"); code != 2 {
		t.Errorf("export with one argument: exit %d, want 2", code)
	}
}
