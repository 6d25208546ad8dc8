// Command ckpt-plugin-sha256sums is an example external ckpt plugin. Its
// check "sha256sums" writes a SHA256SUMS manifest (the format of coreutils'
// sha256sum) of the target artifact's files and, when given the expected
// manifest, verifies the files against it.
//
// Build and install it into a project:
//
//	go build -o bin/ckpt-plugin-sha256sums ./examples/plugins/sha256sums
//	ckpt init   # with required_plugins { sha256sums = { source = "./bin/ckpt-plugin-sha256sums" ... } }
package main

import "github.com/ckpt-dev/ckpt/plugins/sdk"

// Version is the plugin's version.
const Version = "0.1.0"

func main() { sdk.Serve(Plugin()) }

// Plugin returns the plugin with its one component.
func Plugin() *sdk.Plugin {
	return &sdk.Plugin{Name: "sha256sums", Version: Version, Components: []sdk.Component{Check{}}}
}
