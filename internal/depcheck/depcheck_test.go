package depcheck

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ckpt-dev/ckpt/"

// rule says which in-module packages a package may import (by path prefix)
// and which third-party prefixes it must not import.
type rule struct {
	self      string
	allow     []string
	denyThird []string
}

// ruleFor returns the rule for a module-relative package path.
func ruleFor(pkg string) rule {
	switch {
	case strings.HasPrefix(pkg, "specs/"):
		return rule{allow: []string{"specs/"}}
	case strings.HasPrefix(pkg, "packaging/"):
		return rule{allow: []string{"specs/", "packaging/"}}
	case strings.HasPrefix(pkg, "plugins/proto"):
		return rule{allow: []string{"specs/", "plugins/proto"}}
	case strings.HasPrefix(pkg, "plugins/sdk"):
		return rule{allow: []string{"specs/", "plugins/proto", "plugins/sdk"},
			denyThird: []string{"github.com/hashicorp/hcl", "github.com/zclconf/go-cty"}}
	case strings.HasPrefix(pkg, "plugins/host"):
		return rule{allow: []string{"specs/", "packaging/", "plugins/proto", "plugins/sdk", "plugins/host"}}
	case strings.HasPrefix(pkg, "plugins/plugintest"):
		return rule{allow: []string{"specs/", "packaging/", "plugins/proto", "plugins/sdk", "plugins/plugintest"}}
	case strings.HasPrefix(pkg, "plugins/builtin"):
		return rule{allow: []string{"specs/", "packaging/", "plugins/"}}
	case strings.HasPrefix(pkg, "plugins/"):
		// Built-in components: never the host, never another component.
		own := pkg[:len("plugins/")+strings.IndexByte(pkg[len("plugins/"):]+"/", '/')]
		return rule{allow: []string{"specs/", "packaging/", "plugins/sdk", "plugins/proto", own}}
	case strings.HasPrefix(pkg, "pipeline/"):
		return rule{allow: []string{"specs/", "pipeline/"}}
	case strings.HasPrefix(pkg, "examples/"):
		return rule{allow: []string{"specs/", "plugins/sdk"}}
	case strings.HasPrefix(pkg, "cmd/"):
		return rule{allow: []string{""}}
	case pkg == "internal/state":
		return rule{allow: []string{"specs/"}}
	case strings.HasPrefix(pkg, "internal/"):
		return rule{allow: []string{"specs/", "packaging/", "internal/"}}
	}
	return rule{}
}

func (r rule) check(imp string) bool {
	if !strings.HasPrefix(imp, module) {
		for _, d := range r.denyThird {
			if strings.HasPrefix(imp, d) {
				return false
			}
		}
		return true
	}
	rel := strings.TrimPrefix(imp, module)
	if strings.HasPrefix(rel, "cmd/") {
		return strings.HasPrefix(r.self, "cmd/") // nothing but cmd imports cmd
	}
	if strings.HasPrefix(rel, "internal/testenv") {
		return false // test helpers only from tests
	}
	if rel == "internal/state" {
		// The state folder's one owner is a leaf every layer may use.
		return !strings.HasPrefix(r.self, "specs/") && !strings.HasPrefix(r.self, "plugins/sdk") &&
			!strings.HasPrefix(r.self, "examples/")
	}
	for _, a := range r.allow {
		if strings.HasPrefix(rel, a) {
			return true
		}
	}
	return false
}

// TestImportRules fails when a non-test import breaks DESIGN.md's layering.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	s := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for s.Scan() {
		f := strings.Fields(s.Text())
		pkg := strings.TrimPrefix(f[0], module)
		r := ruleFor(pkg)
		r.self = pkg
		n++
		for _, imp := range f[1:] {
			if !r.check(imp) {
				t.Errorf("%s imports %s: not allowed by DESIGN.md's import rules", pkg, imp)
			}
		}
	}
	if n < 10 {
		t.Fatalf("go list saw only %d packages", n)
	}
}

// TestRules checks the rule table on known good and bad edges, so that a
// broken table cannot pass silently.
func TestRules(t *testing.T) {
	tests := []struct {
		pkg, imp string
		ok       bool
	}{
		{"pipeline/run", module + "pipeline/plan", true},
		{"pipeline/run", module + "packaging/store", false},
		{"pipeline/plan", module + "plugins/sdk", false},
		{"plugins/sdk", "github.com/hashicorp/hcl/v2", false},
		{"plugins/sdk", module + "packaging/safetensors", false},
		{"plugins/merge", module + "packaging/safetensors", true},
		{"plugins/merge", module + "plugins/host", false},
		{"plugins/merge", module + "plugins/adapter", false},
		{"packaging/store", module + "pipeline/run", false},
		{"packaging/store", module + "specs/v1", true},
		{"specs/v1", module + "packaging/store", false},
		{"cmd/ckpt/internal/cli", module + "plugins/host", true},
		{"packaging/layer", module + "internal/testenv", false},
		{"plugins/host", module + "cmd/ckpt/internal/cli", false},
		{"pipeline/run", module + "internal/state", true},
		{"packaging/store", module + "internal/state", true},
		{"plugins/host", module + "internal/state", true},
		{"plugins/sdk", module + "internal/state", false},
		{"internal/state", module + "packaging/store", false},
	}
	for _, tt := range tests {
		r := ruleFor(tt.pkg)
		r.self = tt.pkg
		if got := r.check(tt.imp); got != tt.ok {
			t.Errorf("%s -> %s: allowed=%v, want %v", tt.pkg, tt.imp, got, tt.ok)
		}
	}
}
