package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/pipeline/run"
)

// TestBuildTimeoutKillsStubbornPlugin: a step whose plugin ignores
// cancellation under timeout = "3s" fails within the timeout and the
// host's short grace (5 s), its plugin process is killed, and the failure
// says so.
func TestBuildTimeoutKillsStubbornPlugin(t *testing.T) {
	dir := stubbornProject(t)
	spec := `ckpt {
  required_plugins {
    stubborn = { source = "./bin/ckpt-plugin-stubborn", version = "1.0.0" }
  }
}
check "stubborn" "hang" {
  mode    = "hang"
  timeout = "3s"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startBuildProc(t, dir)
	pid := p.pluginPid(t, "check.hang")
	start := time.Now()
	p.waitFor(t, "the build to end", func() bool { return !p.alive() })
	<-p.done
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the build ended %s after the step started; want within 3 s + 5 s grace + slack", took)
	}
	if processAlive(pid) {
		t.Errorf("plugin %d still runs after the build", pid)
	}
	e, ok := p.event(func(e run.Event) bool { return e.Type == run.EventStepFinished && e.Step == "check.hang" })
	want := "timed out after 3s: plugin stubborn ignored the cancellation for 5s and was killed"
	if !ok || e.Status != run.StatusFailed || !strings.Contains(e.Error, want) || p.code != 1 {
		t.Fatalf("exit %d, check.hang %+v; want failed with %q; stderr:\n%s", p.code, e, want, p.stderr())
	}
}
