//go:build !linux

package sdk

import (
	"errors"
	"os/exec"
	"runtime"
)

// selfExe is unused where steps are never confined.
const selfExe = ""

func confineAvailable() bool { return false }

func confinement() string {
	return "none: " + runtime.GOOS + " has no unprivileged confinement ckpt uses"
}

func restrict(...string) error {
	return errors.New("confinement is not available on " + runtime.GOOS)
}

func setStepDeathSignal(*exec.Cmd) {}
