package state

import (
	"context"
	"os"
	"testing"
)

func TestRetentionKeepsRecentBuildsCacheEntries(t *testing.T) {
	d := For(t.TempDir())
	for _, key := range []string{"sha256:old", "sha256:new"} {
		e := &Entry{Status: "ok", Steps: []LedgerStep{{Address: "model.m", CacheKey: key}}}
		if _, err := AppendLedger(context.Background(), d.Ledger(), e); err != nil {
			t.Fatal(err)
		}
	}
	r := d.Retention(d.Store(), 1)
	for name, want := range map[string]bool{
		CacheTag("sha256:new"): true, CacheTag("sha256:old"): false, CacheTag("sha256:never"): false,
		d.StepTag("model.m"): true, "release": true,
	} {
		if got := r.Keep(name); got != want {
			t.Errorf("Keep(%q) = %v, want %v", name, got, want)
		}
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
}

func TestRetentionKeepsAllOnBrokenLedger(t *testing.T) {
	d := For(t.TempDir())
	os.MkdirAll(d.Root(), 0o755)
	os.WriteFile(d.Ledger(), []byte("{broken\n"), 0o644)
	r := d.Retention(d.Store(), 0)
	if !r.Keep(CacheTag("sha256:x")) || r.Err() == nil {
		t.Fatalf("broken ledger: keep %v, err %v", r.Keep(CacheTag("sha256:x")), r.Err())
	}
}

func TestCacheTag(t *testing.T) {
	if got := CacheTag("sha256:ab"); got != "cache-ab" || !IsCacheTag(got) || IsCacheTag(For(t.TempDir()).StepTag("x")) {
		t.Errorf("CacheTag = %q", got)
	}
}

func TestHashesRoundTrip(t *testing.T) {
	p := For(t.TempDir()).Hashes()
	if len(ReadHashes(p)) != 0 {
		t.Fatal("missing cache not empty")
	}
	if err := WriteHashes(p, map[string]FileHash{"/a": {ID: "1 2 3 4", SHA256: "ff"}}); err != nil {
		t.Fatal(err)
	}
	if got := ReadHashes(p)["/a"]; got.SHA256 != "ff" {
		t.Errorf("read back %+v", got)
	}
	os.WriteFile(p, []byte("not json"), 0o644)
	if len(ReadHashes(p)) != 0 {
		t.Error("broken cache not empty")
	}
}
