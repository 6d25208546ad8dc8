package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(stdio *IO) *cobra.Command {
	var f specFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "validate [PATH]",
		Short: "Check a spec (a folder of *.ckpt.hcl files, or one file) without running anything",
		Long: `Validate loads the spec at PATH (default: the current folder), decodes every
step with its plugin's schema, builds the plan and asks each step's plugin
to check its configuration (every step whose configuration does not depend
on outputs of other steps), reporting every problem with its source
location. It runs no step. Exit status: 0 valid (warnings
allowed), 1 invalid, 2 usage error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := specPath(args)
			if err != nil {
				return err
			}
			if err := f.check(); err != nil {
				return err
			}
			_, files, diags := loadGraph(cmd.Context(), stdio, path, &f)
			errs, warns := countDiags(diags)
			if asJSON {
				enc := json.NewEncoder(stdio.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(validateJSON{Valid: errs == 0, ErrorCount: errs,
					WarningCount: warns, Diagnostics: toJSONDiags(files, diags)}); err != nil {
					return err
				}
			} else {
				writeDiags(stdio, files, diags)
				if errs == 0 {
					fmt.Fprintf(stdio.Out, "The spec is valid (%d warnings).\n", warns)
				}
			}
			if errs > 0 {
				return exitCode(1, nil)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// validateJSON is the output of validate --json.
type validateJSON struct {
	Valid        bool             `json:"valid"`
	ErrorCount   int              `json:"error_count"`
	WarningCount int              `json:"warning_count"`
	Diagnostics  []jsonDiagnostic `json:"diagnostics"`
}
