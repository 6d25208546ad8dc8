// Command ckpt-plugin-table is an example external ckpt plugin that adds a
// runner kind: runner "table" answers each prompt from a lookup table of
// recorded outputs (answers made elsewhere, by a human or another system),
// and writes them as a runner step's artifact, predictions.jsonl and
// generation.json, so that eval "json" scores them with predictions_from.
// It cannot prove which weights produced the answers: its generation says
// bound = false, and an eval with require_bound = true refuses it.
//
// Build and install it into a project:
//
//	go build -o bin/ckpt-plugin-table ./examples/plugins/table
//	ckpt init   # with required_plugins { table = { source = "./bin/ckpt-plugin-table", version = "0.1.0" } }
package main

import "github.com/ckpt-dev/ckpt/plugins/sdk"

// Version is the plugin's version.
const Version = "0.1.0"

func main() { sdk.Serve(Plugin()) }

// Plugin returns the plugin with its one component.
func Plugin() *sdk.Plugin {
	return &sdk.Plugin{Name: "table", Version: Version, Components: []sdk.Component{Runner{}}}
}
