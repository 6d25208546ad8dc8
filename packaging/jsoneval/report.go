package jsoneval

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names written into the output folder.
const (
	ReportFile    = "eval-report.json"
	HardCasesFile = "hard-cases.jsonl"
)

// ReportVersion is the version of the eval-report.json layout.
const ReportVersion = 1

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Report is eval-report.json.
type Report struct {
	Version int `json:"version"`
	// Predictions is the file name (not the path) of the predictions and
	// PredictionsDigest its sha256.
	Predictions       string `json:"predictions"`
	PredictionsDigest string `json:"predictions_digest"`
	// Target is the digest every prediction carries: the model judged.
	Target string `json:"target,omitempty"`
	// Generation says how the predictions were produced, when ckpt ran
	// the target itself (prompts and a runner).
	Generation *Generation     `json:"generation,omitempty"`
	Schema     string          `json:"schema,omitempty"`
	Extract    Extract         `json:"extract"`
	Metrics    Metrics         `json:"metrics"`
	Thresholds Thresholds      `json:"thresholds"`
	Baseline   *BaselineResult `json:"baseline,omitempty"`
	Verdict    string          `json:"verdict"`
	Failures   []GateFailure   `json:"failures,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
	Clusters   Clusters        `json:"clusters"`
	// HardCases is the number of lines in hard-cases.jsonl.
	HardCases int `json:"hard_cases"`
}

// ReadReport reads an eval report; path may be the report file or a folder
// holding eval-report.json.
func ReadReport(path string) (*Report, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, ReportFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("eval report %s: %w", path, err)
	}
	if r.Version != ReportVersion {
		return nil, fmt.Errorf("eval report %s: version %d, want %d", path, r.Version, ReportVersion)
	}
	if r.Metrics.Total == 0 {
		return nil, fmt.Errorf("eval report %s: %w", path, errors.New("no metrics (total is 0)"))
	}
	return &r, nil
}

// writeJSON writes v indented with a final newline.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %w", err)
	}
	return nil
}
