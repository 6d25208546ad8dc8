package run

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/ckpt-dev/ckpt/pipeline/plan"
)

// Redacted replaces a sensitive variable's value in the ledger and in
// provenance.
const Redacted = "(sensitive)"

// Entry is one build in the ledger (.ckpt/ledger.jsonl, one JSON object per
// line, appended under a lock).
type Entry struct {
	// N is the entry's 1-based position in the ledger.
	N           int                        `json:"n"`
	Time        time.Time                  `json:"time"`
	CkptVersion string                     `json:"ckpt_version"`
	Spec        SpecRef                    `json:"spec"`
	Variables   map[string]json.RawMessage `json:"variables,omitempty"`
	Status      string                     `json:"status"`
	DurationMS  int64                      `json:"duration_ms"`
	Steps       []LedgerStep               `json:"steps"`
}

// SpecRef names the spec a build ran.
type SpecRef struct {
	Path   string `json:"path,omitempty"`
	Dir    string `json:"dir"`
	Digest string `json:"digest"`
}

// LedgerStep is one step of a build in the ledger.
type LedgerStep struct {
	Address    string        `json:"address"`
	CacheKey   string        `json:"cache_key,omitempty"`
	Plugin     plan.PluginID `json:"plugin"`
	Artifact   string        `json:"artifact,omitempty"`
	Cached     bool          `json:"cached,omitempty"`
	DurationMS int64         `json:"duration_ms"`
	Status     string        `json:"status"`
	Error      string        `json:"error,omitempty"`
	// ModelID is the artifact's pinned model or adapter id.
	ModelID string `json:"model_id,omitempty"`
	// BaseModels are the ids of the base models in the artifact's lineage.
	BaseModels []string `json:"base_models,omitempty"`
	// Training is an adapter's training metadata (dataset, hyperparameters).
	Training json.RawMessage `json:"training,omitempty"`
	// Pushed is what a push step sent to a registry.
	Pushed *Pushed `json:"pushed,omitempty"`
}

// Pushed is a reference a push step wrote, with its manifest digest.
type Pushed struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
}

// AppendLedger appends e to the ledger at path under a file lock, setting
// e.N, and returns it.
func AppendLedger(ctx context.Context, path string, e *Entry) (int, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("ledger %s: %w", path, err)
	}
	lock := flock.New(path + ".lock")
	if ok, err := lock.TryLockContext(ctx, 5*time.Millisecond); err != nil || !ok {
		return 0, fmt.Errorf("ledger %s: lock: %w", path, errors.Join(err, ctx.Err()))
	}
	defer lock.Unlock()
	n, err := countLines(path)
	if err != nil {
		return 0, err
	}
	e.N = n + 1
	b, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("ledger %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("ledger %s: %w", path, err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("ledger %s: %w", path, err)
	}
	return e.N, nil
}

func countLines(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger %s: %w", path, err)
	}
	return bytes.Count(b, []byte("\n")), nil
}

// ReadLedger returns every entry of the ledger at path, oldest first; a
// missing ledger has none. A line that is not an entry is an error naming
// the line.
func ReadLedger(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	return ParseLedger(b, path)
}

// ParseLedger parses ledger bytes; name is used in errors.
func ParseLedger(b []byte, name string) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("ledger %s:%d: %w", name, line, err)
		}
		e.N = line
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("ledger %s: %w", name, err)
	}
	return out, nil
}

// lastSucceeded returns the artifact digest of step addr in the latest
// entry for spec folder dir where the step succeeded, or "".
func lastSucceeded(entries []Entry, dir, addr string) string {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Spec.Dir != dir {
			continue
		}
		for _, s := range entries[i].Steps {
			if s.Address == addr && (s.Status == StatusOK || s.Status == StatusCached) && s.Artifact != "" {
				return s.Artifact
			}
		}
	}
	return ""
}

// entryFor builds the ledger entry of a finished build.
func entryFor(g *plan.Graph, o Options, res *Result) *Entry {
	e := &Entry{Time: res.Started.UTC(), CkptVersion: o.Version,
		Spec:   SpecRef{Path: o.SpecPath, Dir: g.Dir, Digest: g.Digest},
		Status: res.Status, DurationMS: res.Duration.Milliseconds(), Variables: ledgerVariables(g)}
	for _, r := range res.Steps {
		e.Steps = append(e.Steps, ledgerStep(r))
	}
	return e
}

func ledgerVariables(g *plan.Graph) map[string]json.RawMessage {
	if len(g.Variables) == 0 {
		return nil
	}
	out := map[string]json.RawMessage{}
	for _, v := range g.Variables {
		if v.Sensitive {
			out[v.Name] = json.RawMessage(`"` + Redacted + `"`)
			continue
		}
		out[v.Name] = v.Value
	}
	return out
}

func ledgerStep(r *StepResult) LedgerStep {
	s := LedgerStep{Address: r.Address, CacheKey: r.CacheKey, Plugin: r.Plugin, Artifact: r.Artifact,
		Cached: r.Cached, DurationMS: r.Duration.Milliseconds(), Status: r.Status, Error: r.Error}
	m := r.Metadata
	if m == nil {
		return s
	}
	s.ModelID = m.ID
	for _, l := range m.Lineage {
		if l.Role == "base" && l.ID != "" {
			s.BaseModels = append(s.BaseModels, l.ID)
		}
	}
	if r.Kind == "adapter" {
		s.Training = m.Training
	}
	if ref := m.Outputs["ref"]; r.Kind == "push" && ref != "" {
		s.Pushed = &Pushed{Ref: ref, Digest: m.Outputs["digest"]}
	}
	return s
}
