package license_test

import (
	"fmt"

	"github.com/ckpt-dev/ckpt/packaging/license"
)

// Mismatch holds a declared license against what the shipped texts are
// (Detector.DetectFolder finds them): the Mistral AI Research License in
// LICENSE contradicts a declared Apache-2.0.
func ExampleMismatch() {
	detected := []license.Detection{
		{File: "LICENSE", ID: "LicenseRef-MRL-0.1", Confidence: 0.98, How: license.HowText},
		{File: "README.md", ID: "Apache-2.0", Confidence: 1, How: license.HowCard},
	}
	for _, f := range license.Mismatch("Apache-2.0", detected) {
		fmt.Println(f.Code, f.Severity, f.File)
	}
	fmt.Println(license.Expression(detected))
	// Output:
	// license.declared_mismatch error LICENSE
	// Apache-2.0 AND LicenseRef-MRL-0.1
}
