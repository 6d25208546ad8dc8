package jsoneval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// DatasetStats counts what ToDataset wrote and skipped.
type DatasetStats struct {
	Written int `json:"written"`
	// NoExpected are hard cases without an expected answer to train on;
	// NoMessages those whose prediction row did not carry its chat.
	NoExpected int `json:"no_expected"`
	NoMessages int `json:"no_messages"`
}

// ToDataset turns hard cases (hard-cases.jsonl) into chat training rows:
// the prompt's messages followed by the expected answer as the assistant's
// message (compact JSON, or the string itself). Cases without an expected
// answer or without their messages are skipped and counted.
func ToDataset(in io.Reader, name string, out io.Writer) (DatasetStats, error) {
	var st DatasetStats
	w := bufio.NewWriter(out)
	err := eachLine(in, name, func(_ int, b []byte) error {
		row, err := datasetRow(b, &st)
		if err == nil && row != nil {
			st.Written++
			_, err = w.Write(append(row, '\n'))
		}
		return err
	})
	if err != nil {
		return st, err
	}
	return st, w.Flush()
}

func datasetRow(line []byte, st *DatasetStats) ([]byte, error) {
	var h HardCase
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("not a hard case: %w", err)
	}
	if len(h.Messages) == 0 || string(h.Messages) == "null" {
		st.NoMessages++
		return nil, nil
	}
	if len(h.Expected) == 0 {
		st.NoExpected++
		return nil, nil
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(h.Messages, &msgs); err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	answer, err := answerText(h.Expected)
	if err != nil {
		return nil, err
	}
	msg, _ := json.Marshal(struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}{"assistant", answer})
	row := struct {
		Messages []json.RawMessage `json:"messages"`
	}{append(msgs, msg)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(row); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// answerText is the expected value as the assistant would write it.
func answerText(expected json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(expected, &s) == nil {
		return s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, expected); err != nil {
		return "", fmt.Errorf("expected: %w", err)
	}
	return buf.String(), nil
}

// Stamp copies a predictions stream, setting target_digest on every row
// that has none: for outputs produced outside ckpt by the target. A row
// that names another digest is an error naming both.
func Stamp(in io.Reader, name, target string, out io.Writer) (int, error) {
	return stamp(in, name, target, out, false)
}

// Restamp is Stamp that replaces the digest a row already names: the
// caller asserts the outputs come from target (re-validated on another
// build of the same model, say).
func Restamp(in io.Reader, name, target string, out io.Writer) (int, error) {
	return stamp(in, name, target, out, true)
}

func stamp(in io.Reader, name, target string, out io.Writer, replace bool) (int, error) {
	w := bufio.NewWriter(out)
	n := 0
	err := eachLine(in, name, func(_ int, b []byte) error {
		var row map[string]json.RawMessage
		if err := json.Unmarshal(b, &row); err != nil {
			return fmt.Errorf("not a JSON object: %w", err)
		}
		var have string
		if json.Unmarshal(row["target_digest"], &have) == nil && have != "" && have != target && !replace {
			return fmt.Errorf("the row already names %s, not %s", have, target)
		}
		row["target_digest"], _ = json.Marshal(target)
		line, _ := json.Marshal(row)
		n++
		_, err := w.Write(append(line, '\n'))
		return err
	})
	if err != nil {
		return n, err
	}
	return n, w.Flush()
}
