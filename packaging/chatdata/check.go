package chatdata

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxLine bounds one JSONL line.
const maxLine = 64 << 20

// DefaultMaxIssues is how many issues a file reports before it stops listing them.
const DefaultMaxIssues = 1000

// Split is one data file and the name of its split (train, validation, or
// the file name).
type Split struct {
	Name string
	Path string
}

// Options configure Check; the zero value is the default.
type Options struct {
	// MaxIssues caps the issues listed per file (0: DefaultMaxIssues); the
	// counts stay exact.
	MaxIssues int
}

// Report is the result of checking a set of files.
type Report struct {
	Files    []FileStats `json:"files"`
	Errors   int         `json:"errors"`
	Warnings int         `json:"warnings"`
	Issues   []Issue     `json:"issues"`
}

// OK reports whether no error was found.
func (r *Report) OK() bool { return r.Errors == 0 }

// Check validates every file (see the package doc) and compares them: a
// sample found in two files is an error, twice in one file a warning. An
// error is returned only when a file cannot be read.
func Check(ctx context.Context, splits []Split, opts Options) (*Report, error) {
	if opts.MaxIssues <= 0 {
		opts.MaxIssues = DefaultMaxIssues
	}
	c := &checker{opts: opts, seen: map[[32]byte]place{}, rep: &Report{Issues: []Issue{}}}
	for _, s := range splits {
		if err := c.file(ctx, s); err != nil {
			return nil, err
		}
	}
	return c.rep, nil
}

// place is where a sample was first seen; path tells files apart when
// two splits share a base name.
type place struct {
	path, file, split string
	line              int
}

type checker struct {
	opts   Options
	seen   map[[32]byte]place
	rep    *Report
	listed int
}

func (c *checker) issue(i Issue) {
	if i.Severity == SeverityError {
		c.rep.Errors++
	} else {
		c.rep.Warnings++
	}
	if c.listed < c.opts.MaxIssues {
		c.rep.Issues = append(c.rep.Issues, i)
		c.listed++
	}
}

func (c *checker) file(ctx context.Context, s Split) error {
	f, err := os.Open(s.Path)
	if err != nil {
		return fmt.Errorf("%s split: %w", s.Name, err)
	}
	defer f.Close()
	name := filepath.Base(s.Path)
	st := newFileStats(s.Name, name)
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 64<<10)
	c.listed = 0
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := readLine(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", s.Path, line, err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			c.sample(st, s.Path, line, b)
		}
	}
	st.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if st.Samples == 0 {
		c.issue(Issue{File: name, Code: CodeEmptySplit, Severity: SeverityError,
			Message: fmt.Sprintf("the %s split has no samples", s.Name)})
	}
	st.finish()
	c.rep.Files = append(c.rep.Files, *st)
	return nil
}

func (c *checker) sample(st *FileStats, path string, line int, b []byte) {
	name := st.File
	info, probs := checkSample(b)
	bad := hasError(probs)
	for _, p := range probs {
		c.issue(Issue{File: name, Line: line, Code: p.code, Severity: p.severity, Message: p.msg})
	}
	if info.hashed {
		if prev, ok := c.seen[info.hash]; !ok {
			c.seen[info.hash] = place{path: path, file: name, split: st.Split, line: line}
		} else if prev.path != path {
			bad = true
			c.issue(Issue{File: name, Line: line, Code: CodeSplitOverlap, Severity: SeverityError,
				Message: fmt.Sprintf("the same sample is in the %s split (%s:%d); splits must not share samples", prev.split, prev.file, prev.line)})
		} else {
			c.issue(Issue{File: name, Line: line, Code: CodeDuplicate, Severity: SeverityWarning,
				Message: fmt.Sprintf("duplicate of line %d", prev.line)})
		}
	}
	st.add(info, bad)
}

func hasError(ps []problem) bool {
	for _, p := range ps {
		if p.severity == SeverityError {
			return true
		}
	}
	return false
}

// readLine reads one line of at most maxLine bytes, without its newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return buf, nil
		default:
			return nil, err
		}
	}
}
