package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// canonical encodes v as canonical JSON: object keys sorted, no
// insignificant whitespace, numbers as written, no HTML escaping.
func canonical(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// key is "sha256:" over the canonical JSON of the plugin identity, the
// step's kind and type and its canonical config.
func key(p PluginID, kind, typ string, config json.RawMessage) (string, error) {
	b, err := canonical(map[string]any{"plugin": p, "kind": kind, "type": typ, "config": config})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// keyConfig copies a config tree with path attributes made relative to the
// spec folder (when they are inside it), so that a moved checkout keeps its
// cache keys. Path contents enter the key through the run engine.
func keyConfig(s specv1.Schema, cfg map[string]any, dir string) map[string]any {
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = v
	}
	for _, a := range s.Attributes {
		if p, ok := cfg[a.Name].(string); ok && a.Type == specv1.TypePath {
			if rel, err := filepath.Rel(dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				out[a.Name] = filepath.ToSlash(rel)
			}
		}
	}
	for _, b := range s.Blocks {
		switch v := cfg[b.Name].(type) {
		case map[string]any:
			out[b.Name] = keyConfig(b.Schema, v, dir)
		case []any:
			list := make([]any, len(v))
			for i, x := range v {
				if m, ok := x.(map[string]any); ok {
					list[i] = keyConfig(b.Schema, m, dir)
				}
			}
			out[b.Name] = list
		}
	}
	return out
}
