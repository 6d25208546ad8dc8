package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ReadTrainingTemplate reads the training chat template an adapter folder
// records: chat_template.jinja, else tokenizer_config.json's chat_template.
// Source is the file it came from.
func ReadTrainingTemplate(dir string) (TrainingTemplate, error) {
	p := filepath.Join(dir, "chat_template.jinja")
	data, err := os.ReadFile(p)
	if err == nil {
		return TrainingTemplate{Source: p, Template: string(data)}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return TrainingTemplate{}, fmt.Errorf("compat: training template: %w", err)
	}
	p = filepath.Join(dir, "tokenizer_config.json")
	var tc struct {
		ChatTemplate string `json:"chat_template"`
	}
	data, err = os.ReadFile(p)
	if err == nil {
		err = json.Unmarshal(data, &tc)
	}
	if err != nil || tc.ChatTemplate == "" {
		return TrainingTemplate{}, fmt.Errorf("%s records no chat template (chat_template.jinja or tokenizer_config.json chat_template)", dir)
	}
	return TrainingTemplate{Source: p, Template: tc.ChatTemplate}, nil
}
