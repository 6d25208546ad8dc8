package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// jsonDiagnostic is one diagnostic of validate --json (Terraform's shape).
type jsonDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail"`
	Range    *spec.Range  `json:"range,omitempty"`
	Snippet  *jsonSnippet `json:"snippet,omitempty"`
}

// jsonSnippet is the source around a diagnostic: Context names the
// enclosing block, Code holds the lines of the range from StartLine, and
// the highlight offsets are byte offsets of the range within Code.
type jsonSnippet struct {
	Context              *string `json:"context"`
	Code                 string  `json:"code"`
	StartLine            int     `json:"start_line"`
	HighlightStartOffset int     `json:"highlight_start_offset"`
	HighlightEndOffset   int     `json:"highlight_end_offset"`
}

func toJSONDiags(files map[string]*hcl.File, diags hcl.Diagnostics) []jsonDiagnostic {
	out := []jsonDiagnostic{}
	for _, d := range diags {
		jd := jsonDiagnostic{Severity: severity(d.Severity), Summary: d.Summary, Detail: d.Detail}
		if d.Subject != nil {
			r := *d.Subject
			jd.Range = spec.RangeOf(&r)
			jd.Snippet = snippet(files[r.Filename], r)
		}
		out = append(out, jd)
	}
	return out
}

func severity(s hcl.DiagnosticSeverity) string {
	if s == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// snippet returns the whole lines the range covers, or nil without source.
func snippet(f *hcl.File, r hcl.Range) *jsonSnippet {
	if f == nil || r.Start.Byte > len(f.Bytes) || r.End.Byte > len(f.Bytes) {
		return nil
	}
	src := f.Bytes
	start := strings.LastIndexByte(string(src[:r.Start.Byte]), '\n') + 1
	end := len(src)
	if i := strings.IndexByte(string(src[r.End.Byte:]), '\n'); i >= 0 {
		end = r.End.Byte + i
	}
	if r.End.Byte > r.Start.Byte && r.End.Byte > start && src[r.End.Byte-1] == '\n' {
		end = r.End.Byte - 1
	}
	s := &jsonSnippet{Code: string(src[start:end]), StartLine: r.Start.Line,
		HighlightStartOffset: r.Start.Byte - start, HighlightEndOffset: min(r.End.Byte-start, end-start)}
	if c := hcled.ContextString(f, r.Start.Byte); c != "" {
		s.Context = &c
	}
	return s
}

func countDiags(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warns++
		} else {
			errs++
		}
	}
	return errs, warns
}

// writeDiag writes one diagnostic in compiler style.
func writeDiag(w io.Writer, files map[string]*hcl.File, d *hcl.Diagnostic) {
	sev := severity(d.Severity)
	if d.Subject == nil {
		fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
	} else {
		r := d.Subject
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, d.Summary)
		if s := snippet(files[r.Filename], *r); s != nil {
			writeSnippet(w, s)
		}
	}
	if d.Detail != "" {
		for _, line := range strings.Split(d.Detail, "\n") {
			if line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	fmt.Fprintln(w)
}

// writeSnippet prints the first line of the snippet with the range
// underlined (to the end of that line when the range spans several).
func writeSnippet(w io.Writer, s *jsonSnippet) {
	line, _, multi := strings.Cut(s.Code, "\n")
	gutter := strconv.Itoa(s.StartLine)
	fmt.Fprintf(w, "  %s | %s\n", gutter, line)
	start, end := s.HighlightStartOffset, s.HighlightEndOffset
	if multi || end > len(line) {
		end = len(line)
	}
	start = min(start, len(line))
	var pad strings.Builder
	for _, r := range line[:start] {
		if r == '\t' {
			pad.WriteRune('\t')
		} else {
			pad.WriteRune(' ')
		}
	}
	n := max(utf8.RuneCountInString(line[start:end]), 1)
	fmt.Fprintf(w, "  %s | %s%s\n", strings.Repeat(" ", len(gutter)), pad.String(), strings.Repeat("^", n))
}
