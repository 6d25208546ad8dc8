// Package chatset writes synthetic support-chat datasets (train and
// validation JSONL in the messages format) with chosen defects planted at
// known lines, each named after the packaging/chatdata issue code it
// raises; deterministic for a seed. `ckpt synth dataset` uses it.
package chatset
