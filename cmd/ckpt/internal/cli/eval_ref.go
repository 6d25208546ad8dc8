package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/jsoneval"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/runner"
)

// evalTarget resolves eval run's argument: a local model folder or GGUF
// file, digested; or a bundle reference (oci:DIR[:tag|@digest] or
// host[:port]/repo[:tag|@digest]), pulled verified into scratch, whose
// manifest digest every prediction carries. It returns the target path to
// run and its digest.
func (o *evalRunOptions) evalTarget(ctx context.Context, arg, scratch string) (string, string, error) {
	if _, err := os.Stat(arg); err == nil || !looksLikeRef(arg) {
		digest, err := jsoneval.DigestTarget(arg)
		return arg, digest, err
	}
	ref, err := ckptremote.ParseRef(arg)
	if err != nil {
		return "", "", usagef("%s is neither a model folder, a GGUF file nor a bundle reference: %w", arg, err)
	}
	dir := filepath.Join(scratch, "pulled")
	opts := ckptremote.PullOptions{Options: o.Transfer.options()}
	res, err := ckptremote.Pull(ctx, ref, dir, opts)
	if err != nil {
		return "", "", err
	}
	if o.Runner.Kind != runner.KindOllama {
		return dir, res.Manifest.Digest.String(), nil
	}
	gguf, err := pulledGGUF(dir, o.Runner.File, arg)
	return gguf, res.Manifest.Digest.String(), err
}

// looksLikeRef tells a bundle reference from a mistyped local path: oci:
// or a first segment naming a host (a dot, a port or localhost).
func looksLikeRef(s string) bool {
	if strings.HasPrefix(s, ckptremote.LayoutPrefix) {
		return true
	}
	host, _, ok := strings.Cut(s, "/")
	return ok && (strings.ContainsAny(host, ".:") || host == "localhost") && !strings.HasPrefix(s, ".")
}

// pulledGGUF is the GGUF file of a pulled bundle the ollama runner loads:
// --file (a path in the bundle), or the bundle's one *.gguf file.
func pulledGGUF(dir, file, ref string) (string, error) {
	if file != "" {
		p := filepath.Join(dir, filepath.FromSlash(file))
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s has no file %s", ref, file)
		}
		return p, nil
	}
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".gguf") {
			rel, _ := filepath.Rel(dir, p)
			found = append(found, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(found)
	if len(found) != 1 {
		return "", fmt.Errorf("runner ollama: %s holds %d GGUF files %v, want one (name it with --file)", ref, len(found), found)
	}
	return filepath.Join(dir, filepath.FromSlash(found[0])), nil
}
