package cli

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
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
	spec.Tidy(diags)
	out := []jsonDiagnostic{}
	for _, d := range diags {
		jd := jsonDiagnostic{Severity: severity(d.Severity),
			Summary: clip(printable(d.Summary, false), maxSummary), Detail: clip(printable(d.Detail, true), maxDetail)}
		if d.Subject != nil {
			r := *d.Subject
			jd.Range = spec.RangeOf(&r)
			jd.Range.Filename = printable(r.Filename, false)
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

// Bounds of what a diagnostic shows: a terminal gets at most maxDiags
// diagnostics, snippet lines of at most maxLine characters around the
// range, at most maxSnippetLines lines (JSON), and clipped messages.
const (
	maxDiags        = 50
	maxLine         = 120
	maxSnippetLines = 5
	maxSummary      = 200
	maxDetail       = 4000
)

// snippet returns the lines the range covers (at most maxSnippetLines),
// each printable and clipped around the range (see showLine), or nil
// without source. The highlight offsets are byte offsets into Code.
func snippet(f *hcl.File, r hcl.Range) *jsonSnippet {
	if f == nil || r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(f.Bytes) {
		return nil
	}
	src := f.Bytes
	start := bytes.LastIndexByte(src[:r.Start.Byte], '\n') + 1
	end := len(src)
	if i := bytes.IndexByte(src[r.End.Byte:], '\n'); i >= 0 {
		end = r.End.Byte + i
	}
	if r.End.Byte > r.Start.Byte && r.End.Byte > start && src[r.End.Byte-1] == '\n' {
		end = r.End.Byte - 1
	}
	s := &jsonSnippet{StartLine: r.Start.Line}
	var code strings.Builder
	for ls, n := start, 0; ls <= end && n < maxSnippetLines; n++ {
		le := end
		if i := bytes.IndexByte(src[ls:end], '\n'); i >= 0 {
			le = ls + i
		}
		if n > 0 {
			code.WriteByte('\n')
		}
		hs, he := max(r.Start.Byte, ls)-ls, max(min(r.End.Byte, le), ls)-ls
		text, a, b := showLine(string(src[ls:le]), min(hs, le-ls), he)
		if n == 0 {
			s.HighlightStartOffset = code.Len() + a
		}
		if n == 0 || r.End.Byte > ls {
			s.HighlightEndOffset = code.Len() + b
		}
		code.WriteString(text)
		ls = le + 1
	}
	s.Code = code.String()
	if c := hcled.ContextString(f, r.Start.Byte); c != "" {
		c = printable(c, false)
		s.Context = &c
	}
	return s
}

// showLine returns line printable (see printable) and clipped to about
// maxLine characters around the range [hs, he) with … where it was cut,
// and the byte offsets of the range in the result.
func showLine(line string, hs, he int) (string, int, int) {
	pre, mid, post := []rune(printable(line[:hs], false)), []rune(printable(line[hs:he], false)), []rune(printable(line[he:], false))
	if len(pre)+len(mid)+len(post) > maxLine {
		if len(mid) > maxLine*2/3 {
			mid = append(mid[:maxLine*2/3:maxLine*2/3], '…')
		}
		if keep := maxLine / 3; len(pre) > keep {
			pre = append([]rune{'…'}, pre[len(pre)-keep:]...)
		}
		if keep := max(maxLine-len(pre)-len(mid), 10); len(post) > keep {
			post = append(post[:keep:keep], '…')
		}
	}
	a, b := len(string(pre)), len(string(pre))+len(string(mid))
	return string(pre) + string(mid) + string(post), a, b
}

// printable escapes what a terminal would not print as itself: invalid
// UTF-8 as \xNN, control characters as \xNN or \uNNNN (tabs kept, and
// newlines when multiline), other non-printing characters (format
// characters such as bidirectional overrides) as \uNNNN.
func printable(s string, multiline bool) string {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		c := s[i]
		clean = c >= 0x20 && c < 0x7f || c == '\t' || multiline && c == '\n'
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\t' || multiline && r == '\n' || r == ' ':
			b.WriteRune(r)
		case r < 0x80 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case !unicode.IsPrint(r) && r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04x", r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, "\\U%08x", r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// clip cuts s after max bytes (at a character boundary) with a note.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
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

// writeDiagList writes diagnostics in compiler style, at most maxDiags of
// them, then how many more there are.
func writeDiagList(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	spec.Tidy(diags)
	for i, d := range diags {
		if i == maxDiags {
			errs, warns := countDiags(diags[i:])
			fmt.Fprintf(w, "… and %d more diagnostics (%d errors, %d warnings) not shown.\n", len(diags)-i, errs, warns)
			return
		}
		writeDiag(w, files, d)
	}
}

// writeDiag writes one diagnostic in compiler style, every part printable.
func writeDiag(w io.Writer, files map[string]*hcl.File, d *hcl.Diagnostic) {
	sev, summary := severity(d.Severity), clip(printable(d.Summary, false), maxSummary)
	if d.Subject == nil {
		fmt.Fprintf(w, "%s: %s\n", sev, summary)
	} else {
		r := d.Subject
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", printable(r.Filename, false), r.Start.Line, r.Start.Column, sev, summary)
		if s := snippet(files[r.Filename], *r); s != nil {
			writeSnippet(w, s)
		}
	}
	if d.Detail != "" {
		for _, line := range strings.Split(clip(printable(d.Detail, true), maxDetail), "\n") {
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
