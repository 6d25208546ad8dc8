package store_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestOrasReadsLayout checks the store with the oras CLI as an independent
// reader of OCI image layouts.
func TestOrasReadsLayout(t *testing.T) {
	oras := testenv.RequireTool(t, "oras")
	ctx := context.Background()
	s := openStore(t)
	desc, err := s.PutDir(ctx, writeFiles(t, sample), specv1.Metadata{Kind: "model", ID: "tiny"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, desc, "step-model.base"); err != nil {
		t.Fatal(err)
	}
	ref := s.Root() + ":step-model.base"
	got, err := exec.Command(oras, "manifest", "fetch", "--oci-layout", ref).Output()
	if err != nil {
		t.Fatalf("oras manifest fetch: %v", err)
	}
	want, _ := s.FetchAll(ctx, desc)
	if string(got) != string(want) {
		t.Errorf("oras manifest fetch = %s\nwant %s", got, want)
	}
	out := t.TempDir()
	cmd := exec.Command(oras, "pull", "--oci-layout", ref, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oras pull: %v\n%s", err, b)
	}
	for rel, content := range sample {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
		if err != nil || string(b) != content {
			t.Errorf("oras pull %s = %q, %v", rel, b, err)
		}
	}
}
