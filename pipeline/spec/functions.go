package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions a spec may call, each limited and
// charging m (see limited), and the guard functions. File functions
// resolve relative paths against dir, the spec folder.
func functions(dir string, m *meter) map[string]function.Function {
	fs := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"log": stdlib.LogFunc, "max": stdlib.MaxFunc, "min": stdlib.MinFunc, "pow": stdlib.PowFunc,
		"signum": stdlib.SignumFunc, "parseint": stdlib.ParseIntFunc,
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc,
		"upper": stdlib.UpperFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"replace": stdlib.ReplaceFunc, "split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc,
		"strrev": stdlib.ReverseFunc, "substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc,
		"trim": stdlib.TrimFunc, "trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimspace": stdlib.TrimSpaceFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"index": stdlib.IndexFunc, "keys": stdlib.KeysFunc, "length": lengthFunc(),
		"lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
		"setunion": stdlib.SetUnionFunc, "slice": stdlib.SliceFunc, "sort": stdlib.SortFunc,
		"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		"tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)), "toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
		"sha256":   stringFunc(func(s string) (cty.Value, error) { return cty.StringVal(sha256Hex([]byte(s))), nil }),
		"basename": stringFunc(func(s string) (cty.Value, error) { return cty.StringVal(filepath.Base(s)), nil }),
		"dirname":  stringFunc(func(s string) (cty.Value, error) { return cty.StringVal(filepath.Dir(s)), nil }),
	}
	fs["abspath"] = stringFunc(func(p string) (cty.Value, error) { return cty.StringVal(resolve(dir, p)), nil })
	fs["file"] = stringFunc(func(p string) (cty.Value, error) { return readText(resolve(dir, p)) })
	fs["filesha256"] = stringFunc(func(p string) (cty.Value, error) { return hashFile(resolve(dir, p)) })
	fs["fileexists"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			st, err := os.Stat(resolve(dir, args[0].AsString()))
			return cty.BoolVal(err == nil && st.Mode().IsRegular()), nil
		},
	})
	for name, f := range fs {
		if name != "try" && name != "can" {
			fs[name] = limited(name, f, precheckFor(name), m)
		}
	}
	maps.Copy(fs, guardFunctions(m))
	maps.Copy(fs, sensitiveFunctions())
	return fs
}

// stringFunc is a function of one string returning a value of f's type.
func stringFunc(f func(string) (cty.Value, error)) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return f(args[0].AsString()) },
	})
}

// resolve makes p absolute against dir.
func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// maxFileSize bounds what file() reads into memory.
const maxFileSize = 16 << 20

func readText(path string) (cty.Value, error) {
	f, err := openRegular(path)
	if err != nil {
		return cty.NilVal, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return cty.NilVal, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxFileSize {
		return cty.NilVal, fmt.Errorf("%s is larger than %d MiB; use filesha256 to refer to large files", path, maxFileSize>>20)
	}
	if !utf8.Valid(b) {
		return cty.NilVal, fmt.Errorf("%s is not UTF-8 text; use filesha256 for binary files", path)
	}
	return cty.StringVal(string(b)), nil
}

func hashFile(path string) (cty.Value, error) {
	f, err := openRegular(path)
	if err != nil {
		return cty.NilVal, fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return cty.NilVal, fmt.Errorf("hash %s: %w", path, err)
	}
	return cty.StringVal(hex.EncodeToString(h.Sum(nil))), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// lengthFunc is length() of a collection or, as in Terraform, of a string
// (in characters).
func lengthFunc() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true}},
		Type:   function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if args[0].Type() == cty.String {
				return stdlib.Strlen(args[0])
			}
			return stdlib.Length(args[0])
		},
	})
}

// openRegular opens a regular file; devices, pipes and folders are refused
// so that a spec cannot make ckpt read forever.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return os.Open(path)
}
