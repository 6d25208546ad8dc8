package run_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/pipeline/run"
)

func TestLedgerConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := state.AppendLedger(context.Background(), path, &state.Entry{Status: "ok"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	entries, err := state.ReadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 8 {
		t.Fatalf("%d entries, want 8", len(entries))
	}
	for i, e := range entries {
		if e.N != i+1 {
			t.Errorf("entry %d has N %d", i+1, e.N)
		}
	}
}

func TestLedgerBadLineNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	os.WriteFile(path, []byte(`{"n":1,"status":"ok"}`+"\n{oops\n"), 0o644)
	_, err := state.ReadLedger(path)
	if err == nil || !strings.Contains(err.Error(), "ledger.jsonl:2") {
		t.Fatalf("err = %v, want the line named", err)
	}
}

func TestLedgerMissingIsEmpty(t *testing.T) {
	entries, err := state.ReadLedger(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("%v %v", entries, err)
	}
}

func TestLedgerRecordsSteps(t *testing.T) {
	p := newProject(t, chain)
	res, err := p.build(t, context.Background(), run.Options{Version: "9.9", SpecPath: "spec/"})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := state.ReadLedger(state.For(p.dir).Ledger())
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	e := entries[0]
	if e.CkptVersion != "9.9" || e.Spec.Path != "spec/" || e.Spec.Digest == "" || e.Status != "ok" || len(e.Steps) != 5 {
		t.Errorf("entry %+v", e)
	}
	for _, s := range e.Steps {
		r := res.Step(s.Address)
		if s.CacheKey != r.CacheKey || s.Artifact != r.Artifact || s.Plugin.Name != "test" || s.Status != "ok" {
			t.Errorf("ledger step %+v, result %+v", s, r)
		}
	}
}

// FuzzParseLedger: a ledger is a file users and tools may edit; parsing
// arbitrary bytes must not panic.
func FuzzParseLedger(f *testing.F) {
	f.Add([]byte(`{"n":1,"time":"2026-11-27T10:00:00Z","status":"ok","steps":[{"address":"model.a","status":"ok"}]}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"steps":[{"training":{"x":1},"pushed":{"ref":"r"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := state.ParseLedger(b, "fuzz")
		if err == nil {
			for _, e := range entries {
				if e.N < 1 {
					t.Fatalf("entry numbered %d", e.N)
				}
			}
		}
	})
}
