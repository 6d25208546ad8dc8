package peft

import (
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/mistral"
)

// Target is an adapter module resolved against a base: the base tensor it
// changes and, when the adapter's q/k basis differs from the base's, the
// rotary head count by which lora_B rows must be permuted first.
type Target struct {
	Module
	// BaseTensor is the base tensor name (in the base's layout).
	BaseTensor string
	// PermuteHeads is 0 when no permutation is needed.
	PermuteHeads int
	// From is the basis lora_B's rows are in.
	From mistral.Basis
}

// Resolve validates the adapter against base and returns one Target per
// module: every module exists in the base, A is [r, in] and B is [out, r]
// for the base's [out, in] weight, and every target_modules entry names a
// module of the base. basis is the q/k basis the adapter was trained in
// (empty: the format's default).
func (a *Adapter) Resolve(base *Base, basis mistral.Basis) ([]Target, error) {
	if basis == "" {
		basis = a.DefaultBasis()
	}
	if basis != mistral.BasisHF && basis != mistral.BasisNative {
		return nil, fmt.Errorf("%w: basis %q (want hf or native)", ErrInvalid, basis)
	}
	if err := a.checkTargetList(base); err != nil {
		return nil, err
	}
	out := make([]Target, 0, len(a.Modules))
	for _, m := range a.Modules {
		t, err := a.resolveModule(base, m, basis)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (a *Adapter) resolveModule(base *Base, m Module, basis mistral.Basis) (Target, error) {
	name, err := a.baseName(base, m.Name)
	if err != nil {
		return Target{}, fmt.Errorf("%w: %s: tensor %q: module %q: %w", ErrInvalid, a.File, m.A.Name, m.Name, err)
	}
	w, ok := base.Tensors[name]
	if !ok {
		return Target{}, fmt.Errorf("%w: %s: tensor %q: target module %q does not exist in the base (no tensor %q)", ErrInvalid, a.File, m.A.Name, m.Name, name)
	}
	if len(w.Shape) != 2 {
		return Target{}, fmt.Errorf("%w: %s: module %q: base tensor %q has shape %v, not a linear weight", ErrInvalid, a.File, m.Name, name, w.Shape)
	}
	out, in := w.Shape[0], w.Shape[1]
	r := int64(m.Rank)
	if m.A.Shape[0] != r || m.A.Shape[1] != in {
		return Target{}, fmt.Errorf("%w: %s: tensor %q has shape %v, want [%d %d] for base tensor %q %v", ErrInvalid, a.File, m.A.Name, m.A.Shape, r, in, name, w.Shape)
	}
	if m.B.Shape[0] != out || m.B.Shape[1] != r {
		return Target{}, fmt.Errorf("%w: %s: tensor %q has shape %v, want [%d %d] for base tensor %q %v", ErrInvalid, a.File, m.B.Name, m.B.Shape, out, r, name, w.Shape)
	}
	t := Target{Module: m, BaseTensor: name, From: basis}
	if basis != base.Basis() {
		native := name
		if base.Layout.Format == mistral.FormatHF {
			native, _ = base.NameMap().ToNative(name)
		}
		if heads, ok := mistral.RotaryHeads(base.Params, native); ok {
			t.PermuteHeads = heads
		}
	}
	return t, nil
}

// baseName maps an adapter module name to the base tensor name.
func (a *Adapter) baseName(base *Base, module string) (string, error) {
	nm := base.NameMap()
	switch {
	case a.Naming() == base.Layout.Format:
		return module + ".weight", nil
	case base.Layout.Format == mistral.FormatNative:
		n, err := nm.ToNative(module)
		return n + ".weight", err
	}
	n, err := nm.ToHF(module)
	return n + ".weight", err
}

// checkTargetList refuses a target_modules list entry that matches no
// module of the base (PEFT: "Target modules ... not found in the base
// model").
func (a *Adapter) checkTargetList(base *Base) error {
	if a.Config == nil {
		return nil
	}
	t, err := a.Config.targets()
	if err != nil || len(t.list) == 0 {
		return err
	}
	modules := a.baseModulesInAdapterNaming(base)
	for _, e := range t.list {
		found := false
		for _, m := range modules {
			if entryMatches(e, m) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: %s: target module %q does not exist in the base model", ErrInvalid, a.Dir+"/"+PEFTConfigFile, e)
		}
	}
	return nil
}

func (a *Adapter) baseModulesInAdapterNaming(base *Base) []string {
	nm := base.NameMap()
	var out []string
	for _, n := range base.Names {
		mod := strings.TrimSuffix(n, ".weight")
		if a.Naming() != base.Layout.Format {
			var err error
			if base.Layout.Format == mistral.FormatNative {
				mod, err = nm.ToHF(mod)
			} else {
				mod, err = nm.ToNative(mod)
			}
			if err != nil {
				continue
			}
		}
		out = append(out, mod)
	}
	return out
}
