package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/ckpt-dev/ckpt/internal/state"
	"github.com/ckpt-dev/ckpt/packaging/store"
	"github.com/ckpt-dev/ckpt/pipeline/plan"
	"github.com/ckpt-dev/ckpt/pipeline/run"
	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// buildOptions are the inputs of runBuild; ckpt push reuses it with Push set.
type buildOptions struct {
	Path        string
	Spec        specFlags
	Only        []string
	Except      []string
	Parallelism int
	JSON        bool
	Store       string
	Push        bool
	PlainHTTP   bool
	KeepGoing   bool
	Cache       cacheFlags
}

// register adds the build flags (all but the spec flags) to cmd.
func (o *buildOptions) register(cmd *cobra.Command) {
	o.Spec.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&o.Parallelism, "parallelism", 0, "steps run at once (default: the number of CPUs)")
	fl.StringArrayVar(&o.Only, "only", nil, "run only this step `ADDR` (KIND.NAME) and what it needs (repeatable)")
	fl.StringArrayVar(&o.Except, "except", nil, "leave out this step `ADDR` and the steps that need it (repeatable)")
	fl.BoolVar(&o.JSON, "json", false, "print one JSON event per line")
	fl.StringVar(&o.Store, "store", "", "local OCI store `DIR` (default: SPEC_DIR/.ckpt/store)")
	fl.BoolVar(&o.KeepGoing, "keep-going", false, "after a failure, still run the steps that do not depend on it")
	o.Cache.register(cmd)
}

func newBuildCmd(stdio *IO) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [PATH]",
		Short: "Run a spec's steps in plugin processes, reusing cached results",
		Long: `Build runs the spec at PATH (default: the current folder): every step in its
plugin's process, at most --parallelism at once, each as soon as its inputs
are ready. A step whose cache key (plugin, config, input artifacts, path
fingerprints) is already in the store, or in the remote cache (--cache,
CKPT_CACHE or the spec's ckpt { cache { ref } }), is not run; a remote hit
fetches the artifact's manifest and config only, and its files when a step
that runs reads them. A step that runs is saved to the remote cache unless
--cache-readonly. Outputs go into the local OCI store (.ckpt/store), and
every build appends an entry to .ckpt/ledger.jsonl. Push steps run only
with ckpt push.

The first Ctrl-C cancels the running steps and leaves the store consistent;
a second one exits at once. Exit status: 0 built, 1 failed, 2 usage error,
130 interrupted.`,
		Example: `  ckpt build examples/quickstart
  ckpt build --only merge.support --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := specPath(args)
			if err != nil {
				return err
			}
			o.Path = path
			return runBuild(cmd.Context(), stdio, o)
		},
	}
	o.register(cmd)
	cmd.Flags().BoolVar(&o.PlainHTTP, "plain-http", false, "talk plain HTTP to the remote cache's registry (local registries)")
	return cmd
}

// runBuild loads, plans and builds a spec; ckpt build and ckpt push share it.
func runBuild(ctx context.Context, stdio *IO, o *buildOptions) error {
	if err := o.Spec.check(); err != nil {
		return err
	}
	ctx, stop := interrupts(ctx, stdio)
	defer stop()
	bc := &buildCache{o: o}
	g, files, diags, h := loadWithHost(ctx, stdio, o.Path, &o.Spec, bc.memo)
	if h != nil {
		defer h.Close()
	}
	if bc.err != nil {
		return bc.err
	}
	writeDiags(stdio, files, diags)
	if diags.HasErrors() {
		return exitCode(1, nil)
	}
	st, err := store.Open(ctx, storeDir(g.Dir, o.Store))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := state.For(g.Dir).Use(st.Root()); err != nil {
		return err
	}
	ui := newBuildUI(stdio, o.JSON)
	v := newBuildValidator(g, hostValidator{h: h, g: g}, diags)
	res, err := run.Build(ctx, g, h, st, run.Options{
		StateDir: state.For(g.Dir).Root(), Parallelism: o.Parallelism, Only: o.Only, Except: o.Except,
		Push: o.Push, Transport: transport(o.PlainHTTP), KeepGoing: o.KeepGoing, Sink: ui, Version: Version, SpecPath: o.Path,
		Validator: v, Cache: bc.steps(st), CacheReadOnly: o.Cache.readOnly,
	})
	ui.close(res)
	writeDiags(stdio, files, stepDiags(res))
	return buildExit(ctx, res, err)
}

// buildValidator validates each step right before it runs, with its final
// config and its inputs' metadata (plan.Validator), through the build's
// hostValidator. It leaves out the warnings loadGraph already printed for
// the same step and range, so that a fully known step's warning is shown
// once.
type buildValidator struct {
	g     *plan.Graph
	v     hostValidator
	shown map[string]bool
}

func newBuildValidator(g *plan.Graph, v hostValidator, shown hcl.Diagnostics) *buildValidator {
	b := &buildValidator{g: g, v: v, shown: map[string]bool{}}
	for _, d := range shown {
		b.shown[diagKey(d)] = true
	}
	return b
}

func (b *buildValidator) Validate(ctx context.Context, c plan.Component, req *specv1.ValidateRequest) ([]specv1.Diagnostic, error) {
	ds, err := b.v.Validate(ctx, c, req)
	st := b.g.Step(req.Step)
	if err != nil || st == nil {
		return ds, err
	}
	var out []specv1.Diagnostic
	for _, d := range ds {
		if d.Severity == specv1.SeverityWarning && b.shown[diagKey(st.Diagnostic(d))] {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

func diagKey(d *hcl.Diagnostic) string {
	var rng string
	if d.Subject != nil {
		rng = d.Subject.String()
	}
	return fmt.Sprintf("%d\x00%s\x00%s\x00%s", d.Severity, d.Summary, d.Detail, rng)
}

// stepDiags are the diagnostics of the build's steps' validation, in plan
// order, for stderr (file:line:col with the source line).
func stepDiags(res *run.Result) hcl.Diagnostics {
	if res == nil {
		return nil
	}
	var ds hcl.Diagnostics
	for _, s := range res.Steps {
		ds = append(ds, s.Diagnostics...)
	}
	return ds
}

// buildExit maps a build's outcome to ckpt's exit status.
func buildExit(ctx context.Context, res *run.Result, err error) error {
	switch {
	case err == nil:
		return nil
	case res == nil:
		return usageError{err} // nothing selected: --only/--except
	case ctx.Err() != nil && res.Status == run.StatusCancelled:
		return exitCode(130, errors.New("build interrupted; nothing from the interrupted steps was stored"))
	}
	return exitCode(1, err)
}

// storeDir is --store, or the spec folder's .ckpt/store.
func storeDir(specDir, flag string) string {
	if flag != "" {
		return flag
	}
	return state.For(specDir).Store()
}

// transport is the steps' registry transport for --plain-http.
func transport(plainHTTP bool) *specv1.Transport {
	if !plainHTTP {
		return nil
	}
	return &specv1.Transport{PlainHTTP: true}
}

// interrupts returns a context cancelled by the first SIGINT/SIGTERM; a
// second one exits the process at once with status 130 (plugin processes
// die with it).
func interrupts(ctx context.Context, stdio *IO) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-sig:
			}
			if n > 0 {
				fmt.Fprintln(stdio.Err, "Interrupted again: exiting now.")
				os.Exit(130)
			}
			fmt.Fprintln(stdio.Err, "Interrupted: stopping the running steps (Ctrl-C again to exit now).")
			cancel()
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}
