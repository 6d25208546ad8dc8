package compat

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// maxDocSize bounds the JSON and tokenizer files a check reads into memory.
const maxDocSize = 256 << 20

// folder is a read-only view of a checkpoint folder. Parsed files are cached
// and a file that cannot be read or parsed is reported once as
// files.malformed.
type folder struct {
	dir   string
	files []string
	rep   *report
	docs  map[string]obj
	bad   map[string]bool
	memo  map[string]any
}

func openFolder(dir string, rep *report) (*folder, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("compat: read folder %s: %w", dir, err)
	}
	b := &folder{dir: dir, rep: rep, docs: map[string]obj{}, bad: map[string]bool{}, memo: map[string]any{}}
	for _, e := range ents {
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			b.files = append(b.files, e.Name())
		}
	}
	sort.Strings(b.files)
	return b, nil
}

func (b *folder) has(name string) bool {
	for _, f := range b.files {
		if f == name {
			return true
		}
	}
	return false
}

// match returns the file names matching re, sorted.
func (b *folder) match(re *regexp.Regexp) []string {
	var out []string
	for _, f := range b.files {
		if re.MatchString(f) {
			out = append(out, f)
		}
	}
	return out
}

// read returns a file's bytes; an unreadable file is reported.
func (b *folder) read(name string) ([]byte, bool) {
	if b.bad[name] || !b.has(name) {
		return nil, false
	}
	f, err := os.Open(filepath.Join(b.dir, name))
	if err != nil {
		b.malformed(name, err)
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDocSize+1))
	if err == nil && len(data) > maxDocSize {
		err = fmt.Errorf("larger than %d bytes", maxDocSize)
	}
	if err != nil {
		b.malformed(name, err)
		return nil, false
	}
	return data, true
}

func (b *folder) malformed(name string, err error) {
	if !b.bad[name] {
		b.bad[name] = true
		b.rep.add(FilesMalformed, name, "", "%s cannot be read: %v; regenerate or fix the file", name, err)
	}
}

// json returns a top-level JSON object file, or nil when absent or broken.
func (b *folder) json(name string) obj {
	if o, ok := b.docs[name]; ok {
		return o
	}
	data, ok := b.read(name)
	if !ok {
		return nil
	}
	var o map[string]any
	if err := json.Unmarshal(data, &o); err != nil {
		b.malformed(name, err)
		return nil
	}
	if o == nil {
		b.malformed(name, fmt.Errorf("not a JSON object"))
		return nil
	}
	b.docs[name] = o
	return o
}

// once memoizes a computed value under key.
func once[T any](b *folder, key string, f func() T) T {
	if v, ok := b.memo[key]; ok {
		return v.(T)
	}
	v := f()
	b.memo[key] = v
	return v
}

// obj is a decoded JSON object with typed accessors.
type obj map[string]any

func (o obj) num(key string) (float64, bool) {
	v, ok := o[key].(float64)
	return v, ok
}

// int returns an integral number field.
func (o obj) int(key string) (int64, bool) {
	v, ok := o.num(key)
	if !ok || v != float64(int64(v)) {
		return 0, false
	}
	return int64(v), true
}

func (o obj) str(key string) (string, bool) {
	v, ok := o[key].(string)
	return v, ok
}

func (o obj) sub(key string) obj {
	v, _ := o[key].(map[string]any)
	return v
}

// ints returns an int or a list of ints (as generation_config's eos_token_id).
func (o obj) ints(key string) ([]int64, bool) {
	if v, ok := o.int(key); ok {
		return []int64{v}, true
	}
	l, ok := o[key].([]any)
	if !ok {
		return nil, false
	}
	var out []int64
	for _, e := range l {
		f, ok := e.(float64)
		if !ok || f != float64(int64(f)) {
			return nil, false
		}
		out = append(out, int64(f))
	}
	return out, len(out) > 0
}

// tokenName returns a tokenizer_config token field: a string or an
// AddedToken object {"content": ...}.
func (o obj) tokenName(key string) (string, bool) {
	if s, ok := o.str(key); ok {
		return s, true
	}
	if s, ok := o.sub(key).str("content"); ok {
		return s, true
	}
	return "", false
}
