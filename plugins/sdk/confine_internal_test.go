package sdk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// TestWritable: a step writes its output and scratch folders; a publishing
// step also where its path attributes point (the folder that will hold a
// missing destination is made first).
func TestWritable(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "out", "oci")
	cfg, _ := json.Marshal(map[string]any{"path": dest, "tag": "v1"})
	req := &specv1.RunRequest{OutputDir: filepath.Join(root, "o"), ScratchDir: filepath.Join(root, "s"), Config: cfg}
	c := specv1.Component{Schema: specv1.Schema{Attributes: []specv1.Attribute{
		{Name: "path", Type: specv1.TypePath}, {Name: "tag", Type: specv1.TypeString}}}}
	if got, err := writable(c, req); err != nil || !slices.Equal(got, []string{req.OutputDir, req.ScratchDir}) {
		t.Fatalf("ordinary step: %v, %v", got, err)
	}
	c.Capabilities.Publishes = true
	got, err := writable(c, req)
	if err != nil || !slices.Equal(got, []string{req.OutputDir, req.ScratchDir, filepath.Dir(dest)}) {
		t.Fatalf("publishing step: %v, %v", got, err)
	}
	if st, err := os.Stat(filepath.Dir(dest)); err != nil || !st.IsDir() {
		t.Fatalf("the destination's folder was not made: %v", err)
	}
	os.Mkdir(dest, 0o755)
	if got, _ := writable(c, req); got[2] != dest {
		t.Errorf("existing destination folder: %v", got)
	}
}
