package mistral

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Format is a checkpoint layout.
type Format string

// Layouts, spelled as in artifact metadata.
const (
	FormatNative Format = "mistral"
	FormatHF     Format = "hf"
)

// Layout errors.
var (
	ErrMixedLayout = errors.New("folder mixes native consolidated*.safetensors and HF model*.safetensors weights")
	ErrNoLayout    = errors.New("folder has neither params.json + consolidated*.safetensors (native) nor config.json + model*.safetensors (HF)")
)

// Layout is what DetectLayout found in a checkpoint folder.
type Layout struct {
	Format Format
	// Config is params.json (native) or config.json (HF).
	Config string
	// Weights are the safetensors files, sorted.
	Weights []string
	// Index is the *.safetensors.index.json file, if any.
	Index string
}

var (
	nativeWeights = regexp.MustCompile(`^consolidated(-\d+-of-\d+)?\.safetensors$`)
	hfWeights     = regexp.MustCompile(`^model(-\d+-of-\d+)?\.safetensors$`)
)

// DetectLayout reads dir's file names: native is params.json +
// consolidated*.safetensors, HF is config.json + model*.safetensors; a
// folder holding both kinds of weights is an error (vLLM loads the wrong
// one), as is one holding neither.
func DetectLayout(dir string) (*Layout, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var native, hf []string
	has := map[string]bool{}
	for _, e := range ents {
		n := e.Name()
		has[n] = true
		switch {
		case nativeWeights.MatchString(n):
			native = append(native, n)
		case hfWeights.MatchString(n):
			hf = append(hf, n)
		}
	}
	sort.Strings(native)
	sort.Strings(hf)
	switch {
	case len(native) > 0 && len(hf) > 0:
		return nil, fmt.Errorf("%s: %w: %s and %s", dir, ErrMixedLayout, strings.Join(native, ", "), strings.Join(hf, ", "))
	case len(native) > 0 && has["params.json"]:
		return layout(dir, FormatNative, "params.json", native, "consolidated.safetensors.index.json", has), nil
	case len(hf) > 0 && has["config.json"]:
		return layout(dir, FormatHF, "config.json", hf, "model.safetensors.index.json", has), nil
	case len(native) > 0:
		return nil, fmt.Errorf("%s: %w: %s without params.json", dir, ErrNoLayout, native[0])
	case len(hf) > 0:
		return nil, fmt.Errorf("%s: %w: %s without config.json", dir, ErrNoLayout, hf[0])
	}
	return nil, fmt.Errorf("%s: %w", dir, ErrNoLayout)
}

func layout(dir string, f Format, cfg string, weights []string, index string, has map[string]bool) *Layout {
	l := &Layout{Format: f, Config: filepath.Join(dir, cfg)}
	for _, w := range weights {
		l.Weights = append(l.Weights, filepath.Join(dir, w))
	}
	if has[index] {
		l.Index = filepath.Join(dir, index)
	}
	return l
}

// IsWeightFile reports whether a file name is a weight file or index of
// either layout (what a merge rewrites rather than copies).
func IsWeightFile(name string) bool {
	return nativeWeights.MatchString(name) || hfWeights.MatchString(name) ||
		strings.HasSuffix(name, ".safetensors.index.json")
}
