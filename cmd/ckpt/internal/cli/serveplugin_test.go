package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestBuiltinsRunOutOfProcess starts the real ckpt binary with the hidden
// command through the host and asks it for its components.
func TestBuiltinsRunOutOfProcess(t *testing.T) {
	bin := binaries(t).ckpt
	h, err := host.New(host.Options{Self: bin, Dir: t.TempDir(), Version: Version})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	cs, err := h.Components(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := builtin.Plugin(Version).Components
	if len(cs) != len(want) {
		t.Fatalf("%d components over the wire, want %d", len(cs), len(want))
	}
	digest, _, _ := host.FileDigest(bin)
	for _, c := range cs {
		if c.Plugin != host.BuiltinName || c.Digest != digest {
			t.Errorf("%s: plugin %s digest %s, want builtin %s", c.Address(), c.Plugin, c.Digest, digest)
		}
	}
	cfg, _ := json.Marshal(map[string]any{})
	if _, err := h.Validate(context.Background(), host.BuiltinName, &specv1.ValidateRequest{
		Kind: "check", Type: "license", Step: "check.l", Config: cfg}); err != nil {
		t.Fatalf("validate through the built-in process: %v", err)
	}
}

func TestServePluginIsHiddenAndRefusesHumans(t *testing.T) {
	code, out, _ := ckptRun(t, "--help")
	if code != 0 || strings.Contains(out, host.ServeCommand) {
		t.Errorf("--help shows the hidden command:\n%s", out)
	}
	// Run by hand (no handshake cookie), go-plugin explains and exits 1.
	b, err := exec.Command(binaries(t).ckpt, host.ServeCommand).CombinedOutput()
	if err == nil || !strings.Contains(string(b), "plugin") {
		t.Errorf("ckpt __plugin by hand: %v\n%s", err, b)
	}
}

// BenchmarkBuiltinStartToFirstCall measures starting the built-in plugin
// (hash of the ckpt binary, re-exec with __plugin, handshake, AutoMTLS) up
// to the answer of its first call; it reports the median besides the mean.
func BenchmarkBuiltinStartToFirstCall(b *testing.B) {
	bin := binaries(b).ckpt
	dir := b.TempDir()
	req := &specv1.ValidateRequest{Kind: "check", Type: "license", Step: "check.l", Config: []byte(`{}`)}
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		h, err := host.New(host.Options{Self: bin, Dir: dir, Version: Version})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Validate(context.Background(), host.BuiltinName, req); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-median")
}
