package sdk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// fake is a component whose Run does what its config's "do" says.
type fake struct{}

func (fake) Describe() specv1.Component {
	return specv1.Component{Kind: "check", Type: "fake", Schema: specv1.Schema{Attributes: []specv1.Attribute{{Name: "do", Type: specv1.TypeString}}}}
}

func (fake) Validate(_ context.Context, req *specv1.ValidateRequest) []specv1.Diagnostic {
	if string(req.Config) == `{}` {
		return []specv1.Diagnostic{{Severity: specv1.SeverityError, Summary: "do is required", Path: []string{"do"}}}
	}
	return nil
}

func (fake) Run(ctx context.Context, req *specv1.RunRequest, ev sdk.Events) (*specv1.Metadata, error) {
	switch string(req.Config) {
	case `{"do":"fail"}`:
		return nil, errors.New("it failed")
	case `{"do":"wait"}`:
		ev.Log("waiting")
		<-ctx.Done()
		return nil, ctx.Err()
	case `{"do":"nil"}`:
		return nil, nil
	}
	ev.Log("hello")
	for i := int64(1); i <= 1000; i++ {
		ev.Progress(i, 1000, "things")
	}
	ev.Diagnostic(specv1.Diagnostic{Severity: specv1.SeverityWarning, Summary: "careful", Path: []string{"do"}})
	return &specv1.Metadata{ID: "out", License: "MIT"}, nil
}

func remote(t *testing.T) *sdk.Remote {
	t.Helper()
	p := &sdk.Plugin{Name: "fake", Version: "1.2.3", Components: []sdk.Component{fake{}}}
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sdk.PluginKey: &sdk.GRPCPlugin{Impl: p}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(sdk.PluginKey)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*sdk.Remote)
}

type rec struct {
	mu    sync.Mutex
	logs  []string
	prog  [][2]int64
	diags []specv1.Diagnostic
	first chan struct{}
	once  sync.Once
}

func (r *rec) Log(m string) {
	r.mu.Lock()
	r.logs = append(r.logs, m)
	r.mu.Unlock()
	if r.first != nil {
		r.once.Do(func() { close(r.first) })
	}
}
func (r *rec) Progress(d, t int64, _ string) {
	r.mu.Lock()
	r.prog = append(r.prog, [2]int64{d, t})
	r.mu.Unlock()
}
func (r *rec) Diagnostic(d specv1.Diagnostic) {
	r.mu.Lock()
	r.diags = append(r.diags, d)
	r.mu.Unlock()
}

func run(t *testing.T, r *sdk.Remote, cfg string, ev sdk.Events) (*specv1.Metadata, error) {
	return r.Run(t.Context(), &specv1.RunRequest{Kind: "check", Type: "fake", Step: "check.x", Config: []byte(cfg)}, ev)
}

func TestDescribe(t *testing.T) {
	d, err := remote(t).Describe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "fake" || d.Version != "1.2.3" || d.ProtocolVersion != sdk.ProtocolVersion ||
		len(d.Components) != 1 || d.Components[0].Schema.Attributes[0].Name != "do" {
		t.Fatalf("describe = %+v", d)
	}
}

func TestRunStreamsEventsAndResult(t *testing.T) {
	ev := &rec{}
	md, err := run(t, remote(t), `{"do":"ok"}`, ev)
	if err != nil {
		t.Fatal(err)
	}
	if md.Kind != "check" || md.ID != "out" || md.License != "MIT" {
		t.Errorf("metadata = %+v (kind defaults to the request's)", md)
	}
	if len(ev.logs) != 1 || ev.logs[0] != "hello" || len(ev.diags) != 1 || ev.diags[0].Path[0] != "do" {
		t.Errorf("logs %v diags %+v", ev.logs, ev.diags)
	}
	// Progress is rate-limited, and the final one always arrives.
	if n := len(ev.prog); n == 0 || n > 100 || ev.prog[n-1] != [2]int64{1000, 1000} {
		t.Errorf("%d progress events, last %v", n, ev.prog)
	}
}

func TestRunFailures(t *testing.T) {
	r := remote(t)
	_, err := run(t, r, `{"do":"fail"}`, &rec{})
	var se *sdk.StepError
	if !errors.As(err, &se) || se.Msg != "it failed" {
		t.Errorf("err = %v, want the step's error", err)
	}
	if md, err := run(t, r, `{"do":"nil"}`, &rec{}); err != nil || md.Kind != "check" {
		t.Errorf("nil metadata: %+v, %v", md, err)
	}
	_, err = r.Run(t.Context(), &specv1.RunRequest{Kind: "check", Type: "nope", Step: "check.y"}, &rec{})
	if status.Code(errors.Unwrap(err)) != codes.NotFound || !strings.Contains(err.Error(), "check.nope") {
		t.Errorf("unknown component: %v", err)
	}
	_, err = r.Validate(t.Context(), &specv1.ValidateRequest{Kind: "merge", Type: "x", Step: "merge.m"})
	if err == nil || !strings.Contains(err.Error(), "merge.x") {
		t.Errorf("validate of an unknown component: %v", err)
	}
}

func TestValidateDiagnostics(t *testing.T) {
	r := remote(t)
	d, err := r.Validate(t.Context(), &specv1.ValidateRequest{Kind: "check", Type: "fake", Step: "check.x", Config: []byte(`{}`)})
	if err != nil || len(d) != 1 || d[0].Path[0] != "do" {
		t.Fatalf("diagnostics %+v, %v", d, err)
	}
	d, err = r.Validate(t.Context(), &specv1.ValidateRequest{Kind: "check", Type: "fake", Step: "check.x", Config: []byte(`{"do":"x"}`)})
	if err != nil || len(d) != 0 {
		t.Fatalf("valid config: %+v, %v", d, err)
	}
}

func TestCancellationReachesComponent(t *testing.T) {
	r := remote(t)
	ctx, cancel := context.WithCancel(t.Context())
	ev := &rec{first: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx, &specv1.RunRequest{Kind: "check", Type: "fake", Step: "check.x", Config: []byte(`{"do":"wait"}`)}, ev)
		done <- err
	}()
	<-ev.first
	cancel()
	if err := <-done; status.Code(errors.Unwrap(err)) != codes.Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
}

func TestHandshakeIsStable(t *testing.T) {
	h := sdk.Handshake()
	if h.ProtocolVersion != sdk.ProtocolVersion || h.MagicCookieKey != "CKPT_PLUGIN_MAGIC_COOKIE" || len(h.MagicCookieValue) != 64 {
		t.Fatalf("handshake = %+v", h)
	}
	if _, ok := sdk.PluginSets(nil)[sdk.ProtocolVersion][sdk.PluginKey]; !ok {
		t.Fatal("no plugin set for the protocol version")
	}
}
