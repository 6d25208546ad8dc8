package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/cache"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// fleetSpec is the quickstart without its eval (whose predictions are
// stamped for one model) and push: model → adapter → merge → checks → bundle.
const fleetSpec = "%s\n" + mergeSpec + `
check "runtime" "serve" {
  target   = merge.support
  runtimes = ["vllm-mistral"]
}

check "license" "release" {
  target       = merge.support
  use          = "commercial"
  redistribute = true
}

bundle "modelpack" "release" {
  from = merge.support
  name = "support-assistant"
}
`

const fleetSteps = 6

// fleetProject writes fleetSpec (with head before it, e.g. a ckpt block)
// and synthesizes its base model (of at least size, "" for a tiny one)
// and adapter.
func fleetProject(t *testing.T, size, head string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fleet.ckpt.hcl"), []byte(fmt.Sprintf(fleetSpec, head)), 0o644); err != nil {
		t.Fatal(err)
	}
	model := []string{"synth", "model", filepath.Join(dir, "base"), "--layout", "native", "--seed", "1"}
	if size != "" {
		model = append(model, "--size", size)
	}
	for _, args := range [][]string{model,
		{"synth", "adapter", filepath.Join(dir, "adapters", "support"), "--base", filepath.Join(dir, "base"),
			"--format", "peft", "--rank", "8", "--alpha", "16", "--targets", "wq,wk,wv,wo", "--seed", "2"},
	} {
		if b, err := exec.Command(binaries(t).ckpt, args...).CombinedOutput(); err != nil {
			t.Fatalf("ckpt %v: %v\n%s", args, err, b)
		}
	}
	return dir
}

// copyProject copies a project (not its .ckpt) to a new folder: another
// runner's fresh checkout.
func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if b, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, b)
	}
	if err := os.RemoveAll(filepath.Join(dst, ".ckpt")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// buildEvents runs ckpt build --json with args and returns its events and wall time.
func buildEvents(t *testing.T, dir string, args ...string) ([]run.Event, time.Duration) {
	t.Helper()
	evs, took, _ := buildStarts(t, dir, args...)
	return evs, took
}

// buildStarts is buildEvents that also returns the plugins the build
// started (ckpt's debug lines, CKPT_LOG=debug).
func buildStarts(t *testing.T, dir string, args ...string) ([]run.Event, time.Duration, []string) {
	t.Helper()
	start := time.Now()
	code, out, errOut := ckptProc(t, []string{EnvLog + "=debug"}, append([]string{"build", dir, "--json", "--plain-http"}, args...)...)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("build %s: exit %d\n%s\n%s", dir, code, out, errOut)
	}
	return parseEvents(t, out), took, pluginStarts(errOut)
}

// pluginStarts are the names of the plugins whose start ckpt's debug lines
// on stderr report, in order.
func pluginStarts(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, "debug: plugin "); ok {
			if name, _, ok := strings.Cut(rest, " started ("); ok {
				out = append(out, name)
			}
		}
	}
	return out
}

// outcome is what a build's events say: artifacts by step, the steps
// started and the log lines.
type outcome struct {
	artifacts map[string]string
	started   []string
	logs      []string
}

func outcomeOf(evs []run.Event) outcome {
	o := outcome{artifacts: map[string]string{}}
	for _, e := range evs {
		switch e.Type {
		case run.EventStepFinished:
			o.artifacts[e.Step] = e.Artifact
		case run.EventStepStarted:
			o.started = append(o.started, e.Step)
		case run.EventStepLog:
			o.logs = append(o.logs, e.Step+": "+e.Message)
		}
	}
	return o
}

func (o outcome) count(part string) int {
	n := 0
	for _, l := range o.logs {
		if strings.Contains(l, part) {
			n++
		}
	}
	return n
}

