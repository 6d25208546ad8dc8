package spec_test

import (
	"context"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

func TestCacheBlock(t *testing.T) {
	dir := write(t, map[string]string{"main.ckpt.hcl": "ckpt {\n  cache {\n    ref = \"127.0.0.1:5000/team/ckpt-cache\"\n  }\n}\n"})
	sp, diags := spec.Load(context.Background(), dir, spec.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := sp.Required.Cache
	if c == nil || c.Ref != "127.0.0.1:5000/team/ckpt-cache" || c.Range.Start.Line != 3 || c.Range.Start.Column != 11 {
		t.Fatalf("cache = %+v", c)
	}
}

func TestCacheBlockErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, summary string }{
		{"no ref", "ckpt {\n cache {}\n}", "Missing required argument"},
		{"not a string", "ckpt {\n cache { ref = [1] }\n}", "Invalid cache ref"},
		{"empty", "ckpt {\n cache { ref = \"\" }\n}", "Invalid cache ref"},
		{"variable", "variable \"r\" { default = \"x\" }\nckpt {\n cache { ref = var.r }\n}", "Variables not allowed"},
		{"duplicate", "ckpt {\n cache { ref = \"a/b\" }\n cache { ref = \"c/d\" }\n}", "Duplicate cache block"},
		{"unknown attribute", "ckpt {\n cache {\n ref = \"a/b\"\n readonly = true\n}\n}", "Unsupported argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := spec.Load(context.Background(), write(t, map[string]string{"main.ckpt.hcl": tt.src}), spec.Options{})
			if len(diags) == 0 || diags[0].Summary != tt.summary || diags[0].Subject == nil {
				t.Fatalf("diags %v, want %q with a range", diags, tt.summary)
			}
		})
	}
}
