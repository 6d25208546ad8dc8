package sdk

import (
	"fmt"
	"os/exec"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// selfExe names the running executable's own file, whatever its path.
const selfExe = "/proc/self/exe"

// minABI is the oldest Landlock ABI steps are confined with: ABI 1 denies
// every rename between folders (no "refer" right), which would break
// plugins that move files from ScratchDir to OutputDir.
const minABI = 2

func landlockABI() int {
	abi, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return abi
}

func confineAvailable() bool { return landlockABI() >= minABI }

func confinement() string {
	switch abi := landlockABI(); {
	case abi == 0:
		return "none: this kernel has no Landlock (or it is disabled)"
	case abi < minABI:
		return fmt.Sprintf("none: Landlock ABI %d is older than %d", abi, minABI)
	default:
		return fmt.Sprintf("landlock ABI %d", abi)
	}
}

// restrict confines every thread of this process, irreversibly: read and
// execute everywhere, write (create, remove, rename, truncate) only under
// dirs, and /dev/null. Landlock ABI 3's rights are asked for; on ABI 2
// truncate(2) outside those folders is not controlled.
func restrict(dirs ...string) error {
	return landlock.V3.BestEffort().RestrictPaths(
		landlock.RODirs("/"),
		landlock.RWDirs(dirs...).WithRefer(),
		landlock.RWFiles("/dev/null").IgnoreIfMissing(),
	)
}

// setStepDeathSignal kills a step process when the plugin process dies.
func setStepDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
