package run_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

const secret = "tok-77e1b"

// TestSensitiveRedactedFromPluginEchoes: the plugin gets the real value,
// but its log lines, diagnostics, outputs and pushed ref that echo it are
// redacted before the events, the store and the ledger see them: a value
// derived from a secret whole (it is one of the spec's secrets too).
func TestSensitiveRedactedFromPluginEchoes(t *testing.T) {
	p := newProject(t, `
variable "token" { sensitive = true }
model "t" "m" {
  content = "weights"
  note    = "note ${var.token}"
  diag    = "bad ${upper(var.token)} and ${var.token}"
}
push "t" "p" {
  from = model.m
  ref  = "reg/${var.token}:v1"
}
`)
	sink := &events{}
	res, err := run.Build(context.Background(), p.graph(t, "token="+secret), p.exec, p.store, run.Options{Sink: sink, Push: true})
	if err != nil {
		t.Fatal(err)
	}
	if req := p.exec.request("push.p"); !strings.Contains(string(req.Config), secret) {
		t.Errorf("the plugin did not get the value: %s", req.Config)
	}
	b, _ := json.Marshal(sink.ev)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), strings.ToUpper(secret)) || !strings.Contains(string(b), `"summary":"(sensitive)"`) {
		t.Errorf("events: %s", b)
	}
	if m := res.Step("model.m").Metadata; m.Outputs["note"] != "(sensitive)" {
		t.Errorf("stored outputs %v", m.Outputs)
	}
	ledger, err := os.ReadFile(state.For(p.dir).Ledger())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ledger), secret) || !strings.Contains(string(ledger), `"ref":"(sensitive)"`) {
		t.Errorf("ledger: %s", ledger)
	}
}
