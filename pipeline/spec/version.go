package spec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/mod/semver"
)

// checkVersion checks ckpt's version against a required_version constraint:
// comma-separated terms "OP VERSION" with OP one of = != > >= < <= ~>
// (pessimistic, as in Terraform). Pre-release suffixes of ckpt's own version
// are ignored, so a 0.2.0-dev build satisfies ">= 0.2.0".
func checkVersion(constraint, version string, rng hcl.Range) hcl.Diagnostics {
	have := semver.Canonical("v" + strings.TrimPrefix(version, "v"))
	if have == "" {
		return nil // a development build without a semantic version
	}
	have = strings.SplitN(have, "-", 2)[0]
	for _, term := range strings.Split(constraint, ",") {
		ok, err := matchTerm(strings.TrimSpace(term), have)
		if err != nil {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid required_version",
				Detail:  fmt.Sprintf("%s. A constraint is comma-separated terms such as \">= 0.1.0, < 2.0.0\" or \"~> 0.3\".", err),
				Subject: rng.Ptr()}}
		}
		if !ok {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported ckpt version",
				Detail:  fmt.Sprintf("This spec requires ckpt %s; this is ckpt %s.", constraint, version),
				Subject: rng.Ptr()}}
		}
	}
	return nil
}

var operators = []string{">=", "<=", "!=", "~>", "=", ">", "<"}

func matchTerm(term, have string) (bool, error) {
	op := "="
	for _, o := range operators {
		if strings.HasPrefix(term, o) {
			op, term = o, strings.TrimSpace(term[len(o):])
			break
		}
	}
	want := semver.Canonical("v" + strings.TrimPrefix(term, "v"))
	if term == "" || want == "" {
		return false, fmt.Errorf("%q is not a version", term)
	}
	c := semver.Compare(have, want)
	switch op {
	case ">=":
		return c >= 0, nil
	case "<=":
		return c <= 0, nil
	case "!=":
		return c != 0, nil
	case ">":
		return c > 0, nil
	case "<":
		return c < 0, nil
	case "~>":
		return c >= 0 && semver.Compare(have, pessimisticCeiling(term)) < 0, nil
	}
	return c == 0, nil
}

// pessimisticCeiling returns the exclusive upper bound of "~> term":
// ~> 1.2 allows < 2.0.0, ~> 1.2.3 allows < 1.3.0.
func pessimisticCeiling(term string) string {
	parts := strings.Split(strings.SplitN(strings.TrimPrefix(term, "v"), "-", 2)[0], ".")
	w := semver.Canonical("v" + strings.TrimPrefix(term, "v"))
	major, minor := semver.Major(w), strings.Split(semver.MajorMinor(w), ".")[1]
	if len(parts) <= 2 {
		return fmt.Sprintf("v%d.0.0", atoi(major[1:])+1)
	}
	return fmt.Sprintf("%s.%d.0", major, atoi(minor)+1)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}
