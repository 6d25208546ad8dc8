package host

import (
	"fmt"
	"strings"
)

// CrashError is returned when a plugin process died during a call.
type CrashError struct {
	Plugin string
	// During is the call the plugin was answering: "run" or "validate".
	During string
	// Tail holds the last lines the plugin wrote to stderr (with any panic).
	Tail []string
	Err  error
}

func (e *CrashError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %s crashed during %s", e.Plugin, e.During)
	if len(e.Tail) == 0 {
		fmt.Fprintf(&b, ": %v (it wrote nothing to stderr)", e.Err)
	} else {
		b.WriteString("\nlast lines of its stderr:\n  ")
		b.WriteString(strings.Join(e.Tail, "\n  "))
	}
	return b.String()
}

func (e *CrashError) Unwrap() error { return e.Err }

// DigestError is returned when a plugin binary differs from its lock entry.
type DigestError struct {
	Plugin string
	Path   string
	// Platform is the "OS/ARCH" whose pinned hash differs.
	Platform string
	Got      string // digest of the binary on disk
	Locked   string // digest pinned in .ckpt.lock.hcl
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("plugin %s: binary %s for %s has digest %s but %s pins %s; refusing to run it (reinstall with ckpt init --upgrade if the change is intended)",
		e.Plugin, e.Path, e.Platform, e.Got, LockFile, e.Locked)
}
