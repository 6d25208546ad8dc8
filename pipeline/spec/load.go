package spec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Suffix is the file name suffix of spec files.
const Suffix = ".ckpt.hcl"

// Load reads the spec at path: every *.ckpt.hcl file of a folder, sorted by
// name, or one file. It returns the spec even when there are errors, with
// whatever could be loaded, so that callers can report more than the first
// problem; it returns nil only when no file could be read.
func Load(ctx context.Context, path string, opts Options) (*Spec, hcl.Diagnostics) {
	if err := ctx.Err(); err != nil {
		return nil, hcl.Diagnostics{errDiag("Spec loading cancelled", err.Error())}
	}
	dir, files, diags := specFiles(path)
	if diags.HasErrors() {
		return nil, diags
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag("Cannot resolve spec folder", fmt.Sprintf("%s: %s", dir, err))}
	}
	s := &Spec{Dir: abs, Files: map[string]*hcl.File{}, Locals: map[string]cty.Value{}, meter: &meter{}}
	s.functions = functions(abs, s.meter)
	parser := hclparse.NewParser()
	h := sha256.New()
	var bodies []*hcl.File
	for _, name := range files {
		src, d := s.readSource(name, "Cannot read spec file")
		diags = append(diags, d...)
		if src == nil {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(name), len(src))
		h.Write(src)
		f, d := s.parse(parser, src, name)
		diags = append(diags, d...)
		if f != nil {
			bodies = append(bodies, f)
		}
	}
	s.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	diags = append(diags, s.decodeRoot(bodies, parser, opts)...)
	s.redact(diags)
	Tidy(diags)
	SortDiags(diags)
	return s, diags
}

// readSource reads a spec or var file within MaxFileBytes and, with the
// files read before, MaxSpecBytes. It returns nil after a diagnostic.
func (s *Spec) readSource(name, failed string) ([]byte, hcl.Diagnostics) {
	f, err := openRegular(name)
	if err != nil {
		return nil, hcl.Diagnostics{errDiag(failed, err.Error())}
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, hcl.Diagnostics{errDiag(failed, fmt.Sprintf("%s: %s", name, err))}
	}
	rng := &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos}
	if len(src) > MaxFileBytes {
		return nil, hcl.Diagnostics{limitDiag(rng, "%s is larger than %d KiB; spec files and var files may be at most %d KiB each.", name, MaxFileBytes>>10, MaxFileBytes>>10)}
	}
	if s.read += len(src); s.read > MaxSpecBytes {
		return nil, hcl.Diagnostics{limitDiag(rng, "The spec files and var files are larger than %d MiB together; this limit is crossed at %s.", MaxSpecBytes>>20, name)}
	}
	return src, nil
}

// parse parses one file after checkSource and guards its expressions. A
// file refused by checkSource is kept, empty, for snippets.
func (s *Spec) parse(parser *hclparse.Parser, src []byte, name string) (*hcl.File, hcl.Diagnostics) {
	if d := checkSource(src, name, false, &s.tokens); d != nil {
		s.Files[name] = &hcl.File{Body: hcl.EmptyBody(), Bytes: src}
		return nil, hcl.Diagnostics{d}
	}
	f, diags := parser.ParseHCL(src, name)
	if f == nil {
		return nil, diags
	}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		guard(body)
	}
	s.Files[name] = f
	return f, diags
}

// constCtx is the context of expressions that must be constant (variable
// defaults, var files, the ckpt block): the guard functions only.
func (s *Spec) constCtx() *hcl.EvalContext {
	return &hcl.EvalContext{Functions: guardFunctions(s.meter)}
}

// specFiles lists the spec files at path and the folder they are in.
func specFiles(path string) (string, []string, hcl.Diagnostics) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, hcl.Diagnostics{errDiag("Cannot read spec", err.Error())}
	}
	if !st.IsDir() {
		return filepath.Dir(path), []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", nil, hcl.Diagnostics{errDiag("Cannot read spec folder", err.Error())}
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), Suffix) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return "", nil, hcl.Diagnostics{errDiag("No spec files",
			fmt.Sprintf("The folder %s holds no *%s file.", path, Suffix))}
	}
	return path, files, nil
}

func errDiag(summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
}

// rangeString formats a range start as file:line:col for diagnostic details.
func rangeString(r hcl.Range) string {
	return r.Filename + ":" + strconv.Itoa(r.Start.Line) + ":" + strconv.Itoa(r.Start.Column)
}

// SortDiags orders diagnostics deterministically: those without a source
// range first, in their original order, then by file and position.
func SortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		}
		return a.End.Byte < b.End.Byte
	})
}
