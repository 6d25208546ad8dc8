package main

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Entry is one line of a SHA256SUMS manifest.
type Entry struct {
	Sum  string // lowercase hex
	Path string // slash-separated, relative
}

// Format renders entries in sha256sum's text format, "<hex>  <path>\n".
func Format(entries []Entry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		fmt.Fprintf(&b, "%s  %s\n", e.Sum, e.Path)
	}
	return b.Bytes()
}

// Parse reads a SHA256SUMS manifest: lines "<64 hex> <space or *><path>",
// blank lines ignored. Paths must be relative, clean and listed once.
func Parse(src []byte) ([]Entry, error) {
	var out []Entry
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if first, dup := seen[e.Path]; dup {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", n, e.Path, first)
		}
		seen[e.Path] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return out, nil
}

func parseLine(line string) (Entry, error) {
	if len(line) < 66 || (line[64] != ' ') || (line[65] != ' ' && line[65] != '*') {
		return Entry{}, fmt.Errorf("want \"<64 hex digits>  <path>\", got %q", clip(line))
	}
	sum := strings.ToLower(line[:64])
	for _, c := range sum {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return Entry{}, fmt.Errorf("%q is not a hex sha256", clip(line[:64]))
		}
	}
	p := strings.TrimPrefix(line[66:], "./")
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return Entry{}, fmt.Errorf("path %q is not a clean relative path", clip(p))
	}
	return Entry{Sum: sum, Path: p}, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