// layers returns the layers (digest → bytes) and total bytes of an
// artifact in dir's store.
func layers(t *testing.T, dir, artifact string) (map[string]int64, int64) {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(dir, ".ckpt", "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	desc, err := st.Resolve(t.Context(), artifact)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Manifest(t.Context(), desc)
	if err != nil {
		t.Fatal(err)
	}
	out, size := map[string]int64{}, int64(0)
	for _, l := range m.Layers {
		out[l.Digest.String()] = l.Size
		size += l.Size
	}
	return out, size
}

func cacheEntries(t *testing.T, ref string) []cache.Entry {
	t.Helper()
	code, out, errOut := ckptProc(t, nil, "cache", "ls", ref, "--plain-http", "--json")
	if code != 0 {
		t.Fatalf("cache ls: exit %d: %s", code, errOut)
	}
	var got struct {
		Entries []cache.Entry `json:"entries"`
		Broken  []string      `json:"broken"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cache ls --json: %v\n%s", err, out)
	}
	if len(got.Broken) != 0 {
		t.Errorf("broken entries: %v", got.Broken)
	}
	return got.Entries
}

// fleet builds a project (with head before its spec) on runner A with the
// cache, then a fresh copy on runner B, and checks that B ran nothing,
// agrees on every digest and downloaded none of the model's layers.
func fleet(t *testing.T, size, head string) (a, b string, ref string, proxy *testenv.Proxy) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	proxy = testenv.StartProxy(t, reg.Host)
	ref = proxy.Host + "/ci/ckpt-cache"
	a = fleetProject(t, size, head)
	evA, tookA, plugA := buildStarts(t, a, "--cache", ref)
	A := outcomeOf(evA)
	if len(A.started) != fleetSteps || len(plugA) == 0 {
		t.Fatalf("runner A started steps %v and plugins %v, want all %d steps and the built-in plugin", A.started, plugA, fleetSteps)
	}
	b = copyProject(t, a)
	proxy.Reset()
	evB, tookB, plugB := buildStarts(t, b, "--cache", ref)
	B := outcomeOf(evB)
	if len(B.started) != 0 || len(plugB) != 0 {
		t.Errorf("runner B started steps %v and plugins %v, want nothing (every step and plugin answer in the remote cache)", B.started, plugB)
	}
	for step, art := range A.artifacts {
		if B.artifacts[step] != art {
			t.Errorf("%s: runner B has %s, A %s", step, B.artifacts[step], art)
		}
	}
	if n := B.count("remote cache hit"); n != fleetSteps {
		t.Errorf("%d remote cache hits in B's log, want %d:\n%s", n, fleetSteps, strings.Join(B.logs, "\n"))
	}
	model, modelBytes := layers(t, a, A.artifacts["model.base"])
	merged, _ := layers(t, a, A.artifacts["merge.support"])
	for dg, n := range proxy.Fetched() {
		if model[dg] > 0 || merged[dg] > 0 {
			t.Errorf("runner B downloaded weights: %s (%d bytes)", dg, n)
		}
	}
	down := proxy.BlobBytesDown()
	t.Logf("runner A %v, runner B %v (%.1f %% of A); B downloaded %d bytes of blobs (%.3f %% of the model's %d)",
		tookA, tookB, 100*tookB.Seconds()/tookA.Seconds(), down, 100*float64(down)/float64(modelBytes), modelBytes)
	if size != "" && down*100 >= modelBytes {
		t.Errorf("runner B downloaded %d bytes, not < 1 %% of the model's %d", down, modelBytes)
	}
	return a, b, ref, proxy
}

func TestRemoteCacheFleet(t *testing.T) {
	a, b, ref, proxy := fleet(t, "", "")
	if n := len(cacheEntries(t, ref)); n != fleetSteps {
		t.Errorf("cache ls: %d entries, want %d", n, fleetSteps)
	}
	// B's store lacks the layers it never needed: missing, unless the
	// cache that holds them is named.
	if code, out, _ := ckptProc(t, nil, "store", "verify", "--dir", b); code != 1 || !strings.Contains(out, "missing sha256:") {
		t.Errorf("store verify on B without the cache: exit %d\n%s", code, out)
	}
	code, out, errOut := ckptProc(t, nil, "store", "verify", "--dir", b, "--cache", ref, "--plain-http")
	if code != 0 || !strings.Contains(out, "0 damaged") || !strings.Contains(out, "remote sha256:") || strings.Contains(out, "missing sha256:") {
		t.Errorf("store verify on B with the cache: exit %d\n%s%s", code, out, errOut)
	}
	// Export on B fetches the merged files it never needed, verified.
	outA, outB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, x := range []struct{ dir, out string }{{a, outA}, {b, outB}} {
		if code, _, errOut := ckptProc(t, nil, "export", "merge.support", x.out, "--dir", x.dir, "--cache", ref, "--plain-http"); code != 0 {
			t.Fatalf("export from %s: exit %d: %s", x.dir, code, errOut)
		}
	}
	if proxy.BlobBytesDown() == 0 {
		t.Error("export on B fetched nothing from the cache")
	}
	sameTree(t, outA, outB)

	code, out, _ = ckptProc(t, nil, "cache", "prune", ref, "--plain-http", "--older-than", "0", "--dry-run")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("would delete %d entries", fleetSteps)) {
		t.Errorf("prune --dry-run: exit %d\n%s", code, out)
	}
	if code, out, errOut := ckptProc(t, nil, "cache", "prune", ref, "--plain-http", "--older-than", "0"); code != 0 {
		t.Fatalf("prune: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(cacheEntries(t, ref)); n != 0 {
		t.Errorf("after prune: %d entries", n)
	}
}

// sameTree fails unless the two folders hold the same files and bytes.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || string(x) != string(y) {
			t.Errorf("%s differs between %s and %s (%v)", rel, a, b, err)
		}
		n++
		return nil
	})
	if n == 0 {
		t.Errorf("%s is empty", a)
	}
}

func TestRemoteCacheFleetLargeModel(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes and pushes a 1 GiB model")
	}
	a, b, ref, proxy := fleet(t, "1GiB", fleetPush)
	w, _ := weights(t, a)
	// B's push to a second repository of the registry moves no weight bytes.
	proxy.Reset()
	start := time.Now()
	if d, errOut := pushTo(t, b, ref, proxy.Host+"/models/support:v1"); d == "" {
		t.Fatalf("runner B's push: %s", errOut)
	}
	noWeights(t, proxy, w, "runner B's push of a 1 GiB bundle")
	t.Logf("runner B's push: %v, %d blob bytes down, %d up", time.Since(start), proxy.BlobBytesDown(), proxy.BlobBytesUp())
}

func TestRemoteCacheConcurrentRunners(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	head := fmt.Sprintf("ckpt {\n  cache {\n    ref = %q\n  }\n}\n", reg.Host+"/ci/ckpt-cache")
	a := fleetProject(t, "", head)
	b := copyProject(t, a)
	type result struct {
		out outcome
		err string
	}
	results := make(chan result, 2)
	for _, dir := range []string{a, b} {
		go func() {
			cmd := exec.Command(binaries(t).ckpt, "build", dir, "--json", "--plain-http")
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				results <- result{err: fmt.Sprintf("%s: %v\n%s", dir, err, errb.String())}
				return
			}
			evs, err := parseLines(out.String())
			if err != nil {
				results <- result{err: err.Error()}
				return
			}
			results <- result{out: outcomeOf(evs)}
		}()
	}
	r1, r2 := <-results, <-results
	if r1.err != "" || r2.err != "" {
		t.Fatalf("a runner failed: %s %s", r1.err, r2.err)
	}
	if len(r1.out.artifacts) != fleetSteps || fmt.Sprint(r1.out.artifacts) != fmt.Sprint(r2.out.artifacts) {
		t.Errorf("the runners disagree:\n%v\n%v", r1.out.artifacts, r2.out.artifacts)
	}
	if n := len(cacheEntries(t, reg.Host+"/ci/ckpt-cache")); n != fleetSteps {
		t.Errorf("%d entries after two runners, want %d", n, fleetSteps)
	}
}

func parseLines(out string) ([]run.Event, error) {
	var evs []run.Event
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e run.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			return nil, fmt.Errorf("not a JSON event: %q: %v", line, err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

func isEntryIndexPut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/cache-")
}

func TestRemoteCacheRunnerKilledWhileSaving(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	proxy := testenv.StartProxy(t, reg.Host)
	ref := proxy.Host + "/ci/ckpt-cache"
	a := fleetProject(t, "", "")
	cmd := exec.Command(binaries(t).ckpt, "build", a, "--json", "--plain-http", "--cache", ref)
	proxy.Refuse(func(r *http.Request) bool {
		if isEntryIndexPut(r) {
			cmd.Process.Kill() // runner A dies as it writes its first entry's tag
			return true
		}
		return false
	})
	if err := cmd.Run(); err == nil {
		t.Fatal("runner A was not killed")
	}
	if proxy.BlobBytesUp() == 0 {
		t.Fatal("runner A was killed before it pushed any blob")
	}
	proxy.Refuse(nil)
	b := copyProject(t, a)
	evs, _ := buildEvents(t, b, "--cache", ref)
	B := outcomeOf(evs)
	if len(B.started) != fleetSteps || len(B.artifacts) != fleetSteps {
		t.Errorf("runner B after A was killed: started %v, want every step (misses, not broken hits)", B.started)
	}
	if n := len(cacheEntries(t, ref)); n != fleetSteps {
		t.Errorf("%d entries after B, want %d", n, fleetSteps)
	}
}

func TestRemoteCacheReadOnlyAndFailedSave(t *testing.T) {
	reg := testenv.StartDockerRegistry(t, testenv.RegistryOptions{})
	proxy := testenv.StartProxy(t, reg.Host)
	ref := proxy.Host + "/ci/ckpt-cache"
	a := fleetProject(t, "", "")
	t.Setenv(EnvCache, ref)
	buildEvents(t, a, "--cache-readonly")
	if n := proxy.Writes(); n != 0 {
		t.Errorf("a read-only build sent %d writing requests", n)
	}
	if n := len(cacheEntries(t, ref)); n != 0 {
		t.Errorf("a read-only build left %d entries", n)
	}
	// A registry that refuses the entries' tags: the build warns, and passes.
	proxy.Refuse(isEntryIndexPut)
	evs, _ := buildEvents(t, copyProject(t, a))
	if o := outcomeOf(evs); o.count("remote cache: saving") != fleetSteps || len(o.started) != fleetSteps {
		t.Errorf("refused saves: %d warnings, %d steps ran:\n%s", o.count("remote cache: saving"), len(o.started), strings.Join(o.logs, "\n"))
	}
}

func TestRemoteCacheRefErrors(t *testing.T) {
	dir := t.TempDir()
	src := fmt.Sprintf(fleetSpec, "ckpt {\n  cache {\n    ref = \"oci:./layout\"\n  }\n}\n")
	if err := os.WriteFile(filepath.Join(dir, "fleet.ckpt.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := ckptProc(t, nil, "build", dir)
	if code != 1 || !strings.Contains(errOut, "fleet.ckpt.hcl:3:11") || !strings.Contains(errOut, "Invalid cache ref") {
		t.Errorf("spec ref to a layout: exit %d\n%s", code, errOut)
	}
	code, _, errOut = ckptProc(t, nil, "build", dir, "--cache", "127.0.0.1:5000/ci/cache:v1")
	if code != 2 || !strings.Contains(errOut, "without a tag") {
		t.Errorf("--cache with a tag: exit %d\n%s", code, errOut)
	}
	code, _, errOut = ckptProc(t, []string{EnvCache + "=127.0.0.1:5000/ci/cache@sha256:" + strings.Repeat("0", 64)}, "build", dir)
	if code != 2 || !strings.Contains(errOut, EnvCache) {
		t.Errorf("%s with a digest: exit %d\n%s", EnvCache, code, errOut)
	}
	code, _, errOut = ckptProc(t, nil, "cache", "prune", "127.0.0.1:5000/ci/cache", "--older-than", "soon")
	if code != 2 || !strings.Contains(errOut, "--older-than") {
		t.Errorf("prune --older-than soon: exit %d\n%s", code, errOut)
	}
}
