package spec

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty/function"
)

type callExtra struct{ err error }

func (x callExtra) CalledFunctionName() string { return "upper" }
func (x callExtra) FunctionCallError() error   { return x.err }

// TestTidyPanic: a function that panicked is reported without the stack
// trace that cty puts into its error.
func TestTidyPanic(t *testing.T) {
	err := function.PanicError{Value: "boom", Stack: []byte("goroutine 1 [running]:\nmain.go:1")}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Error in function call", Detail: err.Error(), Extra: callExtra{err}}
	Tidy(hcl.Diagnostics{d})
	if strings.Contains(d.Detail, "goroutine") || !strings.Contains(d.Detail, "internal error: boom") {
		t.Errorf("detail %q", d.Detail)
	}
}
