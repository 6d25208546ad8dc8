package compat

import (
	"fmt"
	"regexp"

	"github.com/ardanlabs/jinja"
)

// maxRange is Jinja2's sandbox limit on range() (jinja2.sandbox.MAX_RANGE).
const maxRange = 100000

// UnsafeTemplateError is returned for a template ckpt's renderer cannot run
// safely: ardanlabs/jinja has no recursion limit, so a recursive macro
// could exhaust the stack.
type UnsafeTemplateError struct{ Reason string }

func (e *UnsafeTemplateError) Error() string { return "not rendered: " + e.Reason }

// sandboxRange is range() with the sandbox's size limit, so that a template
// cannot allocate without bound.
func sandboxRange(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	var n [3]int64
	for i, a := range args {
		if i > 2 || !a.IsInt() {
			return jinja.Undefined(), fmt.Errorf("range: want 1 to 3 integers")
		}
		n[i] = a.AsInt()
	}
	start, stop, step := int64(0), n[0], int64(1)
	switch len(args) {
	case 0:
		return jinja.Undefined(), fmt.Errorf("range: want 1 to 3 integers")
	case 2:
		start, stop = n[0], n[1]
	case 3:
		start, stop, step = n[0], n[1], n[2]
	}
	if step == 0 {
		return jinja.Undefined(), fmt.Errorf("range() arg 3 must not be zero")
	}
	var items []jinja.Value
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(items) >= maxRange {
			return jinja.Undefined(), fmt.Errorf("Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)
		}
		items = append(items, jinja.NewInt(i))
	}
	return jinja.NewList(items), nil
}

// recursiveMacro returns the name of a macro that can call itself,
// directly or through other macros, or "".
func recursiveMacro(src string) string {
	tags := regexp.MustCompile(`\{%-?\s*(macro\s+(\w+)|endmacro)\b`).FindAllStringSubmatchIndex(src, -1)
	bodies := map[string]string{}
	type open struct {
		name  string
		start int
	}
	var stack []open
	for _, m := range tags {
		if m[4] >= 0 {
			stack = append(stack, open{src[m[4]:m[5]], m[1]})
		} else if len(stack) > 0 {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			bodies[top.name] += src[top.start:m[0]]
		}
	}
	calls := map[string][]string{}
	for name, body := range bodies {
		for other := range bodies {
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(other) + `\s*\(`).MatchString(body) {
				calls[name] = append(calls[name], other)
			}
		}
	}
	for _, name := range sortedKeys(bodies) {
		if reaches(calls, name, name, map[string]bool{}) {
			return name
		}
	}
	return ""
}

// reaches reports whether target is reachable from node through calls.
func reaches(calls map[string][]string, node, target string, seen map[string]bool) bool {
	for _, next := range calls[node] {
		if next == target {
			return true
		}
		if !seen[next] {
			seen[next] = true
			if reaches(calls, next, target, seen) {
				return true
			}
		}
	}
	return false
}
