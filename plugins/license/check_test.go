package license

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lic "github.com/ckpt-dev/ckpt/packaging/license"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type events struct{ logs []string }

func (e *events) Log(msg string)                { e.logs = append(e.logs, msg) }
func (e *events) Progress(int64, int64, string) {}
func (e *events) Diagnostic(specv1.Diagnostic)  {}
func (e *events) has(s string) bool             { return strings.Contains(strings.Join(e.logs, "\n"), s) }
func comp() component                           { return Components()[0].(component) }
func cfg(t *testing.T, v map[string]any) []byte { b, err := json.Marshal(v); must(t, err); return b }
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, target specv1.Metadata, conf map[string]any) (*specv1.Metadata, string, *events) {
	t.Helper()
	out := t.TempDir()
	ev := &events{}
	req := &specv1.RunRequest{Kind: "check", Type: "license", Step: "check.release", Config: cfg(t, conf),
		Inputs:    []specv1.Input{{Step: "merge.support", Attr: "target", Digest: "sha256:" + strings.Repeat("1", 64), Metadata: target}},
		OutputDir: out, ScratchDir: t.TempDir()}
	m, err := comp().Run(context.Background(), req, ev)
	must(t, err)
	return m, out, ev
}

func mrlBase() specv1.Metadata {
	return specv1.Metadata{Kind: "model", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1",
		Notices: []string{"carried"},
		Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1", Step: "model.base"}}}
}

func TestRunRefusesMRLBaseForCommercialUse(t *testing.T) {
	m, out, ev := run(t, mrlBase(), map[string]any{"target": "model.base", "use": "commercial", "redistribute": true})
	if len(m.Findings) != 1 {
		t.Fatalf("findings = %+v, want one", m.Findings)
	}
	f := m.Findings[0]
	want := "model.base (mistral-large-2407) is under LicenseRef-MRL-0.1, which forbids commercial use (clause MRL-0.1 §3.2"
	if f.Severity != specv1.SeverityError || f.Code != lic.CodeForbidden || !strings.HasPrefix(f.Message, want) {
		t.Errorf("finding = %+v", f)
	}
	if !ev.has(want) {
		t.Errorf("log lacks the finding: %q", ev.logs)
	}
	if m.Kind != "check" || m.License != "LicenseRef-MRL-0.1" || len(m.Lineage) != 1 || m.Notices[0] != "carried" {
		t.Errorf("metadata not carried: %+v", m)
	}
	for _, name := range []string{FileReport, FileReportSPDX, "LICENSE", "NOTICE"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("output %s: %v", name, err)
		}
	}
	notice, err := os.ReadFile(filepath.Join(out, "NOTICE"))
	must(t, err)
	if !strings.Contains(string(notice), "Licensed by Mistral AI under the Mistral AI Research License") {
		t.Errorf("NOTICE = %q", notice)
	}
	rb, err := os.ReadFile(filepath.Join(out, FileReport))
	must(t, err)
	r, err := lic.ParseReport(rb)
	must(t, err)
	if r.Subject != "sha256:"+strings.Repeat("1", 64) || r.License != "LicenseRef-MRL-0.1" {
		t.Errorf("report = %+v", r)
	}
}

func TestRunNamesTargetWithoutLineage(t *testing.T) {
	target := specv1.Metadata{Kind: "model", ID: "codestral-2405", License: "LicenseRef-MNPL-0.1"}
	out := t.TempDir()
	req := &specv1.RunRequest{Step: "check.release", Config: []byte(`{"target":"model.code","use":"production"}`),
		Inputs: []specv1.Input{{Step: "model.code", Attr: "target", Metadata: target}}, OutputDir: out}
	m, err := comp().Run(context.Background(), req, &events{})
	must(t, err)
	want := "model.code (codestral-2405) is under LicenseRef-MNPL-0.1, which forbids commercial use (clause MNPL-0.1 §3.2"
	if len(m.Findings) != 1 || !strings.HasPrefix(m.Findings[0].Message, want) {
		t.Errorf("findings = %+v, want %q", m.Findings, want)
	}
	if len(m.Lineage) != 0 {
		t.Errorf("lineage added to the output: %+v", m.Lineage)
	}
}

func TestRunResearchPasses(t *testing.T) {
	m, _, _ := run(t, mrlBase(), map[string]any{"target": "model.base", "use": "research"})
	if len(m.Findings) != 0 {
		t.Errorf("findings = %+v", m.Findings)
	}
}

func TestRunMissingLicense(t *testing.T) {
	target := specv1.Metadata{Kind: "model", ID: "anon-7b"}
	m, out, _ := run(t, target, map[string]any{"target": "model.base", "use": "research"})
	if len(m.Findings) != 1 || m.Findings[0].Code != lic.CodeMissing || m.Findings[0].Severity != specv1.SeverityError {
		t.Errorf("findings = %+v", m.Findings)
	}
	if _, err := os.Stat(filepath.Join(out, "NOTICE")); !os.IsNotExist(err) {
		t.Errorf("NOTICE without notices: %v", err)
	}
	m, _, _ = run(t, target, map[string]any{"target": "model.base", "use": "research", "allow_unknown": true})
	if len(m.Findings) != 1 || m.Findings[0].Severity != specv1.SeverityWarning {
		t.Errorf("allow_unknown findings = %+v", m.Findings)
	}
}

func TestRunErrors(t *testing.T) {
	c := comp()
	base := specv1.RunRequest{Step: "check.release", OutputDir: t.TempDir()}
	tests := []struct {
		name string
		req  func() *specv1.RunRequest
		want string
	}{
		{"bad config", func() *specv1.RunRequest { r := base; r.Config = []byte(`{"use": 3}`); return &r }, "check license config"},
		{"bad use", func() *specv1.RunRequest { r := base; r.Config = []byte(`{"use": "fun"}`); return &r }, `use "fun"`},
		{"no target", func() *specv1.RunRequest { r := base; r.Config = []byte(`{"use": "research"}`); return &r }, "want one target"},
		{"unwritable output", func() *specv1.RunRequest {
			r := base
			r.Config = []byte(`{"use": "research"}`)
			r.OutputDir = filepath.Join(t.TempDir(), "missing")
			r.Inputs = []specv1.Input{{Attr: "target", Metadata: mrlBase()}}
			return &r
		}, "write "},
	}
	for _, tt := range tests {
		_, err := c.Run(context.Background(), tt.req(), &events{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	c := comp()
	tests := []struct {
		conf string
		path string // "" = valid
	}{
		{`{"target":"model.base","use":"commercial","allow":["MIT"],"deny":["LicenseRef-MRL-0.1"]}`, ""},
		{`{"target":"model.base"}`, "use"},
		{`{"use":"sometimes"}`, "use"},
		{`{"use":"research","allow":["MIT","Not A License"]}`, "allow.1"},
		{`{"use":"research","deny":["("]}`, "deny.0"},
		{`{"use":`, ""},
	}
	for _, tt := range tests {
		ds := c.Validate(context.Background(), &specv1.ValidateRequest{Config: []byte(tt.conf)})
		switch {
		case tt.conf == `{"use":`:
			if len(ds) != 1 {
				t.Errorf("%s: diagnostics = %+v", tt.conf, ds)
			}
		case tt.path == "" && len(ds) != 0:
			t.Errorf("%s: diagnostics = %+v", tt.conf, ds)
		case tt.path != "" && (len(ds) != 1 || strings.Join(ds[0].Path, ".") != tt.path):
			t.Errorf("%s: diagnostics = %+v, want one at %s", tt.conf, ds, tt.path)
		}
	}
}
