package run_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/packaging/tree"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// resolver offers a component "t" for every kind, with the attributes the
// test executor understands and the capabilities of the built-in
// components of that kind, and a component "novel" for every kind, with the
// capabilities in novel (none for a kind not listed).
type resolver struct{ version string }

// builtinCaps are the capabilities of the built-in components by kind.
var builtinCaps = map[string]specv1.Capabilities{
	"adapter": {Records: []string{specv1.RecordTraining}},
	"check":   {Gate: "target"},
	"eval":    {Gate: "target", Baseline: "baseline"},
	"bundle":  {Gated: true},
	"push":    {Publishes: true, Records: []string{specv1.RecordPushed}},
}

// novel are capability combinations no built-in component has.
var novel = map[string]specv1.Capabilities{
	"check":   {Gate: "from"},                                            // judges the step its "from" names
	"export":  {Gated: true},                                             // waits for gates like a bundle
	"dataset": {Publishes: true, Records: []string{specv1.RecordPushed}}, // a publishing dataset
	"push":    {Publishes: true, RemoteInputs: true},                     // reads its bundle from the remote cache
}

func (r resolver) Resolve(kind, typ string) (plan.Component, bool) {
	caps, ok := map[string]map[string]specv1.Capabilities{"t": builtinCaps, "novel": novel}[typ]
	if !ok {
		return plan.Component{}, false
	}
	attrs := []specv1.Attribute{
		{Name: "from", Type: specv1.TypeStep}, {Name: "inputs", Type: specv1.TypeSteps},
		{Name: "target", Type: specv1.TypeStep}, {Name: "content", Type: specv1.TypeString},
		{Name: "sleep", Type: specv1.TypeString}, {Name: "block", Type: specv1.TypeBool},
		{Name: "meet", Type: specv1.TypeString}, {Name: "fail", Type: specv1.TypeBool},
		{Name: "finding", Type: specv1.TypeString}, {Name: "path", Type: specv1.TypePath},
		{Name: "baseline", Type: specv1.TypeString}, {Name: "note", Type: specv1.TypeString},
		{Name: "ref", Type: specv1.TypeString}, {Name: "diag", Type: specv1.TypeString},
		{Name: "refer", Type: specv1.TypeBool},
	}
	v := r.version
	if v == "" {
		v = "1.0.0"
	}
	return plan.Component{Component: specv1.Component{Kind: kind, Type: typ, Schema: specv1.Schema{Attributes: attrs},
		Outputs: []string{"note", "ref"}, Capabilities: caps[kind]},
		Plugin: plan.PluginID{Name: "test", Version: v, Digest: "sha256:" + strings.Repeat("0", 64)}}, true
}

// project is a spec folder with a store.
type project struct {
	dir   string
	store *store.Store
	exec  *executor
}

