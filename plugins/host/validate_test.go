package host_test

import (
	"os"
	"path/filepath"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestValidateRemembersCleanAnswers checks the validate memo across hosts
// (as across ckpt commands): a clean answer is given again without starting
// the plugin, an answer with errors is asked again, other input metadata is
// another question, and a damaged memo only costs a start.
func TestValidateRemembersCleanAnswers(t *testing.T) {
	dir := project(t, "testplug")
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	req := func(cfg, license string) *specv1.ValidateRequest {
		return &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x", Config: []byte(cfg),
			Inputs: []specv1.Input{{Step: "model.m", Attr: "target", Digest: "sha256:bb", Metadata: specv1.Metadata{License: license}}}}
	}
	validate := func(r *specv1.ValidateRequest) []specv1.Diagnostic {
		t.Helper()
		h := newHost(t, dir)
		defer h.Close()
		ds, err := h.Validate(ctx(t), "testplug", r)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	startsNow := func() int {
		if _, err := os.Stat(starts); err != nil {
			return 0
		}
		return countLines(t, starts)
	}
	for _, step := range []struct {
		name      string
		req       *specv1.ValidateRequest
		newStarts int
		errors    int
	}{
		{"clean, asked", req(`{"mode":"ok"}`, "MIT"), 1, 0},
		{"clean, remembered", req(`{"mode":"ok"}`, "MIT"), 0, 0},
		{"other inputs, asked", req(`{"mode":"ok"}`, "GPL-3.0-only"), 1, 0},
		{"errors, asked", req(`{}`, "MIT"), 1, 1},
		{"errors, asked again", req(`{}`, "MIT"), 1, 1},
	} {
		before := startsNow()
		ds := validate(step.req)
		if len(ds) != step.errors || startsNow()-before != step.newStarts {
			t.Errorf("%s: %d diagnostics, %d starts; want %d and %d", step.name, len(ds), startsNow()-before, step.errors, step.newStarts)
		}
	}
	memos, _ := filepath.Glob(filepath.Join(dir, ".ckpt", "cache", "validate", "*"))
	if len(memos) != 2 {
		t.Fatalf("%d memos, want the 2 clean answers: %v", len(memos), memos)
	}
	for _, m := range memos {
		os.WriteFile(m, []byte(`[{"severity":`), 0o644)
	}
	before := startsNow()
	if ds := validate(req(`{"mode":"ok"}`, "MIT")); len(ds) != 0 || startsNow()-before != 1 {
		t.Errorf("damaged memo: %v, %d starts; want a clean answer from a new start", ds, startsNow()-before)
	}
}
