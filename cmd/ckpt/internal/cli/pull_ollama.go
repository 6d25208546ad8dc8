package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/packaging/ollama"
	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

// pullArgs is REF DIR, or REF [MODELS_DIR] with --ollama.
func pullArgs(toOllama *bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if *toOllama {
			if len(args) < 1 || len(args) > 2 {
				return usagef("pull REF --ollama [MODELS_DIR]: want 1 or 2 arguments, got %d", len(args))
			}
			return nil
		}
		return exactArgs(2)(cmd, args)
	}
}

// ollamaModels is the models folder: args[1], else $OLLAMA_MODELS, else
// ~/.ollama/models (as Ollama).
func ollamaModels(args []string) (string, error) {
	if len(args) == 2 {
		return args[1], nil
	}
	if d := os.Getenv("OLLAMA_MODELS"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("ollama models folder: %w", err)
	}
	return filepath.Join(home, ".ollama", "models"), nil
}

// runPullOllama installs the Ollama bundle ref into an Ollama models
// folder with ckpt's registry credentials.
func runPullOllama(cmd *cobra.Command, stdio *IO, ref ckptremote.Ref, args []string, tf transferFlags) error {
	if ref.IsLayout() {
		return usagef("--ollama pulls from a registry, not a layout folder")
	}
	dir, err := ollamaModels(args)
	if err != nil {
		return err
	}
	name, err := ollama.ParseName(ref.Repository, ref.Reference)
	if err != nil {
		return usagef("%w", err)
	}
	repo, err := ckptremote.Repository(cmd.Context(), ref, tf.options())
	if err != nil {
		return err
	}
	reference := ref.Reference
	if reference == "" {
		reference = name.Tag
	}
	d, err := ollama.Install(cmd.Context(), repo, reference, name, dir)
	if errors.Is(err, ollama.ErrNotOllama) {
		return fmt.Errorf("%w (pull it without --ollama)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, name)
	fmt.Fprintf(stdio.Err, "Installed %s (%s) into %s\n", name, d.Digest, dir)
	return nil
}
