package cli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestValidateMarks checks what the validation cache remembers: clean
// answers and answers with only warnings (given back as they were), not
// answers with errors, and not a damaged mark.
func TestValidateMarks(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, ".ckpt", "cache", "validate", "m")
	warn := []specv1.Diagnostic{{Severity: specv1.SeverityWarning, Summary: "w", Path: []string{"note"}}}
	for _, tc := range []struct {
		name    string
		content []byte // nil: writeMark(ds)
		ds      []specv1.Diagnostic
		ok      bool
	}{
		{"clean", nil, nil, true},
		{"warnings", nil, warn, true},
		{"damaged", []byte(`[{"severity":`), nil, false},
		{"errors", []byte(`[{"severity":"error","summary":"e"}]`), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Dir(mark))
			if tc.content == nil {
				writeMark(mark, tc.ds)
			} else {
				os.MkdirAll(filepath.Dir(mark), 0o755)
				os.WriteFile(mark, tc.content, 0o644)
			}
			ds, ok := readMark(mark)
			if ok != tc.ok || (ok && !reflect.DeepEqual(ds, tc.ds)) {
				t.Errorf("readMark = %v, %v; want %v, %v", ds, ok, tc.ds, tc.ok)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(mark), ".mark-*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
	if _, ok := readMark(""); ok {
		t.Error("an unknown binary digest has a mark")
	}
}

// TestValidateMarkKeyedByInputs checks that the same config with other
// input metadata is asked again (a different mark).
func TestValidateMarkKeyedByInputs(t *testing.T) {
	v := &stepValidator{dir: t.TempDir()}
	c := plan.Component{Plugin: plan.PluginID{Name: "diag", Digest: "sha256:aa"}}
	req := func(license string) *specv1.ValidateRequest {
		return &specv1.ValidateRequest{Kind: "check", Type: "diag", Step: "check.b", Config: []byte(`{}`),
			Inputs: []specv1.Input{{Step: "check.a", Attr: "target", Digest: "sha256:bb", Metadata: specv1.Metadata{License: license}}}}
	}
	if v.cleanMark(c, req("MIT")) == v.cleanMark(c, req("GPL-3.0-only")) {
		t.Error("input metadata is not part of the mark")
	}
}

// BenchmarkValidateRemembered measures what validation adds per external
// step to a cached rebuild: hashing the request (input metadata included)
// and reading its mark.
func BenchmarkValidateRemembered(b *testing.B) {
	v := &stepValidator{dir: b.TempDir()}
	c := plan.Component{Plugin: plan.PluginID{Name: "diag", Digest: "sha256:aa"}}
	meta := specv1.Metadata{Kind: "model", ID: "mistral-7b-instruct-v0.3", License: "Apache-2.0",
		Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-7b-v0.3", Digest: "sha256:cc", License: "Apache-2.0"}}}
	req := &specv1.ValidateRequest{Kind: "check", Type: "diag", Step: "check.b", Config: []byte(`{"note":"n"}`),
		Inputs: []specv1.Input{{Step: "model.base", Attr: "target", Digest: "sha256:bb", Metadata: meta}}}
	writeMark(v.cleanMark(c, req), []specv1.Diagnostic{{Severity: specv1.SeverityWarning, Summary: "w"}})
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ds, err := v.Validate(ctx, c, req); err != nil || len(ds) != 1 {
			b.Fatalf("%v %v", ds, err)
		}
	}
}
