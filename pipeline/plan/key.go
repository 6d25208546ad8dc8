package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
