package spec

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// size is what a value costs: bytes (strings, numbers as printed, 16 per
// element or scalar) and elements at every level.
type size struct{ bytes, elems int }

// errTooLarge is the error of every value limit.
var errTooLarge = errors.New("value too large")

// measure returns the size of v, or an error wrapping errTooLarge as soon as
// v exceeds MaxValueBytes, MaxElements, MaxNesting or a number's
// MaxNumberDigits. Unknown and null values cost 16 bytes.
func measure(v cty.Value) (size, error) {
	var s size
	err := s.add(v, 0)
	return s, err
}

func (s *size) add(v cty.Value, depth int) error {
	if depth > MaxNesting {
		return fmt.Errorf("%w: values may nest at most %d levels deep", errTooLarge, MaxNesting)
	}
	v, _ = v.Unmark()
	s.bytes += 16
	switch {
	case !v.IsKnown() || v.IsNull():
	case v.Type() == cty.String:
		s.bytes += len(v.AsString())
	case v.Type() == cty.Number:
		d, ok := numberDigits(v.AsBigFloat())
		if !ok {
			return fmt.Errorf("%w: numbers may have at most %d decimal digits before or after the point", errTooLarge, MaxNumberDigits)
		}
		s.bytes += d
	case v.CanIterateElements():
		s.elems += v.LengthInt()
		if err := s.check(); err != nil {
			return err
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if v.Type().IsMapType() || v.Type().IsObjectType() {
				s.bytes += len(k.AsString())
			}
			if err := s.add(e, depth+1); err != nil {
				return err
			}
		}
	}
	return s.check()
}

func (s *size) check() error {
	switch {
	case s.bytes > MaxValueBytes:
		return fmt.Errorf("%w: a value may hold at most %d MiB", errTooLarge, MaxValueBytes>>20)
	case s.elems > MaxElements:
		return fmt.Errorf("%w: a value may hold at most %d elements", errTooLarge, MaxElements)
	}
	return nil
}

// numberDigits estimates how many digits printing f takes, and whether its
// decimal exponent is within ±MaxNumberDigits.
func numberDigits(f *big.Float) (int, bool) {
	if f.IsInf() || f.Sign() == 0 {
		return 1, true
	}
	e := f.MantExp(nil)
	d := int(float64(e)*0.30103) + 1 // decimal digits of 2^e
	if d < 0 {
		d = -d
	}
	return d + 20, d <= MaxNumberDigits
}

// checkValue refuses a variable's or local's value beyond the value limits
// and charges it to the spec's meter.
func (s *Spec) checkValue(v cty.Value, rng hcl.Range, what string) *hcl.Diagnostic {
	sz, err := measure(v)
	if err == nil {
		err = s.meter.charge(sz.bytes)
	}
	if err != nil {
		return limitDiag(&rng, "The value of %s is too large: %s.", what, strings.TrimPrefix(err.Error(), errTooLarge.Error()+": "))
	}
	return nil
}

// meter is the evaluation budget of one spec (MaxEvalBytes), shared by
// every evaluation of its expressions, which may run concurrently.
type meter struct{ used, iterations atomic.Int64 }

// spent fails once the budget or the iterations are spent, so that nothing
// more is computed after the first evaluation that spent them.
func (m *meter) spent() error {
	if m.iterations.Load() > MaxIterations {
		return m.iterate(0)
	}
	return m.charge(0)
}

// iterate counts n for-expression elements and fails once MaxIterations
// are spent.
func (m *meter) iterate(n int) error {
	if m.iterations.Add(int64(n)) > MaxIterations {
		return fmt.Errorf("%w: for-expressions may run over at most %d elements in all while the spec is evaluated", errTooLarge, MaxIterations)
	}
	return m.charge(16 * n)
}

// charge adds n bytes and fails once the budget is spent.
func (m *meter) charge(n int) error {
	if m.used.Add(int64(n)) > MaxEvalBytes {
		return fmt.Errorf("%w: evaluating the spec may produce at most %d MiB of values (template pieces, function results, for-expression elements)", errTooLarge, MaxEvalBytes>>20)
	}
	return nil
}
