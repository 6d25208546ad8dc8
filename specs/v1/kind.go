package v1

// Step kinds: the block types of the spec language (KIND "TYPE" "NAME").
// The core never branches on them; what a step needs from the core is in
// its component's Capabilities.
const (
	KindModel   = "model"
	KindAdapter = "adapter"
	KindDataset = "dataset"
	KindMerge   = "merge"
	KindExport  = "export"
	KindCheck   = "check"
	// KindRunner steps have a target answer prompts: their artifact is the
	// predictions (bound to the target's digest) that an eval scores.
	KindRunner = "runner"
	KindEval   = "eval"
	KindBundle = "bundle"
	KindPush   = "push"
)

// Kinds returns every step kind, in the order the spec language lists them.
func Kinds() []string {
	return []string{KindModel, KindAdapter, KindDataset, KindMerge, KindExport, KindRunner, KindCheck, KindEval, KindBundle, KindPush}
}

// Capabilities are what a step needs from the core beyond running it. A
// component declares them; the scheduler reads them and never the kind.
// The zero value is an ordinary step: cached by its key, run by ckpt build,
// its path attributes read, gated by nothing.
type Capabilities struct {
	// Publishes marks a step that sends its input outside ckpt (a push): it
	// is never cached, runs only under ckpt push (and so do the steps that
	// depend on it), and its TypePath attributes are written, not read (no
	// "Path not found" check).
	Publishes bool `json:"publishes,omitempty"`
	// Gate names the TypeStep attribute holding the step this step judges
	// (e.g. "target" for a check or eval). A gate must pass before every
	// Gated step that depends on the judged step, unless the gate itself
	// depends on that Gated step. The planner adds these edges (Attr "gate").
	Gate string `json:"gate,omitempty"`
	// Gated marks a step that waits for the gates upstream of it (a bundle).
	Gated bool `json:"gated,omitempty"`
	// Baseline names a string attribute: when its value is BaselinePrevious,
	// the step gets one more input, Attr "baseline", its own artifact from
	// the latest build of the same spec in which it succeeded. The baseline
	// is not part of the cache key.
	Baseline string `json:"baseline,omitempty"`
	// Records lists what the ledger keeps of the step's metadata besides
	// what it keeps for every step (model id, base models): RecordTraining,
	// RecordPushed.
	Records []string `json:"records,omitempty"`
	// RemoteInputs marks a step that can read its inputs' files from the
	// remote cache (a push sends them from there, or has the registry mount
	// them): the engine does not download an input's blobs that only the
	// cache holds, materializes the files the local store has, and lists the
	// others in Input.Remote.
	RemoteInputs bool `json:"remote_inputs,omitempty"`
}

// BaselinePrevious is the value of a Baseline attribute that asks for the
// step's previous successful artifact from the ledger.
const BaselinePrevious = "ledger:previous"

// What a ledger entry may record of a step (Capabilities.Records).
const (
	// RecordTraining records Metadata.Training (an adapter's dataset and
	// hyperparameters).
	RecordTraining = "training"
	// RecordPushed records Metadata.Outputs "ref" and "digest": what the
	// step published, and where.
	RecordPushed = "pushed"
)

// Recorded reports whether c.Records lists what.
func (c Capabilities) Recorded(what string) bool {
	for _, r := range c.Records {
		if r == what {
			return true
		}
	}
	return false
}
