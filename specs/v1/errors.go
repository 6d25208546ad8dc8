package v1

// Phases of a step, for StepError.Op.
const (
	OpPrepare  = "prepare"  // resolving config and inputs, making folders
	OpValidate = "validate" // the plugin's Validate and the path checks
	OpCache    = "cache"    // computing the cache key, reading the cache
	OpRun      = "run"      // the plugin's Run
	OpStore    = "store"    // moving the output into the store, tagging it
)

// StepError is a step's failure as the scheduler reports it: the step, the
// phase that failed and the cause, which keeps its type (errors.Is and
// errors.As see through it, as through oras's CopyError). The scheduler is
// the one layer that names the step: plugins, the plugin host and the
// store leave it out of their errors. Ledger entries and JSON events carry
// the cause's message only (Err.Error()).
type StepError struct {
	Step string // the step's address, KIND.NAME
	Op   string // one of the Op constants
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }

func (e *StepError) Unwrap() error { return e.Err }
