// Command testplug is a plugin for the host's tests. Its plugin name is its
// binary's name without the ckpt-plugin- prefix; copied as
// ckpt-plugin-noisy it prints to stdout before its handshake;
// CKPT_TESTPLUG_NAME overrides the name; CKPT_TESTPLUG_SLEEP (a Go
// duration) delays its handshake, and CKPT_TESTPLUG_TIMES names a file
// where it appends "NAME start|ready UNIXNANO" around that delay;
// CKPT_TESTPLUG_STARTS names a file where each plugin process (not each
// confined step process, which skips all of this) appends its pid. Its one
// component, check "testplug", behaves as config.mode says.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "ckpt-plugin-")
	if n := os.Getenv("CKPT_TESTPLUG_NAME"); n != "" {
		name = n
	}
	if name == "noisy" {
		fmt.Println("hello from a plugin that prints too early")
	}
	step := os.Getenv(sdk.StepEnv) != "" // a confined step process
	if f := os.Getenv("CKPT_TESTPLUG_STARTS"); f != "" && !step {
		if fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(fh, os.Getpid())
			fh.Close()
		}
	}
	if d, err := time.ParseDuration(os.Getenv("CKPT_TESTPLUG_SLEEP")); err == nil && !step {
		stamp(name, "start")
		time.Sleep(d)
		stamp(name, "ready")
	}
	sdk.Serve(&sdk.Plugin{Name: name, Version: "1.0.0", Components: []sdk.Component{comp{}}})
}

// stamp appends "name what UNIXNANO" to $CKPT_TESTPLUG_TIMES.
func stamp(name, what string) {
	f, err := os.OpenFile(os.Getenv("CKPT_TESTPLUG_TIMES"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %s %d\n", name, what, time.Now().UnixNano())
	f.Close()
}

type comp struct{}

type config struct {
	Mode string `json:"mode"`
}

func (comp) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "testplug", Schema: specv1.Schema{Attributes: []specv1.Attribute{
		{Name: "mode", Type: specv1.TypeString, Required: true},
	}}}
}

func (comp) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	var c config
	if err := json.Unmarshal(req.Config, &c); err != nil || c.Mode == "" {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "mode is required", Path: []string{"mode"}}}
	}
	return nil
}

func (comp) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	var c config
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	ev.Log(fmt.Sprintf("pid %d", os.Getpid()))
	switch c.Mode {
	case "ok":
		fmt.Fprintln(os.Stderr, "a line on stderr")
		ev.Progress(1, 1, "files")
		ev.Diagnostic(specv1.Diagnostic{Severity: specv1.SeverityWarning, Summary: "just so you know"})
		if err := os.WriteFile(filepath.Join(req.OutputDir, "out.txt"), []byte(req.Step), 0o644); err != nil {
			return nil, err
		}
		return &specv1.Metadata{ID: req.Step}, nil
	case "escape": // writes beside its output folder, then in it
		if err := os.WriteFile(filepath.Join(filepath.Dir(req.OutputDir), "escaped"), []byte("x"), 0o644); err != nil {
			return nil, fmt.Errorf("write outside: %w", err)
		}
		return &specv1.Metadata{ID: req.Step}, nil
	case "fail":
		return nil, errors.New("the step failed on purpose")
	case "crash":
		fmt.Fprintln(os.Stderr, "about to crash: disk on fire")
		os.Exit(3)
	case "panic":
		panic("boom in the plugin")
	case "slow": // blocks until cancelled while CKPT_TESTPLUG_BLOCK is set
		if os.Getenv("CKPT_TESTPLUG_BLOCK") != "" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &specv1.Metadata{ID: req.Step}, os.WriteFile(filepath.Join(req.OutputDir, "out.txt"), []byte(req.Step), 0o644)
	case "stubborn": // ignores cancellation
		select {}
	case "sleep":
		<-ctx.Done()
		_ = os.WriteFile(filepath.Join(req.ScratchDir, "stopped"), []byte("ok"), 0o644)
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("unknown mode %q", c.Mode)
}
