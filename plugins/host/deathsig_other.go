//go:build !linux

package host

import "os/exec"

// setDeathSignal is a no-op outside Linux; the SDK's parent watchdog exits
// orphaned plugins there.
func setDeathSignal(*exec.Cmd) {}
