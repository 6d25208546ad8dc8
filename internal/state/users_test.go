package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStepTagsPerProject: two projects name the same step differently, and
// a project's name does not depend on how its folder was spelled.
func TestStepTagsPerProject(t *testing.T) {
	a, b := For(t.TempDir()), For(t.TempDir())
	if a.StepTag("model.m") == b.StepTag("model.m") {
		t.Fatalf("two projects share the step tag %s", a.StepTag("model.m"))
	}
	t.Chdir(filepath.Dir(a.Root()))
	if rel := For("."); rel.StepTag("model.m") != a.StepTag("model.m") {
		t.Errorf("relative %s, absolute %s", rel.StepTag("model.m"), a.StepTag("model.m"))
	}
	tag := a.StepTag("model.m")
	if !strings.HasPrefix(tag, "step-"+a.ID()+".") || !strings.HasSuffix(tag, ".model.m") || len(a.ID()) != 12 {
		t.Errorf("step tag %q", tag)
	}
}

func TestUsersRecord(t *testing.T) {
	store := t.TempDir()
	if us, err := Users(store); err != nil || len(us) != 0 {
		t.Fatalf("a store without users: %v, %v", us, err)
	}
	a, b := For(t.TempDir()), For(t.TempDir())
	for _, d := range []Dir{a, b, a} {
		if err := d.Use(store); err != nil {
			t.Fatal(err)
		}
	}
	us, err := Users(store)
	if err != nil || len(us) != 2 {
		t.Fatalf("users %v, %v; want the two projects", us, err)
	}
	for _, u := range us {
		if u.Root() != a.Root() && u.Root() != b.Root() {
			t.Errorf("user %s is neither project", u.Root())
		}
	}
	b2, _ := os.ReadFile(filepath.Join(store, "users", a.ID()+".json"))
	if string(b2) != `{"state":"`+a.Root()+`"}`+"\n" {
		t.Errorf("record %q", b2)
	}
	os.WriteFile(filepath.Join(store, "users", "bad.json"), []byte("{"), 0o644)
	if _, err := Users(store); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("broken record: %v, want its file named", err)
	}
}

// TestRetentionKeepsOtherUsersCache: gc for project a keeps the cache
// entries of the last build of every other project that uses the store,
// even with --keep-builds 0; a project whose folder is gone counts for
// nothing, and a broken ledger of another project keeps everything.
func TestRetentionKeepsOtherUsersCache(t *testing.T) {
	ctx := context.Background()
	store := t.TempDir()
	a, b, gone := For(t.TempDir()), For(t.TempDir()), For(filepath.Join(t.TempDir(), "gone"))
	for d, keys := range map[Dir][]string{a: {"sha256:a"}, b: {"sha256:b-old", "sha256:b"}} {
		for _, k := range keys {
			AppendLedger(ctx, d.Ledger(), &Entry{Status: "ok", Steps: []LedgerStep{{Address: "model.m", CacheKey: k}}})
		}
		if err := d.Use(store); err != nil {
			t.Fatal(err)
		}
	}
	gone.Use(store)
	r := a.Retention(store, 0)
	for key, want := range map[string]bool{"sha256:a": false, "sha256:b": true, "sha256:b-old": false} {
		if got := r.Keep(CacheTag(key)); got != want {
			t.Errorf("Keep(%s) = %v, want %v", key, got, want)
		}
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	if r := b.Retention(store, 2); !r.Keep(CacheTag("sha256:b-old")) || !r.Keep(CacheTag("sha256:a")) {
		t.Error("gc for b with 2 builds drops b's older entry or a's last one")
	}
	os.WriteFile(b.Ledger(), []byte("{broken\n"), 0o644)
	if r := a.Retention(store, 0); !r.Keep(CacheTag("sha256:a")) || r.Err() == nil || !strings.Contains(r.Err().Error(), b.Ledger()) {
		t.Errorf("another project's broken ledger: keep %v, err %v", r.Keep(CacheTag("sha256:a")), r.Err())
	}
	os.Remove(b.Ledger())
	os.WriteFile(filepath.Join(store, "users", "bad.json"), []byte("{"), 0o644)
	if r := a.Retention(store, 0); !r.Keep(CacheTag("sha256:a")) || r.Err() == nil || !strings.Contains(r.Err().Error(), "bad.json") {
		t.Errorf("a broken users record: keep %v, err %v", r.Keep(CacheTag("sha256:a")), r.Err())
	}
}

// TestUseUnwritableStore: a store whose users record cannot be written is
// an error naming the store.
func TestUseUnwritableStore(t *testing.T) {
	store := t.TempDir()
	os.WriteFile(filepath.Join(store, "users"), nil, 0o644)
	if err := For(t.TempDir()).Use(store); err == nil || !strings.Contains(err.Error(), store) {
		t.Fatalf("Use on a store whose users/ is a file: %v", err)
	}
}
