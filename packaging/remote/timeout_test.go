package remote

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

var fastTimeouts = Options{PlainHTTP: true, ConnectTimeout: time.Second, ResponseTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}

// A registry that accepts connections and never answers fails push and
// pull quickly with an error naming it and the phase (issue 16, failure 7).
func TestSilentRegistryTimesOut(t *testing.T) {
	host := silentServer(t)
	layout, _ := bundle(t, testModel(1<<10), modelpack.Options{})
	ref, _ := ParseRef(host + "/models/silent:v1")
	for name, op := range map[string]func(ctx context.Context) error{
		"push": func(ctx context.Context) error {
			_, err := Push(ctx, layout, "bundle", ref, PushOptions{Options: fastTimeouts})
			return err
		},
		"pull": func(ctx context.Context) error {
			_, err := Pull(ctx, ref, t.TempDir(), PullOptions{Options: fastTimeouts})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			err := op(ctx)
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v after %s, want a TimeoutError", err, time.Since(start).Round(time.Millisecond))
			}
			if te.Phase != "response headers" || !strings.Contains(err.Error(), "registry "+host) {
				t.Errorf("error %q: want the registry %s and the phase", err, host)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// A download that stalls mid-blob times out and continues where it
// stopped.
func TestStalledPullResumes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := testenv.NewRegistry(t)
	m := testModel(600 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	ref, _ := ParseRef(reg.Host + "/models/stall:v1")
	if _, err := Push(ctx, layout, "bundle", ref, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	p := newFaultProxy(t, reg.Host)
	p.setPlan(func(conn int) *fault {
		if conn == 0 {
			return &fault{kind: "stall", down: true, at: 300 << 10}
		}
		return nil
	})
	via, _ := ParseRef(p.Host() + "/models/stall:v1")
	opts := PullOptions{Options: fastTimeouts}
	opts.Concurrency = 1
	start := time.Now()
	out := t.TempDir()
	if _, err := Pull(ctx, via, out, opts); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if p.ranges.Load() == 0 {
		t.Error("no Range request: the stalled blob was fetched again from the start")
	}
}
