package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
)

// ckptTerm runs ckpt as if stdout and stderr were a terminal.
func ckptTerm(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: &errb, IsTerm: true}, args)
	return code, out.String(), errb.String()
}

func TestTransferQuietOffTerminal(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := bundleDir(t, "Apache-2.0")
	ref := reg.Host + "/models/quiet:v1"
	for _, round := range []string{"first push", "re-push"} {
		code, out, errOut := ckpt("push", "--bundle", dir, ref, "--plain-http")
		if code != 0 || errOut != "" || strings.Count(out, "\n") != 1 || !strings.Contains(out, "@sha256:") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want one line on stdout, nothing on stderr", round, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"pull", ref, t.TempDir(), "--plain-http"}, {"unpack", dir, t.TempDir()}} {
		code, _, errOut := ckpt(args...)
		if code != 0 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "Pulled 5 files of ") {
			t.Errorf("%s: exit %d, stderr %q; want only the summary line", args[0], code, errOut)
		}
	}
}

func TestTransferBarsOnTerminal(t *testing.T) {
	reg := testenv.NewRegistry(t)
	dir := bundleDir(t, "Apache-2.0")
	ref := reg.Host + "/models/bars:v1"
	code, out, errOut := ckptTerm("push", "--bundle", dir, ref, "--plain-http")
	if code != 0 || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("push: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// 5000 bytes of consolidated.safetensors, all of them sent.
	for _, want := range []string{"consolidated.safetensors", "4.9 KiB / 4.9 KiB", " sent", "params.json"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("push bars lack %q:\n%s", want, errOut)
		}
	}
	if last := lastLine(errOut); !strings.HasPrefix(last, "sent ") || strings.Contains(last, "already") {
		t.Errorf("push summary %q; want \"sent N blobs (...)\"", last)
	}

	_, _, errOut = ckptTerm("push", "--bundle", dir, ref, "--plain-http")
	if last := lastLine(errOut); !strings.HasPrefix(last, "sent nothing, ") || !strings.Contains(last, "blobs already there (") {
		t.Errorf("re-push summary %q; want the skipped blobs counted", last)
	}

	code, out, errOut = ckptTerm("pull", ref, t.TempDir(), "--plain-http")
	if code != 0 || strings.Contains(out, "\x1b") || len(strings.Fields(out)) != 5 {
		t.Fatalf("pull: exit %d, stdout %q (want the 5 file names, no bars)", code, out)
	}
	for _, want := range []string{"consolidated.safetensors", "4.9 KiB / 4.9 KiB", " pulled", "pulled 5 blobs (", "Pulled 5 files of "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("pull output lacks %q:\n%s", want, errOut)
		}
	}
}

func TestTransferBarsFailedPull(t *testing.T) {
	reg := testenv.NewRegistry(t)
	code, _, errOut := ckptTerm("pull", reg.Host+"/models/none:v1", t.TempDir(), "--plain-http")
	if code == 0 || strings.Contains(errOut, "blobs (") {
		t.Errorf("pull of a missing artifact: exit %d, stderr %q; want an error and no transfer summary", code, errOut)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// Stdout on a terminal but stderr redirected to a file (ckpt pull 2>log):
// the log gets no bars.
func TestTransferQuietStderrToFile(t *testing.T) {
	dir := bundleDir(t, "Apache-2.0")
	logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	var out bytes.Buffer
	code := Run(context.Background(), &IO{In: strings.NewReader(""), Out: &out, Err: logf, IsTerm: true}, []string{"unpack", dir, t.TempDir()})
	b, _ := os.ReadFile(logf.Name())
	if code != 0 || strings.Count(string(b), "\n") != 1 || !strings.HasPrefix(string(b), "Pulled 5 files of ") {
		t.Errorf("unpack 2>log: exit %d, log %q; want only the summary line", code, b)
	}
}
