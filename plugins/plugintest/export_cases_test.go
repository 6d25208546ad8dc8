package plugintest_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/ckpt-dev/ckpt/plugins/plugintest"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// exportCases run export "gguf" on a synthetic model.
func exportCases() []plugintest.Case {
	return []plugintest.Case{
		{Component: "export.gguf", Setup: func(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
			m := modelInput(t, dir)
			m.Attr = "from"
			return jsonOf(t, map[string]any{"from": "model.base", "name": "tiny", "types": []string{"q8_0"}}), []specv1.Input{m}
		}, Invalid: []json.RawMessage{json.RawMessage(`{"from": "model.base", "types": ["q5_x"]}`)}},
		{Component: "bundle.ollama", Setup: ggufBundle, Invalid: []json.RawMessage{json.RawMessage(`{"from": "export.tiny", "name": "tiny", "template": "{{ .Messages"}`)}},
		{Component: "bundle.docker-model", Setup: ggufBundle},
	}
}

// ggufBundle exports a synthetic model to GGUF and returns a bundle config
// over it.
func ggufBundle(t *testing.T, dir string) (json.RawMessage, []specv1.Input) {
	m := modelInput(t, dir)
	m.Attr = "from"
	ex := runStep(t, "export", "gguf", "export.tiny", jsonOf(t, map[string]any{"from": "model.base", "name": "tiny", "types": []string{"q8_0"}}),
		[]specv1.Input{m}, filepath.Join(dir, "export-out"))
	ex.Attr = "from"
	return jsonOf(t, map[string]any{"from": "export.tiny", "name": "tiny"}), []specv1.Input{ex}
}
