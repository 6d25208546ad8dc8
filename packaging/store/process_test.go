package store_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ckpt-dev/ckpt/packaging/store"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

const helperEnv = "CKPT_STORE_HELPER"

// TestHelperProcess is not a test: the tests below re-execute the test
// binary to run it as a separate writer process.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process only")
	}
	root, id := os.Getenv("CKPT_STORE_ROOT"), os.Getenv("CKPT_STORE_ID")
	s, err := store.Open(context.Background(), root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	switch mode {
	case "write":
		err = helperWrite(s, id)
	case "slowpush":
		err = helperSlowPush(s, os.Getenv("CKPT_STORE_MARKER"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	os.Exit(0)
}

const rounds = 15

func helperWrite(s *store.Store, id string) error {
	ctx := context.Background()
	for i := 0; i < rounds; i++ {
		dir, err := os.MkdirTemp("", "out")
		if err != nil {
			return err
		}
		os.WriteFile(filepath.Join(dir, "shared.bin"), bytes.Repeat([]byte{byte(i)}, 256<<10), 0o644)
		os.WriteFile(filepath.Join(dir, "own.txt"), []byte(id+strconv.Itoa(i)), 0o644)
		desc, err := s.PutDir(ctx, dir, specv1.Metadata{Kind: "model", ID: id}, nil)
		os.RemoveAll(dir)
		if err != nil {
			return err
		}
		if err := s.Tag(ctx, desc, fmt.Sprintf("w%s-%d", id, i)); err != nil {
			return err
		}
		if err := s.Tag(ctx, desc, fmt.Sprintf("shared-%d", i)); err != nil {
			return err
		}
	}
	return nil
}

// blockingReader yields half of data, signals through a marker file and
// then blocks forever, so that the parent can kill the writer mid-blob.
type blockingReader struct {
	data   []byte
	marker string
	off    int
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data)/2 {
		os.WriteFile(r.marker, nil, 0o644)
		select {}
	}
	n := copy(p, r.data[r.off:len(r.data)/2])
	r.off += n
	return n, nil
}

var slowBlob = bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB

func helperSlowPush(s *store.Store, marker string) error {
	desc := ocispec.Descriptor{Digest: digest.FromBytes(slowBlob), Size: int64(len(slowBlob))}
	return s.Push(context.Background(), desc, &blockingReader{data: slowBlob, marker: marker})
}

func helper(t *testing.T, mode, root, id string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "CKPT_STORE_ROOT="+root, "CKPT_STORE_ID="+id)
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("%s helper %s stderr: %s", mode, id, stderr.String())
		}
	})
	return cmd
}

func TestTwoProcessesWriteAtOnce(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	if _, err := store.Open(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	a, b := helper(t, "write", root, "a"), helper(t, "write", root, "b")
	if err := a.Wait(); err != nil {
		t.Fatalf("writer a: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("writer b: %v", err)
	}
	s, err := store.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := s.Tags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 3*rounds {
		t.Errorf("%d tags, want %d (wa-*, wb-*, shared-*): %v", len(tags), 3*rounds, tags)
	}
	for _, tag := range tags {
		desc, err := s.Resolve(context.Background(), tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Materialize(context.Background(), desc, filepath.Join(t.TempDir(), tag)); err != nil {
			t.Errorf("%s: %v", tag, err)
		}
	}
	assertBlobsValid(t, s)
	assertNoIngest(t, s)
}

func TestKilledWriteLeavesNoPartialBlob(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	marker := filepath.Join(t.TempDir(), "halfway")
	cmd := helper(t, "slowpush", root, "k", "CKPT_STORE_MARKER="+marker)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("writer never reached the middle of the blob")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	s, err := store.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{Digest: digest.FromBytes(slowBlob), Size: int64(len(slowBlob))}
	if ok, _ := s.Exists(context.Background(), desc); ok {
		t.Fatal("a killed write left the blob in blobs/")
	}
	assertBlobsValid(t, s)
	// The killed writer's temporary file is removed once it is stale.
	left, _ := filepath.Glob(filepath.Join(root, "ingest", "*"))
	if len(left) != 1 {
		t.Fatalf("ingest holds %v, want the killed writer's file", left)
	}
	old := time.Now().Add(-store.StaleIngest - time.Minute)
	os.Chtimes(left[0], old, old)
	if s, err = store.Open(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	assertNoIngest(t, s)
	if err := s.Push(context.Background(), desc, bytes.NewReader(slowBlob)); err != nil {
		t.Fatalf("rewrite after the kill: %v", err)
	}
	assertBlobsValid(t, s)
}

// assertBlobsValid checks that every file in blobs/sha256 is complete,
// read-only and named by its digest.
func assertBlobsValid(t *testing.T, s *store.Store) {
	t.Helper()
	dir := filepath.Join(s.Root(), "blobs", "sha256")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if got := digest.FromBytes(b).Encoded(); got != e.Name() {
			t.Errorf("blob %s holds content of digest %s", e.Name(), got)
		}
		if info, _ := e.Info(); info.Mode().Perm() != 0o444 {
			t.Errorf("blob %s mode %v, want 0444", e.Name(), info.Mode())
		}
	}
}
