package modelpack

import (
	"encoding/json"
	"strings"
)

// kitEntry is what ckpt reads of one Kitfile entry (KitOps
// pkg/artifact/kitfile.go): its path and the digest of its layer.
type kitEntry struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
}

// kitConfig is the part of a KitOps config (the Kitfile as JSON) that
// names layers.
type kitConfig struct {
	Model *struct {
		kitEntry
		Parts []kitEntry `json:"parts"`
	} `json:"model"`
	Code     []kitEntry `json:"code"`
	Datasets []kitEntry `json:"datasets"`
	Docs     []kitEntry `json:"docs"`
}

// nameKitLayers names KitOps layers from the Kitfile: a layer's entry is
// the one whose digest it has, else (ModelKits packed without digests)
// the next entry of its type, in layer order, as kit unpack does.
func nameKitLayers(files []FileInfo, cfg []byte) {
	var c kitConfig
	if len(cfg) == 0 || json.Unmarshal(cfg, &c) != nil {
		return
	}
	byType := map[string][]kitEntry{"code": c.Code, "dataset": c.Datasets, "docs": c.Docs}
	if c.Model != nil {
		byType["model"] = []kitEntry{c.Model.kitEntry}
		byType["modelpart"] = c.Model.Parts
	}
	byDigest := map[string]string{}
	for _, es := range byType {
		for _, e := range es {
			if e.Digest != "" {
				byDigest[e.Digest] = e.Path
			}
		}
	}
	next := map[string]int{}
	for i := range files {
		f := &files[i]
		kind, _, _ := strings.Cut(f.Kind, ".")
		es, n := byType[kind], next[kind]
		next[kind] = n + 1
		switch {
		case f.Path != "":
		case byDigest[f.Layer.Digest.String()] != "":
			f.Name = byDigest[f.Layer.Digest.String()]
		case n < len(es):
			f.Name = es[n].Path
		}
	}
}
