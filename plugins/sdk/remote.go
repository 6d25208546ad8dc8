package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	pb "github.com/ckpt-dev/ckpt/plugins/proto"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Description is a plugin's answer to Describe.
type Description struct {
	Name            string             `json:"name"`
	Version         string             `json:"version"`
	ProtocolVersion int                `json:"protocol_version"`
	Components      []specv1.Component `json:"components"`
}

// Remote is the host's view of a plugin over the protocol. Its methods are
// safe for concurrent use.
type Remote struct{ c pb.PluginClient }

// StepError is a failure the component itself reported (as opposed to a
// transport failure or a crash), as its message: a Go error does not cross
// the wire. It names no step; the scheduler wraps it in a
// specv1.StepError.
type StepError struct{ Msg string }

func (e *StepError) Error() string { return e.Msg }

// Describe asks the plugin for its name, version and components.
func (r *Remote) Describe(ctx context.Context) (*Description, error) {
	resp, err := r.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, fmt.Errorf("describe: %w", err)
	}
	d := &Description{Name: resp.Name, Version: resp.Version, ProtocolVersion: int(resp.ProtocolVersion)}
	if err := json.Unmarshal(resp.ComponentsJson, &d.Components); err != nil {
		return nil, fmt.Errorf("describe: decode components of plugin %s: %w", resp.Name, err)
	}
	return d, nil
}

// Validate asks the plugin to check a step's configuration.
func (r *Remote) Validate(ctx context.Context, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("validate: encode request: %w", err)
	}
	resp, err := r.c.Validate(ctx, &pb.ValidateRequest{RequestJson: b})
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	var diags []specv1.Diagnostic
	if err := json.Unmarshal(resp.DiagnosticsJson, &diags); err != nil {
		return nil, fmt.Errorf("validate: decode diagnostics: %w", err)
	}
	return diags, nil
}

// Run runs a step, forwarding its events to ev, and returns the output
// metadata. A failure the component reported is a *StepError.
func (r *Remote) Run(ctx context.Context, req *specv1.RunRequest, ev Events) (*specv1.Metadata, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("run: encode request: %w", err)
	}
	stream, err := r.c.Run(ctx, &pb.RunRequest{RequestJson: b})
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("run: %w", errNoResult)
		}
		if err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		if res := msg.GetResult(); res != nil {
			return decodeResult(res)
		}
		dispatch(msg, ev)
	}
}

func decodeResult(res *pb.Result) (*specv1.Metadata, error) {
	if res.Error != "" {
		return nil, &StepError{Msg: res.Error}
	}
	var md specv1.Metadata
	if err := json.Unmarshal(res.MetadataJson, &md); err != nil {
		return nil, fmt.Errorf("run: decode result metadata: %w", err)
	}
	return &md, nil
}

func dispatch(msg *pb.RunEvent, ev Events) {
	switch e := msg.Event.(type) {
	case *pb.RunEvent_Log:
		ev.Log(e.Log.Message)
	case *pb.RunEvent_Progress:
		ev.Progress(e.Progress.Done, e.Progress.Total, e.Progress.Unit)
	case *pb.RunEvent_Diagnostic:
		var d specv1.Diagnostic
		if err := json.Unmarshal(e.Diagnostic.DiagnosticJson, &d); err == nil {
			ev.Diagnostic(d)
		} else {
			ev.Log(fmt.Sprintf("undecodable diagnostic from plugin: %v", err))
		}
	}
}
