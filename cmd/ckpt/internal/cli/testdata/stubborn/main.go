// Command stubborn is a plugin for ckpt's Ctrl-C tests. Its one component,
// check "stubborn", logs its pid and then, with mode "hang", ignores
// cancellation: it logs that it saw the cancel and blocks for ever (it also
// ignores SIGINT, as plugins should). With mode "cleanup" it stops after
// cancellation once the file $CKPT_STUBBORN_RELEASE exists, writing
// $CKPT_STUBBORN_CLEANED first. With mode "ok" it writes out.txt.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func main() {
	// Its markers are files the test names, outside the step's folders:
	// run steps unconfined (plugin-protocol.md §6).
	os.Setenv(sdk.ConfineEnv, "off")
	signal.Ignore(os.Interrupt)
	sdk.Serve(&sdk.Plugin{Name: "stubborn", Version: "1.0.0", Components: []sdk.Component{comp{}}})
}

type comp struct{}

type config struct {
	Mode string `json:"mode"`
}

func (comp) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "stubborn", Schema: specv1.Schema{Attributes: []specv1.Attribute{
		{Name: "mode", Type: specv1.TypeString, Required: true},
	}}}
}

func (comp) Validate(context.Context, *specv1.ValidateRequest) []specv1.Diagnostic { return nil }

func (comp) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	var c config
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	ev.Log(fmt.Sprintf("pid %d", os.Getpid()))
	if c.Mode == "cleanup" { // stops, after a cleanup that waits for the test
		<-ctx.Done()
		for {
			if _, err := os.Stat(os.Getenv("CKPT_STUBBORN_RELEASE")); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		os.WriteFile(os.Getenv("CKPT_STUBBORN_CLEANED"), []byte("cleaned\n"), 0o644)
		return nil, ctx.Err()
	}
	if c.Mode == "hang" {
		<-ctx.Done()
		fmt.Fprintln(os.Stderr, "cancelled; not stopping")
		if f := os.Getenv("CKPT_STUBBORN_SAW_CANCEL"); f != "" {
			os.WriteFile(f, []byte("cancelled\n"), 0o644)
		}
		select {}
	}
	return &specv1.Metadata{ID: req.Step}, os.WriteFile(filepath.Join(req.OutputDir, "out.txt"), []byte(req.Step), 0o644)
}
