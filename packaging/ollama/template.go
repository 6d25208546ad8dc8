package ollama

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
)

// ErrTemplate is wrapped when an Ollama template does not render what the
// model's own chat template renders.
var ErrTemplate = errors.New("the Ollama template does not match the chat template")

// Ollama Go templates of the Mistral instruct formats, modelled on
// Ollama's template/mistral-instruct.gotmpl. Ollama gives a template
// .System (every system message, joined by a blank line), .Messages
// (consecutive messages of one role merged) and .Tools; the tokenizer adds
// BOS itself, so the templates start after it.
const (
	// tmplV3 is tekken v3: the system prompt heads the last user message.
	tmplV3 = `{{- range $index, $_ := .Messages }}
{{- if eq .Role "user" }}[INST]{{ if and $.System (eq (len (slice $.Messages $index)) 1) }}{{ $.System }}

{{ end }}{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }}{{ .Content }}</s>
{{- end }}
{{- end }}`
	// tmplV3SPM is the SentencePiece v2/v3 format: spaces after [INST]
	// and [/INST].
	tmplV3SPM = `{{- range $index, $_ := .Messages }}
{{- if eq .Role "user" }}[INST] {{ if and $.System (eq (len (slice $.Messages $index)) 1) }}{{ $.System }}

{{ end }}{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }} {{ .Content }}</s>
{{- end }}
{{- end }}`
	// tmplV7 is tekken v7 to v13: system prompts in place, in
	// [SYSTEM_PROMPT] tokens.
	tmplV7 = `{{- range .Messages }}
{{- if eq .Role "system" }}[SYSTEM_PROMPT]{{ .Content }}[/SYSTEM_PROMPT]
{{- else if eq .Role "user" }}[INST]{{ .Content }}[/INST]
{{- else if eq .Role "assistant" }}{{ .Content }}</s>
{{- end }}
{{- end }}`
)

// Template returns ckpt's Ollama template for tokenizer version v, or an
// error for a version it has none for.
func Template(v chatfmt.Version) (string, error) {
	switch {
	case v.N == 3 && !v.SPM:
		return tmplV3, nil
	case (v.N == 2 || v.N == 3) && v.SPM:
		return tmplV3SPM, nil
	case v.N >= 7 && v.N <= 13 && !v.SPM:
		return tmplV7, nil
	}
	return "", fmt.Errorf("no Ollama template for tokenizer %s: set template", v)
}

// Message is one message as Ollama's template sees it.
type Message struct {
	Role    string
	Content string
}

// Render renders an Ollama template over messages as Ollama v0.6.5's
// chat endpoint does (template.Execute: collated messages, System).
func Render(tmpl string, msgs []Message) (string, error) {
	t, err := template.New("ollama").Funcs(template.FuncMap{"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}}).Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("parse the Ollama template: %w", err)
	}
	var system []string
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
		}
	}
	collated := collate(msgs)
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{"System": strings.Join(system, "\n\n"), "Messages": collated, "Tools": nil, "Response": ""})
	if err != nil {
		return "", fmt.Errorf("render the Ollama template: %w", err)
	}
	return b.String(), nil
}

// Jinja renders a chat template (Jinja) over a conversation JSON.
type Jinja func(template string, conversation []byte) (string, error)

// Check renders the conversations of v's suite that Ollama's chat API can
// express (text messages of system, user and assistant, ending with a
// user message, no tools) with the Ollama template and with the model's
// Jinja template; the texts must be equal, after the Jinja text's leading
// BOS, which Ollama's tokenizer adds. Ollama merges consecutive messages
// of one role before any template sees them, so the Jinja template gets
// the merged conversation too. It returns how many conversations
// it compared.
func Check(tmpl, jinjaSrc string, render Jinja, v chatfmt.Version) (int, error) {
	n := 0
	for _, c := range chatfmt.Suite(v) {
		msgs, ok := plain(c.JSON)
		if !ok {
			continue
		}
		conv, err := json.Marshal(map[string]any{"messages": jinjaMessages(collate(msgs))})
		if err != nil {
			return n, err
		}
		want, err := render(jinjaSrc, conv)
		if err != nil {
			continue // the model's template refuses it: nothing to match
		}
		want = strings.TrimPrefix(want, "<s>")
		got, err := Render(tmpl, msgs)
		if err != nil {
			return n, err
		}
		if got != want {
			return n, fmt.Errorf("%w: conversation %q: Jinja %q, Ollama %q", ErrTemplate, c.Name, want, got)
		}
		n++
	}
	return n, nil
}

// plain decodes a conversation made only of text messages.
func plain(conv string) ([]Message, bool) {
	var c struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Tools    json.RawMessage `json:"tools"`
		Continue bool            `json:"continue_final_message"`
	}
	if json.Unmarshal([]byte(conv), &c) != nil || len(c.Tools) > 0 || c.Continue || len(c.Messages) == 0 {
		return nil, false
	}
	var msgs []Message
	for _, m := range c.Messages {
		var s string
		if m.Role != "system" && m.Role != "user" && m.Role != "assistant" || json.Unmarshal(m.Content, &s) != nil {
			return nil, false
		}
		msgs = append(msgs, Message{Role: m.Role, Content: s})
	}
	return msgs, msgs[len(msgs)-1].Role == "user"
}

// collate merges consecutive messages of one role, as Ollama does.
func collate(msgs []Message) []*Message {
	var out []*Message
	for _, m := range msgs {
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content += "\n\n" + m.Content
		} else {
			out = append(out, &Message{Role: m.Role, Content: m.Content})
		}
	}
	return out
}

func jinjaMessages(msgs []*Message) []map[string]string {
	out := make([]map[string]string, len(msgs))
	for i, m := range msgs {
		out[i] = map[string]string{"role": m.Role, "content": m.Content}
	}
	return out
}
