package sdk

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestWatchParentExitsWhenReparented runs the watchdog in a child process
// with a parent pid that is not its own (as after its host died) and
// expects the child to exit with status 2.
func TestWatchParentExitsWhenReparented(t *testing.T) {
	if os.Getenv("CKPT_SDK_WATCH_CHILD") == "1" {
		watchParent(os.Getppid()+100000, 10*time.Millisecond)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchParentExitsWhenReparented$")
	cmd.Env = append(os.Environ(), "CKPT_SDK_WATCH_CHILD=1")
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("child: %v, want exit status 2", err)
	}
}
