package host_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// mapMemo is a RemoteMemo in memory (packaging/cache implements it on a
// registry; the CLI tests use that one).
type mapMemo struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *mapMemo) LookupMemo(_ context.Context, kind, key string, p specv1.PluginID) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[kind+"|"+p.Name+"|"+p.Digest+"|"+key]; ok {
		return []byte(v), nil
	}
	return nil, errors.New("not found")
}

func (r *mapMemo) SaveMemo(_ context.Context, kind, key string, p specv1.PluginID, answer []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[kind+"|"+p.Name+"|"+p.Digest+"|"+key] = string(answer)
	return nil
}

// TestRemoteMemoAcrossCheckouts checks that a validation and a description
// made in one project folder spare a start in another folder (paths in
// the request are the project's own), that the stored keys and answers do
// not name the folder, and that private requests and read-only hosts write
// nothing.
func TestRemoteMemoAcrossCheckouts(t *testing.T) {
	starts := filepath.Join(t.TempDir(), "starts")
	t.Setenv("CKPT_TESTPLUG_STARTS", starts)
	rm := &mapMemo{m: map[string]string{}}
	validate := func(dir string, readOnly, private bool) {
		t.Helper()
		h, err := host.New(host.Options{Dir: dir, Version: "test", Stderr: &lockedBuf{}, RemoteMemo: rm, RemoteMemoReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if _, err := h.Components(ctx(t)); err != nil {
			t.Fatal(err)
		}
		req := &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x",
			Config: []byte(`{"mode":"ok","path":"` + filepath.Join(dir, "data") + `"}`)}
		v := h.Validate
		if private {
			v = h.ValidatePrivate
		}
		if _, err := v(ctx(t), "testplug", req); err != nil {
			t.Fatal(err)
		}
	}
	startsNow := func() int {
		b, _ := os.ReadFile(starts)
		return strings.Count(string(b), "\n")
	}
	a := project(t, "testplug")
	validate(a, true, false)
	if len(rm.m) != 0 || startsNow() != 1 {
		t.Fatalf("read-only host: %d memos written, %d starts", len(rm.m), startsNow())
	}
	validate(project(t, "testplug"), false, false)
	if len(rm.m) != 2 || startsNow() != 2 {
		t.Fatalf("%d memos written (want describe and validate), %d starts", len(rm.m), startsNow())
	}
	for k, v := range rm.m {
		if strings.Contains(k+v, filepath.Dir(a)) {
			t.Errorf("memo names a project folder: %q = %q", k, v)
		}
	}
	validate(project(t, "testplug"), false, false)
	if startsNow() != 2 {
		t.Errorf("a third checkout started the plugin %d times", startsNow()-2)
	}
	validate(project(t, "testplug"), false, true)
	if startsNow() != 3 || len(rm.m) != 2 {
		t.Errorf("private validation: %d starts, %d memos; want a start and no memo written", startsNow()-2, len(rm.m))
	}
}
