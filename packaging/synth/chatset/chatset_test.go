package chatset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatdata"
	"github.com/ckpt-dev/ckpt/packaging/synth/chatset"
)

func synthFiles(t *testing.T, o chatset.Options) (string, string, []chatset.Planted) {
	t.Helper()
	var tr, va bytes.Buffer
	planted, err := chatset.Write(&tr, &va, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	train, val := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "validation.jsonl")
	if err := os.WriteFile(train, tr.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(val, va.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return train, val, planted
}

func TestWriteClean(t *testing.T) {
	train, val, planted := synthFiles(t, chatset.Options{N: 60, Seed: 1})
	r := check(t, chatdata.Split{Name: "train", Path: train}, chatdata.Split{Name: "validation", Path: val})
	if len(planted) != 0 || !r.OK() || r.Warnings != 0 || r.Files[0].Samples != 60 || r.Files[1].Samples != 6 || r.Files[0].ToolCalls == 0 {
		t.Fatalf("planted %v, issues %v, files %+v", planted, r.Issues, r.Files)
	}
}

func TestWriteDefects(t *testing.T) {
	train, val, planted := synthFiles(t, chatset.Options{N: 30, Seed: 9, Defects: []string{"all"}})
	if len(planted) != len(chatset.Defects()) {
		t.Fatalf("planted %v", planted)
	}
	r := check(t, chatdata.Split{Name: "train", Path: train}, chatdata.Split{Name: "validation", Path: val})
	found := map[string]bool{}
	for _, i := range r.Issues {
		found[fmt.Sprintf("%s:%d:%s", i.File, i.Line, i.Code)] = true
	}
	for _, p := range planted {
		key := fmt.Sprintf("%s.jsonl:%d:%s", p.File, p.Line, p.Code)
		if !found[key] {
			t.Errorf("planted %s not reported as %s; issues %v", p.Defect, key, r.Issues)
		}
	}
	if r.Errors != len(planted)-1 || r.Warnings != 1 {
		t.Errorf("%d errors, %d warnings for %d planted defects: %v", r.Errors, r.Warnings, len(planted), r.Issues)
	}
}

func TestWriteErrors(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := chatset.Write(&a, &b, chatset.Options{N: 3, Defects: []string{"all"}}); err == nil {
		t.Error("too few samples accepted")
	}
	if _, err := chatset.Write(&a, &b, chatset.Options{N: 30, Defects: []string{"typo"}}); err == nil {
		t.Error("unknown defect accepted")
	}
}

func check(t *testing.T, splits ...chatdata.Split) *chatdata.Report {
	t.Helper()
	r, err := chatdata.Check(context.Background(), splits, chatdata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
