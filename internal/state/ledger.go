package state

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

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Entry is one build in the ledger (Dir.Ledger, one JSON object per line,
// appended under a lock).
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
	Address    string          `json:"address"`
	CacheKey   string          `json:"cache_key,omitempty"`
	Plugin     specv1.PluginID `json:"plugin"`
	Artifact   string          `json:"artifact,omitempty"`
	Cached     bool            `json:"cached,omitempty"`
	DurationMS int64           `json:"duration_ms"`
	Status     string          `json:"status"`
	Error      string          `json:"error,omitempty"`
	// ModelID is the artifact's pinned model or adapter id.
	ModelID string `json:"model_id,omitempty"`
	// BaseModels are the ids of the base models in the artifact's lineage.
	BaseModels []string `json:"base_models,omitempty"`
	// Training is the artifact's training metadata (dataset,
	// hyperparameters), for a step whose component records it
	// (specv1.RecordTraining).
	Training json.RawMessage `json:"training,omitempty"`
	// Pushed is what the step published (specv1.RecordPushed).
	Pushed *Pushed `json:"pushed,omitempty"`
}

// Pushed is a reference a publishing step wrote, with its manifest digest.
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
