package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLedgerConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := AppendLedger(context.Background(), path, &Entry{Status: "ok"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	entries, err := ReadLedger(path)
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
	_, err := ReadLedger(path)
	if err == nil || !strings.Contains(err.Error(), "ledger.jsonl:2") {
		t.Fatalf("err = %v, want the line named", err)
	}
}

func TestLedgerMissingIsEmpty(t *testing.T) {
	entries, err := ReadLedger(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("%v %v", entries, err)
	}
}

// FuzzParseLedger: a ledger is a file users and tools may edit; parsing
// arbitrary bytes must not panic.
func FuzzParseLedger(f *testing.F) {
	f.Add([]byte(`{"n":1,"time":"2026-11-27T10:00:00Z","status":"ok","steps":[{"address":"model.a","status":"ok"}]}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"steps":[{"training":{"x":1},"pushed":{"ref":"r"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseLedger(b, "fuzz")
		if err == nil {
			for _, e := range entries {
				if e.N < 1 {
					t.Fatalf("entry numbered %d", e.N)
				}
			}
		}
	})
}
