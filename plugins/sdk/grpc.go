package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/ckpt-dev/ckpt/plugins/proto"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// GRPCPlugin is the go-plugin glue: it serves Impl on the plugin side and
// returns a *Remote on the host side.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl *Plugin
	// stderr, when set, replaces os.Stderr at the first call (see Serve).
	stderr *os.File
	// confine runs each step in a confined step process (set by Serve,
	// whose StepEnv branch such a process needs).
	confine bool
}

// GRPCServer registers the plugin's service.
func (g *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPluginServer(s, &server{p: g.Impl, stderr: g.stderr, confine: g.confine})
	return nil
}

// GRPCClient returns a *Remote over the connection.
func (g *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Remote{c: pb.NewPluginClient(c)}, nil
}

// server answers the protocol with a Plugin's components.
type server struct {
	pb.UnimplementedPluginServer
	p       *Plugin
	stderr  *os.File
	confine bool
	once    sync.Once
}

// enter runs at the start of every call: it restores the real stderr once.
func (s *server) enter() {
	s.once.Do(func() {
		if s.stderr != nil {
			os.Stderr = s.stderr
		}
	})
}

// endRun writes the run-end marker of the call's run id, if any, to stderr.
func (s *server) endRun(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	if ids := md.Get(RunIDKey); len(ids) == 1 {
		fmt.Fprintf(os.Stderr, "%s%s\n", RunEndMarker, ids[0])
	}
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	s.enter()
	cs := make([]specv1.Component, 0, len(s.p.Components))
	for _, c := range s.p.Components {
		cs = append(cs, c.Describe())
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode components: %v", err)
	}
	return &pb.DescribeResponse{Name: s.p.Name, Version: s.p.Version,
		ProtocolVersion: ProtocolVersion, ComponentsJson: b}, nil
}

func (s *server) Validate(ctx context.Context, in *pb.ValidateRequest) (*pb.ValidateResponse, error) {
	s.enter()
	var req specv1.ValidateRequest
	if err := json.Unmarshal(in.RequestJson, &req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "decode validate request: %v", err)
	}
	c := s.p.Component(req.Kind, req.Type)
	if c == nil {
		return nil, status.Errorf(codes.NotFound, "plugin %s has no component %s.%s", s.p.Name, req.Kind, req.Type)
	}
	diags := c.Validate(ctx, &req)
	if diags == nil {
		diags = []specv1.Diagnostic{}
	}
	b, err := json.Marshal(diags)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode diagnostics: %v", err)
	}
	return &pb.ValidateResponse{DiagnosticsJson: b}, nil
}

func (s *server) Run(in *pb.RunRequest, stream pb.Plugin_RunServer) error {
	s.enter()
	var req specv1.RunRequest
	if err := json.Unmarshal(in.RequestJson, &req); err != nil {
		return status.Errorf(codes.InvalidArgument, "decode run request: %v", err)
	}
	c := s.p.Component(req.Kind, req.Type)
	if c == nil {
		return status.Errorf(codes.NotFound, "plugin %s has no component %s.%s", s.p.Name, req.Kind, req.Type)
	}
	ev := &streamEvents{stream: stream}
	var md *specv1.Metadata
	var err error
	if s.confine {
		md, err = runConfined(stream.Context(), &req, ev)
	} else {
		md, err = c.Run(stream.Context(), &req, ev)
	}
	s.endRun(stream.Context()) // also after a cancellation: the host waits for it
	if ctxErr := stream.Context().Err(); ctxErr != nil {
		return status.FromContextError(ctxErr).Err()
	}
	return ev.send(&pb.RunEvent{Event: &pb.RunEvent_Result{Result: result(&req, md, err)}})
}

func result(req *specv1.RunRequest, md *specv1.Metadata, err error) *pb.Result {
	if err != nil {
		return &pb.Result{Error: err.Error()}
	}
	if md == nil {
		md = &specv1.Metadata{}
	}
	if md.Kind == "" {
		md.Kind = req.Kind
	}
	b, err := json.Marshal(md)
	if err != nil {
		return &pb.Result{Error: fmt.Sprintf("encode metadata: %v", err)}
	}
	return &pb.Result{MetadataJson: b}
}

// progressEvery is the minimum interval between two progress events; the
// last one (done == total) is always sent.
const progressEvery = 100 * time.Millisecond

var _ Events = (*streamEvents)(nil)

// streamEvents sends a component's events on the Run stream; it is safe for
// concurrent use.
type streamEvents struct {
	mu       sync.Mutex
	stream   pb.Plugin_RunServer
	lastProg time.Time
}

func (e *streamEvents) send(ev *pb.RunEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stream.Send(ev)
}

func (e *streamEvents) Log(msg string) {
	_ = e.send(&pb.RunEvent{Event: &pb.RunEvent_Log{Log: &pb.Log{Message: msg}}})
}

func (e *streamEvents) Progress(done, total int64, unit string) {
	e.mu.Lock()
	now := time.Now()
	skip := done != total && now.Sub(e.lastProg) < progressEvery
	if !skip {
		e.lastProg = now
	}
	e.mu.Unlock()
	if skip {
		return
	}
	_ = e.send(&pb.RunEvent{Event: &pb.RunEvent_Progress{Progress: &pb.Progress{Done: done, Total: total, Unit: unit}}})
}

func (e *streamEvents) Diagnostic(d specv1.Diagnostic) {
	b, err := json.Marshal(d)
	if err != nil {
		return
	}
	_ = e.send(&pb.RunEvent{Event: &pb.RunEvent_Diagnostic{Diagnostic: &pb.Diagnostic{DiagnosticJson: b}}})
}

// errNoResult is returned when a Run stream ends without a result.
var errNoResult = errors.New("plugin ended the run without a result")
