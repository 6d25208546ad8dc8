package license

import (
	"strings"
	"testing"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

func reportJSON(t *testing.T, license, subject string) []byte {
	t.Helper()
	b, err := NewReport(&specv1.Metadata{Kind: "bundle", ID: "support", License: license}, subject).JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJudge(t *testing.T) {
	d := detector(t)
	const subject = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	mrl := d.DetectFiles(map[string][]byte{"LICENSE": mrlText(t)})
	apache := d.DetectFiles(map[string][]byte{"LICENSE": apacheText(t)})
	commercial := Policy{Use: UseCommercial, Redistribute: true}

	j, err := Judge(reportJSON(t, "Apache-2.0", subject), subject, mrl, commercial)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Failed() || j.From != FromReport || len(j.Findings) != 1 || j.Findings[0].Code != CodeDeclaredMismatch {
		t.Fatalf("MRL text declared Apache-2.0: %+v", j)
	}

	if j, err = Judge(reportJSON(t, "Apache-2.0", subject), subject, apache, commercial); err != nil || j.Failed() {
		t.Fatalf("matching text: %+v, %v", j, err)
	}

	// A modctl bundle: no report, the text decides.
	j, err = Judge(nil, subject, mrl, commercial)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Failed() || j.From != FromTexts || j.License != "LicenseRef-MRL-0.1" || len(j.Findings) != 0 {
		t.Fatalf("modctl bundle with the MRL text, commercial use: %+v", j)
	}
	if j, err = Judge(nil, subject, apache, commercial); err != nil || j.Failed() || j.License != "Apache-2.0" {
		t.Fatalf("modctl bundle with the Apache text: %+v, %v", j, err)
	}
	if j, err = Judge(nil, subject, nil, commercial); err != nil || !j.Failed() {
		t.Fatalf("no report, no text: %+v, %v", j, err)
	}

	if _, err := Judge(reportJSON(t, "Apache-2.0", "sha256:ff"), subject, apache, commercial); err == nil || !strings.Contains(err.Error(), "not "+subject) {
		t.Fatalf("report about another manifest: %v", err)
	}
	if _, err := Judge([]byte(`{"version":"0"}`), subject, apache, commercial); err == nil {
		t.Fatal("a report of another version was accepted")
	}
}
