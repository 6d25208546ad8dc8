package chatfmt

import "testing"

// TestPythonJSON: values re-serialized as Python's json.dumps(json.loads(s),
// ensure_ascii=False) prints them.
func TestPythonJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"b":1,"a":[true,false,null],"b":2}`: `{"b": 2, "a": [true, false, null]}`,
		`-0`:                                  `0`,
		`123456789012345678901234567890`:      `123456789012345678901234567890`,
		`[1.0, 1e5, 1E-5, 2.5e16, 0.1, -0.0]`: `[1.0, 100000.0, 1e-05, 2.5e+16, 0.1, -0.0]`,
		`1e400`:                               `Infinity`,
		` NaN `:                               `NaN`,
		`"é\u2028<>&\u0000\t\"\\/"`:           `"é` + "\u2028" + `<>&\u0000\t\"\\/"`,
		`{}`:                                  `{}`,
	} {
		v, err := parseJSON(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := dumps(v); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `1 2`, `'a'`} {
		if _, err := parseJSON(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
