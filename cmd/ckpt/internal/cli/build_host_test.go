package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestBuildErrorKeepsType builds in process (the test binary serves the
// built-ins) a spec whose model folder is missing: the error that reaches
// the CLI names the step once, as a *specv1.StepError, and its cause is
// still fs.ErrNotExist.
func TestBuildErrorKeepsType(t *testing.T) {
	dir := specDir(t, map[string]string{"build.ckpt.hcl": "model \"dir\" \"base\" {\n  path    = \"./missing\"\n  id      = \"m\"\n  license = \"MIT\"\n}\n"})
	var out, errb bytes.Buffer
	err := runBuild(t.Context(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, &buildOptions{Path: dir})
	var se *specv1.StepError
	if !errors.As(err, &se) || se.Step != "model.base" || se.Op != specv1.OpValidate || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v (%T), want a StepError for model.base wrapping fs.ErrNotExist\n%s", err, err, errb.String())
	}
	if n := strings.Count(err.Error(), "model.base"); n != 1 {
		t.Errorf("the step is named %d times in %q", n, err)
	}
}

// TestBuildStartsEachPluginOnce checks the protocol's one process per
// plugin binary per build on a fresh project (nothing remembered): the
// build describes, validates and runs the external plugin in one process.
func TestBuildStartsEachPluginOnce(t *testing.T) {
	dir := pluginProject(t, "diag", "1.0.0", diagplug(t), diagSpec(""))
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_DIAGPLUG_STARTS", starts)
	if code, _, errs := ckptProc(t, nil, "build", dir); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errs)
	}
	if b, _ := os.ReadFile(starts); strings.Count(string(b), "\n") != 1 {
		t.Errorf("the plugin started %d times in one build, want 1", strings.Count(string(b), "\n"))
	}
}
