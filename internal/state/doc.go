// Package state owns everything ckpt keeps under a project's state folder
// (.ckpt/ beside the spec): where each part lives (store, plugins, ledger,
// caches, build outputs, scratch), the build ledger (its entry format,
// appending and reading), the names the scheduler gives store entries
// (cache-<key>, step-<address>) and gc's retention policy over them, the
// small memo caches (plugin descriptions, validation answers, the file hash
// cache), and the one atomic-write helper every file ckpt writes in place
// goes through (temporary file in the same folder, fsync, rename, fsync of
// the folder).
//
// It is a leaf: it imports nothing of ckpt's but specs/v1, so that the
// store (packaging), the plugin host (plugins) and the scheduler (pipeline)
// share one implementation.
package state
