package chatfmt_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ckpt-dev/ckpt/packaging/chatfmt"
	"github.com/ckpt-dev/ckpt/packaging/synth"
	"github.com/ckpt-dev/ckpt/packaging/tekken"
)

// synthTekken is a synthetic tekken.json of a version; from v11 on, ranks
// 20.. are [ARGS] [CALL_ID] [THINK] [/THINK] [MODEL_SETTINGS] [/MODEL_SETTINGS].
func synthTekken(t *testing.T, version string) *tekken.Tokenizer {
	t.Helper()
	data, err := synth.Tekken(synth.TekkenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	doc["config"].(map[string]any)["version"] = version
	specials := doc["special_tokens"].([]any)
	for i, name := range []string{chatfmt.Args, chatfmt.CallID, chatfmt.Think, chatfmt.EndThink, chatfmt.Settings, chatfmt.EndSettings} {
		specials[20+i].(map[string]any)["token_str"] = name
	}
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	tok, err := tekken.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTokens: the ids of the canonical sequence decode to the canonical
// text; specials come only from special pieces.
func TestTokens(t *testing.T) {
	for _, tc := range []struct{ tekken, version string }{{"v3", "v3"}, {"v7", "v7"}, {"v11", "v11"}, {"v13", "v13_think"}, {"v15", "v15"}} {
		tok := synthTekken(t, tc.tekken)
		v := mustVersion(t, tc.version)
		for _, c := range chatfmt.Suite(v) {
			req, err := chatfmt.ParseRequest([]byte(c.JSON))
			if err != nil {
				t.Fatal(err)
			}
			pieces, err := chatfmt.Canonical(req, v)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := chatfmt.Tokens(pieces, tok)
			if err != nil {
				t.Fatalf("%s %s: %v", v, c.Name, err)
			}
			text, err := tok.Text(ids)
			if err != nil || text != chatfmt.Text(pieces, v) {
				t.Errorf("%s %s: ids decode to %q, %v", v, c.Name, text, err)
			}
			var specials []string
			for _, p := range pieces {
				if p.Special != "" {
					specials = append(specials, p.Special)
				}
			}
			var got []string
			for _, id := range ids {
				if tok.IsSpecial(id) {
					b, _ := tok.Decode([]int{id}, true)
					got = append(got, string(b))
				}
			}
			if !slices.Equal(got, specials) {
				t.Errorf("%s %s: special ids %v, want %v", v, c.Name, got, specials)
			}
		}
	}
	if _, err := chatfmt.Tokens([]chatfmt.Piece{{Special: "[NOT_A_TOKEN]"}}, synthTekken(t, "v7")); err == nil {
		t.Error("a special the tokenizer lacks: no error")
	}
}
