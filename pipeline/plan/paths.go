package plan

import (
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
)

// PathWarnings warns, at its attribute, of every path a step reads that
// stat cannot find yet (an earlier step may still create it; the run engine
// fails the step if it is still missing then). Paths of steps whose
// component Publishes are written, not read, and are not checked. The
// caller passes os.Stat: the planner itself does no I/O.
func (g *Graph) PathWarnings(stat func(string) (fs.FileInfo, error)) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, st := range g.Steps {
		if st.Component.Capabilities.Publishes {
			continue
		}
		for i, p := range st.Paths {
			if _, err := stat(p); err == nil || i >= len(st.pathRanges) {
				continue
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Path not found",
				Detail:  fmt.Sprintf("%s does not exist yet; it must exist when %s runs.", p, st.Address),
				Subject: st.pathRanges[i].Ptr()})
		}
	}
	return diags
}
