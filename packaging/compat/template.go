package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ardanlabs/jinja"
)

// RaisedError is returned when a template calls raise_exception: the
// template refuses the conversation on purpose.
type RaisedError struct{ Message string }

func (e *RaisedError) Error() string { return "template raised: " + e.Message }

// Conversation is a named chat (messages, and optionally tools) as the JSON
// object that transformers' apply_chat_template receives.
type Conversation struct {
	Name string
	JSON string
}

// Conversations returns the conversations every chat template must render:
// system/user/assistant turns, and a tool call with its result.
func Conversations() []Conversation {
	return []Conversation{
		{Name: "chat", JSON: `{"messages": [
 {"role": "system", "content": "You are a support assistant. Answer briefly."},
 {"role": "user", "content": "My invoice shows the wrong address."},
 {"role": "assistant", "content": "I can fix that. What is the correct address?"},
 {"role": "user", "content": "12 rue de la Paix, Paris & \"Lyon\" <office> été"}]}`},
		{Name: "tool_call", JSON: `{"messages": [
 {"role": "system", "content": "You are a weather assistant."},
 {"role": "user", "content": "What is the weather in Paris?"},
 {"role": "assistant", "content": null, "tool_calls": [{"id": "a1b2c3d4e", "type": "function",
   "function": {"name": "get_weather", "arguments": "{\"location\": \"Paris\", \"unit\": \"celsius\"}"}}]},
 {"role": "tool", "tool_call_id": "a1b2c3d4e", "name": "get_weather", "content": "{\"temperature\": 22}"},
 {"role": "assistant", "content": "It is 22 degrees Celsius in Paris."},
 {"role": "user", "content": "Thanks!"}],
 "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather",
   "parameters": {"type": "object", "properties": {"location": {"type": "string", "description": "City"},
     "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location", "unit"]}}}]}`},
	}
}

// TemplateVars are the variables given to a template beside the
// conversation: the tokenizer's special tokens, as transformers passes them.
type TemplateVars struct {
	BOS, EOS, UNK, PAD string
	// AddGenerationPrompt is add_generation_prompt.
	AddGenerationPrompt bool
}

// DefaultVars returns Mistral's special tokens.
func DefaultVars() TemplateVars { return TemplateVars{BOS: "<s>", EOS: "</s>", UNK: "<unk>"} }

// RenderTemplate renders a chat template over a conversation (a JSON object
// with "messages" and optionally "tools") with the semantics of
// transformers' apply_chat_template: object keys keep their order (tojson
// does not sort), raise_exception fails with a *RaisedError.
func RenderTemplate(src string, conversation []byte, vars TemplateVars) (string, error) {
	if name := recursiveMacro(src); name != "" {
		return "", &UnsafeTemplateError{Reason: "macro " + name + " is recursive and ckpt's renderer has no recursion limit"}
	}
	tmpl, err := compileSafe(src)
	if err != nil {
		return "", fmt.Errorf("compile: %w", err)
	}
	conv, err := decodeOrdered(conversation)
	if err != nil {
		return "", fmt.Errorf("conversation: %w", err)
	}
	if !conv.IsDict() {
		return "", errors.New("conversation: not a JSON object")
	}
	data := map[string]jinja.Value{}
	d := conv.AsDict()
	for _, k := range d.OrderedKeys() {
		data[k], _ = d.Get(k)
	}
	for k, v := range map[string]string{"bos_token": vars.BOS, "eos_token": vars.EOS, "unk_token": vars.UNK, "pad_token": vars.PAD} {
		if v != "" {
			data[k] = jinja.NewString(v)
		}
	}
	data["add_generation_prompt"] = jinja.NewBool(vars.AddGenerationPrompt)
	data["range"] = jinja.NewCallable("range", sandboxRange)
	var raised *RaisedError
	data["raise_exception"] = jinja.NewCallable("raise_exception", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		msg := ""
		if len(args) > 0 && args[0].IsString() {
			msg = args[0].AsString()
		} else if len(args) > 0 {
			msg = args[0].String()
		}
		raised = &RaisedError{Message: msg}
		return jinja.Undefined(), raised
	})
	out, err := renderSafe(tmpl, data)
	if raised != nil {
		return "", raised
	}
	if err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	return out, nil
}

// compileSafe turns a panic of the template parser into an error.
func compileSafe(src string) (t *jinja.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template parser panic: %v", r)
		}
	}()
	return jinja.Compile(src)
}

// renderSafe turns a panic inside the template engine into an error.
func renderSafe(t *jinja.Template, data map[string]jinja.Value) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template engine panic: %v", r)
		}
	}()
	return t.RenderValues(data)
}

// decodeOrdered decodes JSON into jinja values, keeping object key order.
func decodeOrdered(data []byte) (jinja.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return jinja.Undefined(), err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jinja.Undefined(), errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (jinja.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return jinja.Undefined(), err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return decodeObject(dec)
		}
		if t == '[' {
			return decodeArray(dec)
		}
		return jinja.Undefined(), fmt.Errorf("unexpected %v", t)
	case string:
		return jinja.NewString(t), nil
	case json.Number:
		if i, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
			return jinja.NewInt(i), nil
		}
		f, err := t.Float64()
		return jinja.NewFloat(f), err
	case bool:
		return jinja.NewBool(t), nil
	}
	return jinja.None(), nil
}

func decodeObject(dec *json.Decoder) (jinja.Value, error) {
	v := jinja.NewDict()
	d := v.AsDict()
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return v, err
		}
		key, _ := k.(string)
		val, err := decodeValue(dec)
		if err != nil {
			return v, err
		}
		d.Set(key, val)
	}
	_, err := dec.Token()
	return v, err
}

func decodeArray(dec *json.Decoder) (jinja.Value, error) {
	var items []jinja.Value
	for dec.More() {
		val, err := decodeValue(dec)
		if err != nil {
			return jinja.Undefined(), err
		}
		items = append(items, val)
	}
	_, err := dec.Token()
	return jinja.NewList(items), err
}

// firstDiff describes where two renderings part, for messages.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	clip := func(s string) string {
		s = s[i:]
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return strconv.Quote(s)
	}
	return fmt.Sprintf("at byte %d: %s vs %s", i, clip(a), clip(b))
}
