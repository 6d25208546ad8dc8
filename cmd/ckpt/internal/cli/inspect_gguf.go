package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/ckpt-dev/ckpt/packaging/gguf"
)

// ggufPaths lists the GGUF files arg names: a .gguf file, or the *.gguf
// of a folder that is not an OCI layout. ok is false for anything else.
func ggufPaths(arg string) (paths []string, ok bool) {
	st, err := os.Stat(arg)
	if err != nil {
		return nil, false
	}
	if !st.IsDir() {
		return []string{arg}, strings.HasSuffix(arg, ".gguf")
	}
	if _, err := os.Stat(filepath.Join(arg, "index.json")); err == nil {
		return nil, false
	}
	paths, _ = filepath.Glob(filepath.Join(arg, "*.gguf"))
	return paths, len(paths) > 0
}

// ggufReport is what inspect prints of one GGUF file.
type ggufReport struct {
	File      string            `json:"file"`
	Version   uint32            `json:"version"`
	Alignment uint64            `json:"alignment"`
	Metadata  []ggufKV          `json:"metadata"`
	Tensors   []gguf.TensorInfo `json:"tensors"`
	kv        []gguf.KV
}

type ggufKV struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// maxArray is how many values of an array inspect shows.
const maxArray = 8

// inspectGGUF prints each file's metadata and tensor table (as gguf-dump).
func inspectGGUF(out io.Writer, paths []string, asJSON bool) error {
	var reps []ggufReport
	for _, p := range paths {
		f, err := gguf.ReadFile(p)
		if err != nil {
			return err
		}
		r := ggufReport{File: p, Version: f.Version, Alignment: f.Alignment, Tensors: f.Tensors, kv: f.KV}
		for _, kv := range f.KV {
			r.Metadata = append(r.Metadata, ggufKV{Key: kv.Key, Value: shortValue(kv.Value)})
		}
		reps = append(reps, r)
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(reps)
	}
	for _, r := range reps {
		writeGGUF(out, r)
	}
	return nil
}

// shortValue keeps the first maxArray values of an array and its length.
func shortValue(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Len() <= maxArray {
		return v
	}
	return map[string]any{"length": rv.Len(), "head": rv.Slice(0, maxArray).Interface()}
}

func writeGGUF(out io.Writer, r ggufReport) {
	fmt.Fprintf(out, "* File: %s\n  GGUF v%d, %d key/value pairs, %d tensors, alignment %d\n",
		r.File, r.Version, len(r.Metadata), len(r.Tensors), r.Alignment)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for i, kv := range r.kv {
		fmt.Fprintf(w, "  %d:\t%s\t= %s\n", i+1, kv.Key, textValue(kv.Value))
	}
	w.Flush()
	fmt.Fprintln(out, "  * Tensors:")
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "  #\telements\tshape\ttype\t name")
	for i, t := range r.Tensors {
		fmt.Fprintf(w, "  %d\t%d\t%v\t%s\t %s\n", i+1, t.Elements(), t.Shape, t.Type, t.Name)
	}
	w.Flush()
}

// textValue is a value as gguf-dump shows it: strings quoted, arrays as
// their length and first values, long text cut.
func textValue(v any) string {
	one := func(x any) string {
		if s, ok := x.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return fmt.Sprintf("%v", x)
	}
	s := one(v)
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		parts := []string{}
		for i := 0; i < rv.Len() && i < maxArray; i++ {
			parts = append(parts, one(rv.Index(i).Interface()))
		}
		if rv.Len() > maxArray {
			parts = append(parts, "...")
		}
		s = fmt.Sprintf("[%d] %s", rv.Len(), strings.Join(parts, ", "))
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
