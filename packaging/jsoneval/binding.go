package jsoneval

import "fmt"

// binder checks that every prediction comes from the target (its rows
// carry the target's digest) and that no id repeats.
type binder struct {
	name   string
	target string
	seen   map[string]int
}

func newBinder(name, target string) *binder {
	return &binder{name: name, target: target, seen: map[string]int{}}
}

func (b *binder) check(p *Prediction) error {
	if first, dup := b.seen[p.ID]; dup {
		return fmt.Errorf("%s:%d: duplicate prediction id %q (first on line %d)", b.name, p.Line, p.ID, first)
	}
	b.seen[p.ID] = p.Line
	switch {
	case b.target == "":
	case p.TargetDigest == "":
		return fmt.Errorf("%s:%d: no target_digest: every prediction must carry the digest of the model that produced it (the target is %s); let a runner produce them (prompts = ...) or stamp the file with ckpt eval stamp", b.name, p.Line, b.target)
	case p.TargetDigest != b.target:
		return fmt.Errorf("%s:%d: the prediction comes from %s, not from the target %s", b.name, p.Line, p.TargetDigest, b.target)
	}
	return nil
}
