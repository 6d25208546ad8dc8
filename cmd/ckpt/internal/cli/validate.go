package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/plugins/builtin"
	"github.com/ckpt-dev/ckpt/plugins/host"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
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

// stepValidator runs plugins' Validate for plan.Graph.Validate: built-in
// components in process (no plugin process starts), external plugins in
// their processes, through a host started on first need.
type stepValidator struct {
	dir    string
	stderr io.Writer

	builtin *sdk.Plugin
	host    *host.Host
}

func (v *stepValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	if c.Plugin.Name == builtin.Name {
		return v.validateBuiltin(ctx, c, req)
	}
	if v.host == nil {
		h, err := host.New(host.Options{Dir: v.dir, Version: Version, Stderr: v.stderr})
		if err != nil {
			return nil, err
		}
		v.host = h
	}
	return v.host.Validate(ctx, c.Plugin.Name, req)
}

// validateBuiltin calls a built-in component's Validate; a panic in it is
// an error naming the step, not a crash of ckpt.
func (v *stepValidator) validateBuiltin(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) (ds []specv1.Diagnostic, err error) {
	if v.builtin == nil {
		v.builtin = builtin.Plugin(Version)
	}
	comp := v.builtin.Component(c.Kind, c.Type)
	if comp == nil {
		return nil, fmt.Errorf("no built-in component %s", c.Address())
	}
	defer func() {
		if r := recover(); r != nil {
			ds, err = nil, fmt.Errorf("built-in %s panicked validating %s: %v", c.Address(), req.Step, r)
		}
	}()
	return comp.Validate(ctx, req), nil
}

// close stops the external plugin processes validation started.
func (v *stepValidator) close() {
	if v.host != nil {
		v.host.Close()
	}
}
