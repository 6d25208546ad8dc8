package modelpack

import (
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const ollamaLayerPrefix = "application/vnd.ollama.image."

// ollamaNames are the file names of Ollama's layer roles; any other role
// is its own name.
var ollamaNames = map[string]string{"model": "model.gguf", "adapter": "adapter.gguf", "projector": "projector.gguf",
	"params": "params.json", "messages": "messages.json", "license": "LICENSE"}

// isOllama tells an Ollama manifest: a layer of an Ollama media type.
func isOllama(m ocispec.Manifest) bool {
	for _, l := range m.Layers {
		if strings.HasPrefix(l.MediaType, ollamaLayerPrefix) {
			return true
		}
	}
	return false
}

// nameOllamaLayers names Ollama's layers, which carry no file names, by
// their role (model.gguf, adapter.gguf, template, system, params.json,
// LICENSE); a second layer of a role gets "-2" and so on before the
// extension (LICENSE-2).
func nameOllamaLayers(files []FileInfo) {
	seen := map[string]int{}
	for i := range files {
		role, ok := strings.CutPrefix(files[i].Layer.MediaType, ollamaLayerPrefix)
		if !ok || role == "" {
			continue
		}
		name := role
		if n, ok := ollamaNames[role]; ok {
			name = n
		}
		if seen[role]++; seen[role] > 1 {
			stem, ext, _ := strings.Cut(name, ".")
			name = stem + "-" + strconv.Itoa(seen[role])
			if ext != "" {
				name += "." + ext
			}
		}
		files[i].Path, files[i].Kind = name, role
	}
}
