package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Index is a sharded checkpoint's *.safetensors.index.json.
type Index struct {
	Metadata IndexMetadata `json:"metadata"`
	// WeightMap maps each tensor name to the shard file holding it.
	WeightMap map[string]string `json:"weight_map"`
}

// IndexMetadata is the index's metadata; total_size is the sum of tensor
// data bytes, headers excluded.
type IndexMetadata struct {
	TotalSize       int64 `json:"total_size"`
	TotalParameters int64 `json:"total_parameters,omitempty"`
}

// ErrIndex is wrapped by every index consistency error.
var ErrIndex = errors.New("inconsistent safetensors index")

// ReadIndex parses an index file.
func ReadIndex(path string) (*Index, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var idx Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if idx.WeightMap == nil {
		return nil, fmt.Errorf("%s: %w: no weight_map", path, ErrIndex)
	}
	return &idx, nil
}

// WriteIndex writes idx as indented JSON (keys sorted, deterministic).
func WriteIndex(path string, idx *Index) error {
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Shards returns the distinct shard file names, sorted.
func (idx *Index) Shards() []string {
	set := map[string]bool{}
	for _, f := range idx.WeightMap {
		set[f] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Verify checks the index against the shards in dir: every mapped file
// exists and is a valid safetensors file, the map equals the shards'
// contents, and no tensor is in two shards. A total_size that differs from
// the data bytes is returned as a warning.
func (idx *Index) Verify(dir string) (warnings []string, err error) {
	var total int64
	found := map[string]string{}
	for _, shard := range idx.Shards() {
		if filepath.Base(shard) != shard {
			return nil, fmt.Errorf("%w: shard %q is not a file name", ErrIndex, shard)
		}
		h, err := ReadFileHeader(filepath.Join(dir, shard))
		if err != nil {
			return nil, err
		}
		for _, t := range h.Tensors {
			if prev, dup := found[t.Name]; dup {
				return nil, fmt.Errorf("%w: tensor %q in both %s and %s", ErrIndex, t.Name, prev, shard)
			}
			found[t.Name] = shard
			if idx.WeightMap[t.Name] != shard {
				return nil, fmt.Errorf("%w: %s: tensor %q is mapped to %q", ErrIndex, shard, t.Name, idx.WeightMap[t.Name])
			}
			total += t.Len()
		}
	}
	for name, shard := range idx.WeightMap {
		if _, ok := found[name]; !ok {
			return nil, fmt.Errorf("%w: %s: tensor %q is mapped but missing", ErrIndex, shard, name)
		}
	}
	if idx.Metadata.TotalSize != total {
		warnings = append(warnings, fmt.Sprintf("index total_size %d differs from the shards' %d data bytes", idx.Metadata.TotalSize, total))
	}
	return warnings, nil
}
