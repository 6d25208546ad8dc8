package breaks_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/compat"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/synth/breaks"
)

// TestRegistryMatchesRules: every rule but check.internal (a crash of ckpt
// itself) has a break, and every break names a declared rule.
func TestRegistryMatchesRules(t *testing.T) {
	declared := map[compat.Code]bool{}
	for _, r := range compat.Rules() {
		if declared[r.Code] || r.Summary == "" || (r.Severity != "error" && r.Severity != "warning") {
			t.Errorf("rule %+v: declared twice, or without summary or severity", r)
		}
		declared[r.Code] = true
	}
	codes := breaks.Codes()
	for _, r := range compat.Rules() {
		if r.Code != compat.CheckInternal && !slices.Contains(codes, r.Code) {
			t.Errorf("rule %s has no break", r.Code)
		}
	}
	for _, c := range codes {
		if !declared[c] {
			t.Errorf("break %s names no rule", c)
		}
	}
	if !slices.IsSorted(codes) {
		t.Errorf("codes not sorted: %v", codes)
	}
}

func TestApplyErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := breaks.Apply(t.Context(), dir, "no.such_rule"); err == nil || !strings.Contains(err.Error(), "no.such_rule") {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := breaks.Apply(t.Context(), dir, compat.EOSMismatch); err == nil || !strings.Contains(err.Error(), "not a model folder") {
		t.Errorf("empty folder: %v", err)
	}
	model := filepath.Join(dir, "m")
	if err := synth.Model(t.Context(), model, synth.ModelOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := breaks.Apply(t.Context(), model, compat.LoRADoRA); !errors.Is(err, breaks.ErrLayout) {
		t.Errorf("lora rule on a model: %v", err)
	}
}
