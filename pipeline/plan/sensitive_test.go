package plan_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/spec"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// secretResolver provides model "s": id and meta published, key
// sensitive in its schema, note free, and a list block.
func secretResolver() resolver {
	id := plan.PluginID{Name: "p", Version: "1", Digest: "sha256:" + strings.Repeat("2", 64)}
	c := specv1.Component{Kind: "model", Type: "s", Schema: specv1.Schema{
		Attributes: []specv1.Attribute{
			{Name: "id", Type: specv1.TypeString, Published: true},
			{Name: "meta", Type: specv1.TypeAny, Published: true},
			{Name: "key", Type: specv1.TypeString, Sensitive: true},
			{Name: "note", Type: specv1.TypeAny},
		},
		Blocks: []specv1.Block{{Name: "part", List: true, Schema: specv1.Schema{
			Attributes: []specv1.Attribute{{Name: "label", Type: specv1.TypeString}}}}},
	}}
	return resolver{cs: []plan.Component{{Component: c, Plugin: id}}}
}

func planSecret(t *testing.T, body string) (*plan.Graph, string) {
	t.Helper()
	dir := t.TempDir()
	src := "variable \"token\" {\n  sensitive = true\n}\nmodel \"s\" \"m\" {\n" + body + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.ckpt.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, diags := spec.Load(t.Context(), dir, spec.Options{Vars: []string{"token=tk-0042"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := plan.New(sp, secretResolver())
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Summary+": "+d.Detail)
	}
	return g, strings.Join(msgs, "\n")
}

func TestSensitivePublishedRefused(t *testing.T) {
	for _, c := range []struct{ body, attr string }{
		{`id = "m-${var.token}"`, `"id"`},
		{`meta = { dataset = upper(var.token) }`, `"meta.dataset"`},
		{`meta = { list = ["a", var.token] }`, `"meta.list.1"`},
	} {
		_, diags := planSecret(t, c.body)
		if !strings.Contains(diags, "Sensitive value in a published attribute") || !strings.Contains(diags, c.attr) || strings.Contains(strings.ToLower(diags), "tk-0042") {
			t.Errorf("%s: diagnostics\n%s", c.body, diags)
		}
	}
	if _, diags := planSecret(t, `id = nonsensitive(substr(sha256(var.token), 0, 8))`); diags != "" {
		t.Errorf("nonsensitive(...) refused: %s", diags)
	}
}

func TestSensitiveConfigPaths(t *testing.T) {
	g, diags := planSecret(t, `
  id   = "m"
  key  = "literal key"
  note = { auth = "Bearer ${var.token}", plain = "x" }
  part { label = "a" }
  part { label = sensitive("b") }`)
	if diags != "" {
		t.Fatal(diags)
	}
	st := g.Step("model.m")
	want := [][]string{{"key"}, {"note", "auth"}, {"part", "1", "label"}}
	got := slices.Clone(st.Sensitive)
	slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, "."), strings.Join(b, ".")) })
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Sensitive = %v, want %v", got, want)
	}
	if !strings.Contains(string(st.Config), "Bearer tk-0042") {
		t.Errorf("the plugin's config lost the value: %s", st.Config)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"tk-0042", "literal key", `"b"`} {
		if strings.Contains(string(b), leak) {
			t.Errorf("shown step holds %s: %s", leak, b)
		}
	}
	if !strings.Contains(string(b), `"plain":"x"`) || !strings.Contains(string(b), `"label":"a"`) {
		t.Errorf("shown step redacts too much: %s", b)
	}
	secrets := g.Secrets()
	for _, s := range []string{"tk-0042", "Bearer tk-0042", "literal key", "b"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() = %q, lacks %q", secrets, s)
		}
	}
	if g.Redact("auth: Bearer tk-0042.") != "auth: (sensitive)." {
		t.Errorf("Redact: %q", g.Redact("auth: Bearer tk-0042."))
	}
}
