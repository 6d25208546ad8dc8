// Package evalset writes synthetic predictions of a support-ticket
// structured-output task (TicketSchema) with chosen defects planted at
// known lines, one per packaging/jsoneval failure category plus a fenced
// output and a wrong field; deterministic for a seed. `ckpt synth
// predictions` uses it.
package evalset
