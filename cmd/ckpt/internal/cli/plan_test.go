package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlanJSON(t *testing.T) {
	code, out, errs := specRun(t, "plan", "--json", quickstart)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var got struct {
		FormatVersion string `json:"format_version"`
		Digest        string `json:"digest"`
		Steps         []struct {
			Address, Kind, Type, Name, Key string
			Pending                        bool
			Inputs                         []struct {
				Step, Attr string
				Gate       bool
			}
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var order []string
	gates := map[string][]string{}
	for _, s := range got.Steps {
		order = append(order, s.Address)
		if !strings.HasPrefix(s.Key, "sha256:") || s.Kind+"."+s.Name != s.Address || s.Type == "" {
			t.Errorf("step %+v", s)
		}
		for _, in := range s.Inputs {
			if in.Gate {
				gates[s.Address] = append(gates[s.Address], in.Step)
			}
		}
	}
	want := "model.base adapter.support merge.support check.release check.serve eval.format bundle.release push.release"
	if strings.Join(order, " ") != want {
		t.Errorf("order = %v", order)
	}
	if g := strings.Join(gates["bundle.release"], " "); g != "check.release check.serve eval.format" || len(gates) != 1 {
		t.Errorf("gates = %v", gates)
	}
	if got.FormatVersion != "1" || !strings.HasPrefix(got.Digest, "sha256:") {
		t.Errorf("format_version %q digest %q", got.FormatVersion, got.Digest)
	}
	// Same spec, same plan.
	if _, again, _ := specRun(t, "plan", "--json", quickstart); again != out {
		t.Error("plan --json is not deterministic")
	}
}

func TestPlanText(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": `
variable "token" {
  default   = "s3cret"
  sensitive = true
}
model "dir" "base" {
  path = "."
  id   = "m"
}
merge "lora" "m" {
  base     = model.base
  adapters = []
  id       = "${model.base.id}-merged"
}
`})
	code, out, errs := specRun(t, "plan", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{" 1. model.base  model \"dir\"\n", " 2. merge.m     merge \"lora\"\n",
		"      needs model.base (base), model.base (id)\n", "(pending: config known after upstream steps run)", "2 steps, 1 pending."} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	_, js, _ := specRun(t, "plan", "--json", dir)
	if strings.Contains(js, "s3cret") || !strings.Contains(js, `"sensitive": true`) {
		t.Errorf("sensitive variable not redacted:\n%s", js)
	}
}

func TestPlanInvalid(t *testing.T) {
	dir := specDir(t, map[string]string{"main.ckpt.hcl": badSpec})
	code, out, errs := specRun(t, "plan", dir)
	if code != 1 || out != "" || !strings.Contains(errs, "Unsupported argument") || !strings.Contains(errs, "has 2 errors") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
