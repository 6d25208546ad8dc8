package cli

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stallingRegistry is a registry on 127.0.0.1 that answers nothing: every
// request waits until its client goes away. seen is closed at the first.
func stallingRegistry(t *testing.T) (host string, seen chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen = make(chan struct{})
	var once sync.Once
	stop := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(seen) })
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { close(stop); srv.Close() })
	return l.Addr().String(), seen
}

// TestPushBundleCtrlCExits130: Ctrl-C during push --bundle exits 130, as
// an interrupted build does, and says the bundle was not pushed.
func TestPushBundleCtrlCExits130(t *testing.T) {
	dir := bundleDir(t, "Apache-2.0")
	host, seen := stallingRegistry(t)
	cmd := exec.Command(binaries(t).ckpt, "push", "--bundle", dir, host+"/models/tiny:v1", "--plain-http")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case <-seen:
	case <-time.After(30 * time.Second):
		t.Fatal("push never reached the registry")
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(15 * time.Second):
		t.Fatal("push still running 15 s after Ctrl-C")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "push interrupted: bundle "+dir+" is not at "+host) {
		t.Fatalf("exit %v, stderr:\n%s\nwant exit 130 saying the push was interrupted", err, stderr.String())
	}
}
