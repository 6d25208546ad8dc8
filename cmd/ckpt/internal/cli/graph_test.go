package cli

import (
	"strings"
	"testing"
)

func TestGraph(t *testing.T) {
	code, out, errs := specRun(t, "graph", quickstart)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"digraph ckpt {\n",
		`  "model.base" [label = "model.base\nmodel \"dir\""];`,
		`  "model.base" -> "adapter.support" [label = "base"];`,
		`  "adapter.support" -> "merge.support" [label = "adapters"];`,
		`  "check.release" -> "bundle.release" [label = "gate", style = "dashed"];`,
		`  "eval.format" -> "bundle.release" [label = "gate", style = "dashed"];`,
		`  "bundle.release" -> "push.release" [label = "bundle"];`,
		"}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("graph lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "->") != 11 {
		t.Errorf("%d edges:\n%s", strings.Count(out, "->"), out)
	}
	dir := specDir(t, map[string]string{"main.ckpt.hcl": badSpec})
	if code, out, _ := specRun(t, "graph", dir); code != 1 || out != "" {
		t.Errorf("invalid spec: exit %d, stdout %q", code, out)
	}
}
