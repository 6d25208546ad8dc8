// Command diagplug is an external plugin for the CLI's validation tests.
// Its one component, check "diag", answers Validate with the diagnostics
// its config's report attribute lists, verbatim; its Run writes one file
// and, when CKPT_DIAGPLUG_RUNS names a file, appends the step's address to
// it, so that a test can tell whether a build ran it. When
// CKPT_DIAGPLUG_STARTS names a file, every process start appends a line.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func main() {
	// Its markers are files the test names, outside the step's folders:
	// run steps unconfined (plugin-protocol.md §6).
	os.Setenv(sdk.ConfineEnv, "off")
	if p := os.Getenv("CKPT_DIAGPLUG_STARTS"); p != "" {
		if err := appendLine(p, fmt.Sprint(os.Getpid())); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	sdk.Serve(&sdk.Plugin{Name: "diag", Version: "1.0.0", Components: []sdk.Component{comp{}}})
}

type comp struct{}

type config struct {
	Report []specv1.Diagnostic `json:"report"`
}

func (comp) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "diag", Schema: specv1.Schema{Attributes: []specv1.Attribute{
		{Name: "report", Type: specv1.TypeAny, Description: "The diagnostics Validate returns."},
		{Name: "note", Type: specv1.TypeString},
		{Name: "items", Type: specv1.TypeListString},
		{Name: "target", Type: specv1.TypeStep},
	}}}
}

func (comp) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	var c config
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "invalid config", Detail: err.Error()}}
	}
	return c.Report
}

func (comp) Run(_ context.Context, req *specv1.RunRequest, _ sdk.Events) (*specv1.Metadata, error) {
	if p := os.Getenv("CKPT_DIAGPLUG_RUNS"); p != "" {
		if err := appendLine(p, req.Step); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(req.OutputDir, "ran.txt"), []byte(req.Step), 0o644); err != nil {
		return nil, err
	}
	return &specv1.Metadata{ID: req.Step}, nil
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintln(f, line)
	return f.Close()
}
