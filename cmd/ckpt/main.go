// Command ckpt builds, checks and publishes ML checkpoint bundles.
package main

import (
	"os"

	"github.com/ckpt-dev/ckpt/cmd/ckpt/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
