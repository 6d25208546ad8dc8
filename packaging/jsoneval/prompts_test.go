package jsoneval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/synth"
)

func TestReadPrompts(t *testing.T) {
	in := `{"id":"a","messages":[{"role":"user","content":"hi"}],"expected":{"x":1},"tags":["t"]}

{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"{\"y\": 2}"}]}
{"id":7,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"plain"}]}
`
	ps, err := ReadPrompts(strings.NewReader(in), "p.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].ID != "a" || string(ps[0].Expected) != `{"x":1}` || ps[1].ID != "line-3" || ps[2].ID != "7" {
		t.Fatalf("%+v", ps)
	}
	if string(ps[1].Expected) != `{"y": 2}` || string(ps[1].Messages) != `[{"role":"user","content":"q"}]` {
		t.Errorf("a training row's answer becomes expected: %s %s", ps[1].Expected, ps[1].Messages)
	}
	if string(ps[2].Expected) != `"plain"` {
		t.Errorf("a prose answer is a string: %s", ps[2].Expected)
	}
}

func TestReadPromptsErrors(t *testing.T) {
	tests := map[string]string{
		"{":                              "p.jsonl:1: not a JSON object",
		`{"messages":[]}`:                `p.jsonl:1: no "messages"`,
		`{"messages":[{"content":"x"}]}`: "p.jsonl:1: message 0 is not an object with a role",
		`{"messages":[{"role":"assistant","content":"x"}]}`: "p.jsonl:1: no message before",
		"{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"y\"}]}": `p.jsonl:2: duplicate prompt id "a" (first on line 1)`,
		"\n\n": "p.jsonl: no prompts",
	}
	for in, want := range tests {
		if _, err := ReadPrompts(strings.NewReader(in), "p.jsonl"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v; want %q", in, err, want)
		}
	}
}

func TestLoadTemplate(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadTemplate(dir); err == nil || !strings.Contains(err.Error(), `template = "runtime"`) {
		t.Fatalf("no template: err = %v", err)
	}
	tc := map[string]any{"chat_template": synth.ChatTemplate, "bos_token": "<s>", "eos_token": map[string]string{"content": "<|end|>"}}
	b, _ := json.Marshal(tc)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), b, 0o644)
	tm, err := LoadTemplate(dir)
	if err != nil || tm.File != "tokenizer_config.json" || tm.Vars.EOS != "<|end|>" || !strings.HasPrefix(tm.Version, "sha256:") {
		t.Fatalf("%+v, %v", tm, err)
	}
	ps, _ := ReadPrompts(strings.NewReader(`{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}`), "p")
	got, err := tm.Render(ps[0])
	if want := "<s>[INST]a[/INST]b<|end|>[INST]c[/INST]"; err != nil || got != want {
		t.Errorf("Render = %q, %v; want %q", got, err, want)
	}
	os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{{ raise_exception('no') }}"), 0o644)
	tm, _ = LoadTemplate(dir)
	if _, err := tm.Render(ps[0]); err == nil || !strings.Contains(err.Error(), "chat_template.jinja") {
		t.Errorf("a raising template: err = %v", err)
	}
}

func TestDigestTarget(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b"), []byte("2"), 0o644)
	d1, err := DigestTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "b"), []byte("3"), 0o644)
	d2, _ := DigestTarget(dir)
	f, _ := DigestTarget(filepath.Join(dir, "a"))
	if d1 == d2 || f != "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b" {
		t.Errorf("one byte changed keeps %s; file digest %s", d1, f)
	}
}

func TestToDatasetSkips(t *testing.T) {
	hard := `{"id":"a","output":"x","category":"no_json_start","messages":[{"role":"user","content":"q"}],"expected":{"k":[1, 2]}}
{"id":"b","output":"x","category":"no_json_start","messages":[{"role":"user","content":"q2"}]}
{"id":"c","output":"x","category":"no_json_start","expected":"s"}
`
	var out bytes.Buffer
	st, err := ToDataset(strings.NewReader(hard), "h", &out)
	if err != nil || st != (DatasetStats{Written: 1, NoExpected: 1, NoMessages: 1}) {
		t.Fatalf("%+v, %v", st, err)
	}
	if want := `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"{\"k\":[1,2]}"}]}` + "\n"; out.String() != want {
		t.Errorf("row %s; want %s", out.String(), want)
	}
	if _, err := ToDataset(strings.NewReader("x\n"), "h", &out); err == nil || !strings.Contains(err.Error(), "h:1:") {
		t.Errorf("err = %v", err)
	}
}

func FuzzReadPrompts(f *testing.F) {
	f.Add([]byte(`{"id":"a","messages":[{"role":"user","content":"hi"}],"expected":{"x":1},"tags":["t"]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"{\"y\": 2}"}]}` + "\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ReadPrompts(bytes.NewReader(data), "p")
		if err != nil {
			return
		}
		for _, p := range ps {
			if !json.Valid(p.Messages) || (p.Expected != nil && !json.Valid(p.Expected)) || p.ID == "" {
				t.Fatalf("prompt %+v", p)
			}
		}
	})
}

func FuzzToDataset(f *testing.F) {
	f.Add([]byte(`{"id":"a","output":"x","messages":[{"role":"user","content":"q"}],"expected":{"k":1}}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":""}],"expected":"s"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		st, err := ToDataset(bytes.NewReader(data), "h", &out)
		if err != nil {
			return
		}
		if n := bytes.Count(out.Bytes(), []byte("\n")); n != st.Written {
			t.Fatalf("%d lines for %d rows", n, st.Written)
		}
	})
}
