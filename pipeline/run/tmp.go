package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// A build keeps its step folders in StateDir/tmp/build-<id>, and holds a
// lock on StateDir/tmp/build-<id>.lock while it runs (taken before the
// folder exists). A build that ends removes both; one that was killed (a
// second Ctrl-C, SIGKILL) leaves them, and the lock is released with its
// process, so the next build in the same state folder removes them.
// Builds running at once keep each other's folders.
type tmpArea struct {
	dir  string // StateDir/tmp/build-<id>
	lock *flock.Flock
}

const buildTmpPrefix = "build-"

// openTmpArea makes this build's folder under root (state.Dir.Tmp).
func openTmpArea(root string) (*tmpArea, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("temp folder: %w", err)
	}
	f, err := os.CreateTemp(root, buildTmpPrefix+"*.lock")
	if err != nil {
		return nil, fmt.Errorf("temp folder: %w", err)
	}
	f.Close()
	lock := flock.New(f.Name())
	if ok, err := lock.TryLock(); err != nil || !ok {
		os.Remove(f.Name())
		return nil, fmt.Errorf("temp folder lock %s: %w", f.Name(), errors.Join(err, errors.New("held by another build")))
	}
	a := &tmpArea{dir: strings.TrimSuffix(f.Name(), ".lock"), lock: lock}
	if err := os.Mkdir(a.dir, 0o755); err != nil {
		a.close()
		return nil, fmt.Errorf("temp folder: %w", err)
	}
	return a, nil
}

// stepDir makes a fresh folder for one step run.
func (a *tmpArea) stepDir(addr string) (string, error) {
	dir, err := os.MkdirTemp(a.dir, addr+"-")
	if err != nil {
		return "", fmt.Errorf("temp folder: %w", err)
	}
	return dir, nil
}

// close removes the build's folder and its lock.
func (a *tmpArea) close() {
	removeAll(a.dir)
	os.Remove(a.lock.Path())
	a.lock.Unlock()
}

// sweepTmp removes every build folder under root whose lock no running
// build holds, with its lock file.
func sweepTmp(root string) {
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, buildTmpPrefix) {
			continue
		}
		lp := filepath.Join(root, name+".lock")
		if _, err := os.Stat(lp); errors.Is(err, fs.ErrNotExist) {
			continue // its build has not taken the lock yet, or just removed it
		}
		l := flock.New(lp)
		if ok, err := l.TryLock(); err != nil || !ok {
			continue
		}
		removeAll(filepath.Join(root, name))
		os.Remove(lp)
		l.Unlock()
	}
}
