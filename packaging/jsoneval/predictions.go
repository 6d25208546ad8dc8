package jsoneval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxLine bounds one JSONL line (a prediction with its input and output).
const maxLine = 64 << 20

// Prediction is one line of a predictions file.
type Prediction struct {
	// Line is the 1-based line number in the file.
	Line int
	ID   string
	// Output is the model's text, classified as is.
	Output string
	// Input is the prompt (any JSON value; usually a string).
	Input json.RawMessage
	// Expected is the reference answer, absent when nil.
	Expected json.RawMessage
	Tags     []string
	// TargetDigest is the digest of the model that produced Output.
	TargetDigest string
	// PromptTokens is the input's length in the model's tokens as the
	// runtime counted it (0: unknown); TemplateVersion the digest of the
	// chat template that rendered the input.
	PromptTokens    int
	TemplateVersion string
	// Messages is the chat the input was rendered from, when known.
	Messages json.RawMessage
}

// InputLen is the length of the input in characters (a string input) or in
// bytes of JSON (any other value); -1 when there is no input.
func (p *Prediction) InputLen() int {
	if len(p.Input) == 0 || string(p.Input) == "null" {
		return -1
	}
	var s string
	if json.Unmarshal(p.Input, &s) == nil {
		return utf8.RuneCountInString(s)
	}
	return len(p.Input)
}

type rawPrediction struct {
	ID       json.RawMessage `json:"id"`
	Output   *string         `json:"output"`
	Input    json.RawMessage `json:"input"`
	Expected json.RawMessage `json:"expected"`
	Tags     []string        `json:"tags"`
	Target   string          `json:"target_digest"`
	Tokens   int             `json:"prompt_tokens"`
	Template string          `json:"template_version"`
	Messages json.RawMessage `json:"messages"`
}

// PredictionReader reads a predictions JSONL stream line by line. Blank
// lines are skipped.
type PredictionReader struct {
	r    *bufio.Reader
	name string
	line int
}

// NewPredictionReader reads r; name (the file name) prefixes every error.
func NewPredictionReader(r io.Reader, name string) *PredictionReader {
	return &PredictionReader{r: newLineReader(r), name: name}
}

func newLineReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }

// eachLine calls fn with every non-blank line of a JSONL stream and its
// 1-based number; an error of fn is prefixed with name:line.
func eachLine(r io.Reader, name string, fn func(line int, b []byte) error) error {
	pr := &PredictionReader{r: newLineReader(r), name: name}
	for {
		b, err := pr.readLine()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		pr.line++
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if err := fn(pr.line, b); err != nil {
			return fmt.Errorf("%s:%d: %w", name, pr.line, err)
		}
	}
}

// Next returns the next prediction, or io.EOF.
func (pr *PredictionReader) Next() (*Prediction, error) {
	for {
		b, err := pr.readLine()
		if err != nil {
			return nil, err
		}
		pr.line++
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		p, err := parsePrediction(b)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", pr.name, pr.line, err)
		}
		p.Line = pr.line
		if p.ID == "" {
			p.ID = fmt.Sprintf("line-%d", pr.line)
		}
		return p, nil
	}
}

func (pr *PredictionReader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := pr.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", pr.name, pr.line+1, maxLine)
		}
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return buf, nil
		case errors.Is(err, io.EOF):
			return nil, io.EOF
		default:
			return nil, fmt.Errorf("%s: %w", pr.name, err)
		}
	}
}

func parsePrediction(b []byte) (*Prediction, error) {
	var raw rawPrediction
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object with id, output, input, expected, tags: %w", err)
	}
	if raw.Output == nil {
		return nil, errors.New(`no "output" string`)
	}
	p := &Prediction{Output: *raw.Output, Input: raw.Input, Tags: raw.Tags, TargetDigest: raw.Target,
		PromptTokens: raw.Tokens, TemplateVersion: raw.Template, Messages: raw.Messages}
	if len(raw.ID) > 0 && string(raw.ID) != "null" {
		var s string
		if json.Unmarshal(raw.ID, &s) == nil {
			p.ID = s
		} else {
			p.ID = string(raw.ID)
		}
	}
	if len(raw.Expected) > 0 && string(raw.Expected) != "null" {
		p.Expected = raw.Expected
	}
	return p, nil
}

// decodeExpected decodes an expected value with numbers as json.Number.
func decodeExpected(b json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
