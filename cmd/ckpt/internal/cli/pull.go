package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

// transferFlags are shared by push, pull, unpack and inspect.
type transferFlags struct {
	plainHTTP   bool
	concurrency int
}

func (f *transferFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.plainHTTP, "plain-http", false, "talk plain HTTP to the registry (local registries)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 0, "blobs or byte ranges moved at once (default 3)")
}

// options returns the transfer options without progress.
func (f *transferFlags) options() ckptremote.Options {
	return ckptremote.Options{PlainHTTP: f.plainHTTP, Concurrency: f.concurrency, UserAgent: "ckpt/" + Version}
}

// transfer returns the transfer options with progress shown by a
// transferUI; verb names a finished blob ("sent", "pulled"). The caller
// closes the UI when the transfer returns.
func (f *transferFlags) transfer(stdio *IO, verb string) (ckptremote.Options, *transferUI) {
	ui := newTransferUI(stdio, verb)
	o := f.options()
	o.Progress = ui.event
	return o, ui
}

func newPullCmd(stdio *IO) *cobra.Command {
	var tf transferFlags
	var include []string
	var toOllama bool
	cmd := &cobra.Command{
		Use:   "pull REF DIR | pull REF --ollama [MODELS_DIR]",
		Short: "Download a model artifact's files into a folder",
		Long: `Pull writes the files of the model artifact REF into DIR, each under the
path its layer names (org.cncf.model.filepath, else the title). REF is a
registry reference host[:port]/repo[:tag|@digest] or an OCI layout folder
oci:DIR[:tag|@digest]. ModelPack, KitOps and Docker model artifacts are
read, and ckpt's own codecs decoded.

Every blob is verified against its digest; layers whose path is absolute,
contains "..", or leaves DIR through a link are refused before anything is
written. Large blobs are fetched in parallel byte ranges where the registry
allows; an interrupted pull keeps DIR/.ckpt-partial and resumes from it.

With --ollama, REF is an Ollama bundle (bundle "ollama"): its blobs are
verified into MODELS_DIR/blobs and its manifest written to
MODELS_DIR/manifests/<host>/<namespace>/<model>/<tag>, with the registry
credentials ckpt uses everywhere (Docker config, credential helpers), so
that Ollama runs a model from a registry its own pull cannot read.`,
		Example: `  ckpt pull localhost:5000/models/support:v1 ./support --plain-http
  ckpt pull registry.example.com/models/support:v1 ./cfg --include '*.json' --include tekken.json
  ckpt pull registry.example.com/models/support:v1 --ollama`,
		Args: pullArgs(&toOllama),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := ckptremote.ParseRef(args[0])
			if err != nil {
				return usagef("%w", err)
			}
			if toOllama {
				return runPullOllama(cmd, stdio, ref, args, tf)
			}
			return runPull(cmd, stdio, ref, args[1], include, tf)
		},
	}
	tf.register(cmd)
	cmd.Flags().BoolVar(&toOllama, "ollama", false, "install an Ollama bundle into an Ollama models folder (default $OLLAMA_MODELS or ~/.ollama/models)")
	cmd.Flags().StringArrayVar(&include, "include", nil, "pull only files matching this glob (repeatable; a glob without / matches base names)")
	return cmd
}

func runPull(cmd *cobra.Command, stdio *IO, ref ckptremote.Ref, dir string, include []string, tf transferFlags) error {
	for _, g := range include {
		if _, err := pathMatchCheck(g); err != nil {
			return usagef("--include %q: %w", g, err)
		}
	}
	opts, ui := tf.transfer(stdio, "pulled")
	res, err := ckptremote.Pull(cmd.Context(), ref, dir, ckptremote.PullOptions{Options: opts, Include: include})
	ui.close()
	if err != nil {
		return err
	}
	for _, f := range res.Files {
		fmt.Fprintln(stdio.Out, f)
	}
	fmt.Fprintf(stdio.Err, "Pulled %d files of %s (%s) into %s\n", len(res.Files), ref, res.Manifest.Digest, dir)
	if len(include) > 0 && len(res.Files) == 0 {
		return fmt.Errorf("no file of %s matches --include %s", ref, strings.Join(include, ", "))
	}
	return nil
}

// exactArgs is cobra.ExactArgs reported as a usage error (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
