package host_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/plugins/host"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// BenchmarkStartToFirstCall measures a plugin start (digest check,
// fork/exec, handshake, AutoMTLS) up to the answer of its first call, and
// reports the median besides Go's mean.
func BenchmarkStartToFirstCall(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("XDG_DATA_HOME", b.TempDir())
	p := install(b, dir, "testplug")
	d, _, _ := host.FileDigest(p)
	lock := &host.Lock{}
	lock.Set(host.LockedPlugin{Name: "testplug", Hashes: map[string]string{host.HostPlatform(): d}})
	if err := lock.WriteFile(dir + "/" + host.LockFile); err != nil {
		b.Fatal(err)
	}
	req := &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x", Config: []byte(`{"mode":"ok"}`)}
	var ds []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		h, err := host.New(host.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Validate(b.Context(), "testplug", req); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
		b.StopTimer()
		h.Close()
		b.StartTimer()
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms-median")
}

// BenchmarkCall measures one call on a running plugin.
func BenchmarkCall(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("XDG_DATA_HOME", b.TempDir())
	p := install(b, dir, "testplug")
	d, _, _ := host.FileDigest(p)
	lock := &host.Lock{}
	lock.Set(host.LockedPlugin{Name: "testplug", Hashes: map[string]string{host.HostPlatform(): d}})
	lock.WriteFile(dir + "/" + host.LockFile)
	h, _ := host.New(host.Options{Dir: dir})
	defer h.Close()
	req := &specv1.ValidateRequest{Kind: "check", Type: "testplug", Step: "check.x", Config: []byte(`{"mode":"ok"}`)}
	if _, err := h.Validate(b.Context(), "testplug", req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := h.Validate(b.Context(), "testplug", req); err != nil {
			b.Fatal(err)
		}
	}
}
