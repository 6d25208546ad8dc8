package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// faultSeeds is the fixed seed list of the fault-injection runs.
func faultSeeds(t *testing.T) []uint64 {
	n := 50
	if testing.Short() {
		n = 10
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(1000 + 7*i)
	}
	return seeds
}

// faultOptions are short timeouts, one transfer at a time and small
// chunks, so that a run takes a second or two.
var faultOptions = Options{PlainHTTP: true, ConnectTimeout: time.Second, ResponseTimeout: 500 * time.Millisecond,
	IdleTimeout: 300 * time.Millisecond, Concurrency: 2}

// faultConns is how many connections of a run may be faulted.
const faultConns = 12

// runBound is the time within which one run must end, fault or not.
const runBound = 30 * time.Second

// checkClear asserts that a failed run failed in time with an error that
// says where: the registry (the proxy's address) and no bare deadline.
func checkClear(t *testing.T, seed uint64, err error, took time.Duration, host string) {
	t.Helper()
	if took > runBound {
		t.Errorf("seed %d: ran %s", seed, took)
	}
	if errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), host) {
		t.Errorf("seed %d: unclear error: %v", seed, err)
	}
	t.Logf("seed %d failed in %s: %v", seed, took.Round(time.Millisecond), err)
}

// Push through a proxy that drops, truncates and stalls connections at
// random points: every run completes byte-identical or fails clearly and
// in time, and a rerun without faults completes.
func TestPushUnderFaults(t *testing.T) {
	reg := testenv.NewRegistry(t)
	m := testModel(200 << 10)
	layout, d := bundle(t, m, modelpack.Options{})
	p := newFaultProxy(t, reg.Host)
	var failed int
	for _, seed := range faultSeeds(t) {
		repo := fmt.Sprintf("/models/push-%d:v1", seed)
		via, _ := ParseRef(p.Host() + repo)
		p.setPlan(randomPlan(seed, 240<<10, faultConns))
		opts := PushOptions{Options: faultOptions, ChunkSize: 64 << 10}
		ctx, cancel := context.WithTimeout(context.Background(), 2*runBound)
		start := time.Now()
		got, err := Push(ctx, layout, "bundle", via, opts)
		if err != nil {
			failed++
			checkClear(t, seed, err, time.Since(start), p.Host())
			p.setPlan(nil)
			got, err = Push(ctx, layout, "bundle", via, opts)
		}
		cancel()
		if err != nil || got.Digest != d.Digest {
			t.Fatalf("seed %d: rerun: %v (%s)", seed, err, got.Digest)
		}
		direct, _ := ParseRef(reg.Host + repo)
		out := t.TempDir()
		if _, err := Pull(context.Background(), direct, out, PullOptions{Options: Options{PlainHTTP: true}}); err != nil {
			t.Fatalf("seed %d: pull what was pushed: %v", seed, err)
		}
		checkFiles(t, out, m)
	}
	t.Logf("%d faults struck; %d of %d runs failed (and their reruns completed)", p.faults.Load(), failed, len(faultSeeds(t)))
}

// Pull through the faulty proxy: every run completes byte-identical or
// fails clearly and in time, never leaving an unverified file under a
// final name, and a rerun into the same folder completes.
func TestPullUnderFaults(t *testing.T) {
	reg := testenv.NewRegistry(t)
	m := testModel(200 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	direct, _ := ParseRef(reg.Host + "/models/pull:v1")
	if _, err := Push(context.Background(), layout, "bundle", direct, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	p := newFaultProxy(t, reg.Host)
	via, _ := ParseRef(p.Host() + "/models/pull:v1")
	var failed int
	for _, seed := range faultSeeds(t) {
		p.setPlan(randomPlan(seed, 220<<10, faultConns))
		out := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 2*runBound)
		start := time.Now()
		_, err := Pull(ctx, via, out, PullOptions{Options: faultOptions})
		if err != nil {
			failed++
			checkClear(t, seed, err, time.Since(start), p.Host())
			checkNoUnverified(t, seed, out, m)
			p.setPlan(nil)
			_, err = Pull(ctx, via, out, PullOptions{Options: faultOptions})
		}
		cancel()
		if err != nil {
			t.Fatalf("seed %d: rerun: %v", seed, err)
		}
		checkFiles(t, out, m)
		if _, err := os.Stat(filepath.Join(out, PartialDir)); !os.IsNotExist(err) {
			t.Errorf("seed %d: %s left after a complete pull", seed, PartialDir)
		}
	}
	t.Logf("%d faults struck; %d of %d runs failed (and their reruns completed)", p.faults.Load(), failed, len(faultSeeds(t)))
}

// checkNoUnverified asserts that every file of m that a failed pull left
// in dir holds exactly its content.
func checkNoUnverified(t *testing.T, seed uint64, dir string, m model) {
	t.Helper()
	for p, want := range m {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err == nil && !bytes.Equal(got, want) {
			t.Errorf("seed %d: %s holds %d unverified bytes", seed, p, len(got))
		}
	}
}
