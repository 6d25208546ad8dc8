package license_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

type logs struct{ lines []string }

func (l *logs) Log(msg string)                 { l.lines = append(l.lines, msg) }
func (l *logs) Progress(int64, int64, string)  {}
func (l *logs) Diagnostic(d specv1.Diagnostic) {}

// TestCheckInPluginProcess runs check "license" the way a build does: in
// a ckpt process serving the built-in plugin, through the plugin host.
func TestCheckInPluginProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ckpt binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ckpt")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ckpt").CombinedOutput(); err != nil {
		t.Fatalf("go build ckpt: %v\n%s", err, out)
	}
	h, err := host.New(host.Options{Self: bin, Dir: dir, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	target := specv1.Metadata{Kind: "model", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1",
		Lineage: []specv1.Lineage{{Role: "base", ID: "mistral-large-2407", License: "LicenseRef-MRL-0.1", Step: "model.base"}}}
	req := &specv1.RunRequest{Kind: "check", Type: "license", Step: "check.release",
		Config:    []byte(`{"target":"model.base","use":"commercial","redistribute":true}`),
		Inputs:    []specv1.Input{{Step: "model.base", Attr: "target", Metadata: target}},
		OutputDir: out, ScratchDir: t.TempDir()}
	ev := &logs{}
	m, err := h.Execute(context.Background(), host.BuiltinName, req, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := "model.base (mistral-large-2407) is under LicenseRef-MRL-0.1, which forbids commercial use"
	if len(m.Findings) != 1 || m.Findings[0].Severity != specv1.SeverityError || !strings.HasPrefix(m.Findings[0].Message, want) {
		t.Errorf("findings = %+v", m.Findings)
	}
	if !strings.Contains(strings.Join(ev.lines, "\n"), want) {
		t.Errorf("logs = %q", ev.lines)
	}
	for _, name := range []string{"license-report.json", "license-report.spdx.json", "LICENSE", "NOTICE"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}
