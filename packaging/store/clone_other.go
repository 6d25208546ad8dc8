//go:build !linux

package store

import (
	"errors"
	"os"
)

// reflink is not implemented off Linux: Export copies.
func reflink(_, _ *os.File) error { return errors.ErrUnsupported }
