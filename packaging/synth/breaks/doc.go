// Package breaks breaks synthesized models and adapters on purpose, one
// compatibility rule at a time: Apply mutates a folder written by
// packaging/synth so that exactly the rule with a given compat.Code fires
// (the other half of every rule test in packaging/compat, and the engine of
// `ckpt synth break`). The registry is keyed by compat's code constants, so
// a rule is declared once, in compat.Rules, with its break here.
package breaks
