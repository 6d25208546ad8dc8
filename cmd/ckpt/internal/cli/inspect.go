package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
)

func newInspectCmd(stdio *IO) *cobra.Command {
	var tf transferFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect REF | inspect FILE.gguf|DIR",
		Short: "Show a model artifact's files, config, lineage, license and referrers",
		Long: `Inspect reads the manifest and config of REF (a registry reference or
oci:DIR[:tag|@digest], or a layout folder) and lists its files with sizes
and media types, the model config, lineage, license and the referrers
attached to it (license report, provenance, signatures). It reads CNCF
ModelPack (also the legacy cnai names), KitOps ModelKits and Docker model
artifacts as well as ckpt's bundles. Given a .gguf file, or a folder of
them, it prints each file's metadata and tensor table, as gguf-dump does.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return inspectRun(cmd, stdio, args[0], tf, asJSON) },
	}
	tf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func inspectRun(cmd *cobra.Command, stdio *IO, arg string, tf transferFlags, asJSON bool) error {
	if paths, ok := ggufPaths(arg); ok {
		return inspectGGUF(stdio.Out, paths, asJSON)
	}
	ref, err := unpackRef(arg)
	if err != nil {
		return usagef("%w", err)
	}
	rep, err := ckptremote.Inspect(cmd.Context(), ref, tf.options())
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintln(stdio.Err, "Warning:", w)
	}
	if asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeInspect(stdio.Out, rep)
}

func writeInspect(out io.Writer, r *ckptremote.Report) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Reference:\t%s\n", r.Ref)
	fmt.Fprintf(w, "Digest:\t%s\n", r.Digest)
	fmt.Fprintf(w, "Format:\t%s\t%s\n", r.Format, r.ArtifactType)
	license := r.License
	if license == "" {
		license = "(none)"
	}
	fmt.Fprintf(w, "License:\t%s\n", license)
	if r.Subject != "" {
		fmt.Fprintf(w, "Subject:\t%s\n", r.Subject)
	}
	if len(r.Lineage) > 0 {
		fmt.Fprintln(w, "Lineage:")
		for _, l := range r.Lineage {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", l.Role, l.ID, l.License, l.Digest)
		}
	}
	var total int64
	fmt.Fprintln(w, "Files:")
	for _, f := range r.Files {
		total += f.Size
		name := f.Path
		if name == "" {
			name = "(unnamed " + f.Kind + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", name, humanBytes(f.Size), f.MediaType)
	}
	fmt.Fprintf(w, "  %d files\t%s\t\n", len(r.Files), humanBytes(total))
	if len(r.Config) > 0 {
		fmt.Fprintf(w, "Config:\t%s\n", r.Config)
	}
	if len(r.Referrers) > 0 {
		fmt.Fprintln(w, "Referrers:")
		for _, rf := range r.Referrers {
			fmt.Fprintf(w, "  %s\t%s\t%v\n", rf.ArtifactType, shortDigest(rf.Digest), rf.Files)
		}
	}
	return w.Flush()
}