func newProject(t testing.TB, src string) *project {
	t.Helper()
	dir := t.TempDir()
	p := &project{dir: dir, exec: newExecutor()}
	p.write(t, src)
	s, err := store.Open(context.Background(), filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	p.store = s
	return p
}

func (p *project) write(t testing.TB, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, "main.ckpt.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *project) graph(t testing.TB, vars ...string) *plan.Graph {
	t.Helper()
	sp, diags := spec.Load(context.Background(), p.dir, spec.Options{Vars: vars})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := plan.New(sp, resolver{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return g
}

// build plans the spec and builds it; it fails the test on a nil result.
func (p *project) build(t testing.TB, ctx context.Context, o run.Options) (*run.Result, error) {
	t.Helper()
	res, err := run.Build(ctx, p.graph(t), p.exec, p.store, o)
	if res == nil && err == nil {
		t.Fatal("nil result and nil error")
	}
	return res, err
}

// executor is the test's Executor: it behaves as each step's config says,
// writes out.txt (content + its inputs' out.txt) and counts its calls.
type executor struct {
	calls   atomic.Int64
	running atomic.Int64
	maxRun  atomic.Int64
	mu      sync.Mutex
	reqs    map[string]*specv1.RunRequest
	meets   map[string]chan struct{}
	started chan string
}

// errToldToFail is what a step with fail = true fails with.
var errToldToFail = errors.New("told to fail")

func newExecutor() *executor {
	return &executor{reqs: map[string]*specv1.RunRequest{}, meets: map[string]chan struct{}{}, started: make(chan string, 64)}
}

type stepConfig struct {
	Content string `json:"content"`
	Sleep   string `json:"sleep"`
	Block   bool   `json:"block"`
	Meet    string `json:"meet"`
	Fail    bool   `json:"fail"`
	Finding string `json:"finding"`
	Note    string `json:"note"`
	Ref     string `json:"ref"`
	Diag    string `json:"diag"`
	Path    string `json:"path"`
	Refer   bool   `json:"refer"` // refer to path's files from the output, as plugins/model does
}

func (e *executor) Execute(ctx context.Context, plugin string, req *specv1.RunRequest, ev specv1.Events) (*specv1.Metadata, error) {
	e.calls.Add(1)
	n := e.running.Add(1)
	defer e.running.Add(-1)
	for m := e.maxRun.Load(); n > m && !e.maxRun.CompareAndSwap(m, n); m = e.maxRun.Load() {
	}
	e.mu.Lock()
	e.reqs[req.Step] = req
	e.mu.Unlock()
	e.started <- req.Step
	var c stepConfig
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return nil, err
	}
	ev.Log("running " + req.Step)
	ev.Progress(1, 2, "units")
	if c.Diag != "" {
		ev.Diagnostic(specv1.Diagnostic{Severity: specv1.SeverityWarning, Summary: c.Diag, Path: []string{"diag"}})
	}
	if err := e.behave(ctx, c); err != nil {
		return nil, err
	}
	return e.output(req, c)
}

func (e *executor) behave(ctx context.Context, c stepConfig) error {
	if c.Sleep != "" {
		d, _ := time.ParseDuration(c.Sleep)
		time.Sleep(d)
	}
	if c.Meet != "" {
		if err := e.meet(ctx, c.Meet); err != nil {
			return err
		}
	}
	if c.Block {
		<-ctx.Done()
		return ctx.Err()
	}
	if c.Fail {
		return errToldToFail
	}
	return nil
}

// meet returns once two steps have reached the same meeting point: proof
// that they ran at the same time.
func (e *executor) meet(ctx context.Context, name string) error {
	e.mu.Lock()
	ch, ok := e.meets[name]
	if !ok {
		ch = make(chan struct{})
		e.meets[name] = ch
	} else {
		close(ch)
	}
	e.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return fmt.Errorf("meeting %q: the other step never came", name)
	}
}

func (e *executor) output(req *specv1.RunRequest, c stepConfig) (*specv1.Metadata, error) {
	var b strings.Builder
	b.WriteString(c.Content)
	for _, in := range req.Inputs {
		if in.Remote != nil && len(in.Remote.Missing) > 0 { // a RemoteInputs step: the file is in the cache
			fmt.Fprintf(&b, "|%s:remote %s", in.Attr, in.Remote.Missing[0].Digest)
			continue
		}
		prev, err := os.ReadFile(filepath.Join(in.Dir, "out.txt"))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "|%s:%s", in.Attr, prev)
	}
	if err := os.WriteFile(filepath.Join(req.OutputDir, "out.txt"), []byte(b.String()), 0o644); err != nil {
		return nil, err
	}
	if c.Refer {
		if _, err := tree.Link(context.Background(), c.Path, filepath.Join(req.OutputDir, "files"), tree.Options{Refer: true}); err != nil {
			return nil, err
		}
	}
	meta := &specv1.Metadata{Kind: req.Kind, ID: req.Step, Outputs: map[string]string{"note": c.Note}}
	if c.Ref != "" {
		meta.Outputs["ref"], meta.Outputs["digest"] = c.Ref, "sha256:"+strings.Repeat("1", 64)
	}
	if c.Finding != "" {
		meta.Findings = []specv1.Finding{{Code: "test.finding", Severity: c.Finding, File: "out.txt", Message: "found"}}
	}
	return meta, nil
}

func (e *executor) request(step string) *specv1.RunRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reqs[step]
}

// events records a build's events.
type events struct {
	mu sync.Mutex
	ev []run.Event
}

func (s *events) Event(e run.Event) {
	s.mu.Lock()
	s.ev = append(s.ev, e)
	s.mu.Unlock()
}

func (s *events) finished() map[string]run.Event {
	out := map[string]run.Event{}
	for _, e := range s.ev {
		if e.Type == run.EventStepFinished {
			out[e.Step] = e
		}
	}
	return out
}

func statuses(res *run.Result) string {
	var out []string
	for _, s := range res.Steps {
		out = append(out, s.Address+"="+s.Status)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
