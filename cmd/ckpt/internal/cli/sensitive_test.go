package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// token is the value of the sensitive variable in these tests; it must
// appear in nothing ckpt prints or writes.
const token = "tok-5ecret-9f3a"

// sensitiveProject is the quickstart with variable "token" (sensitive),
// set through the environment, and edits applied to its spec.
func sensitiveProject(t *testing.T, edits ...string) (dir string, env []string) {
	t.Helper()
	dir = quickstartProject(t)
	p := filepath.Join(dir, "quickstart.ckpt.hcl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b) + "\nvariable \"token\" {\n  sensitive = true\n}\n"
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(src, edits[i]) {
			t.Fatalf("spec has no %q", edits[i])
		}
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, []string{"CKPT_VAR_token=" + token}
}

// TestSensitiveRefusedWherePublished: a sensitive value in a model id, an
// adapter's training record, a layout tag and a push ref is an error naming each
// attribute, and neither validate --json nor plan --json shows the value.
func TestSensitiveRefusedWherePublished(t *testing.T) {
	dir, env := sensitiveProject(t,
		`id      = "mistral-7b-instruct-v0.3"`, `id      = "mistral-${var.token}"`,
		`dataset         = "support-tickets@2026-10-01"`, `dataset         = var.token`,
		`tag    = var.tag`, `tag    = "v-${upper(var.token)}"`,
		`push "layout" "release" {`, "push \"registry\" \"reg\" {\n  bundle = bundle.release\n  ref    = \"localhost:5000/m:${var.token}\"\n}\n\npush \"layout\" \"release\" {")
	code, out, errOut := ckptProc(t, env, "validate", dir, "--json")
	if code == 0 {
		t.Fatalf("validate accepted sensitive published values:\n%s", out)
	}
	for _, attr := range []string{`\"id\"`, `\"training.dataset\"`, `\"tag\"`, `\"ref\"`} {
		if !strings.Contains(out, "Sensitive value in a published attribute") || !strings.Contains(out, attr) {
			t.Errorf("validate --json does not refuse %s:\n%s", attr, out)
		}
	}
	code2, planOut, planErr := ckptProc(t, env, "plan", dir, "--json")
	for name, s := range map[string]string{"validate": out + errOut, "plan": planOut + planErr} {
		if strings.Contains(s, token) || strings.Contains(strings.ToLower(s), token) {
			t.Errorf("%s shows the token:\n%s", name, s)
		}
	}
	if code2 == 0 {
		t.Errorf("plan accepted sensitive published values")
	}
}

// TestSensitiveNonsensitiveAllowed: nonsensitive(...) publishes a value
// derived from a secret knowingly (here, its hash).
func TestSensitiveNonsensitiveAllowed(t *testing.T) {
	dir, env := sensitiveProject(t,
		`dataset         = "support-tickets@2026-10-01"`, `dataset         = nonsensitive(substr(sha256(var.token), 0, 12))`)
	if code, out, errOut := ckptProc(t, env, "validate", dir, "--json"); code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
}

// TestSensitiveNeverShownOrStored builds and publishes a spec that uses
// the token in a model's path (the model plugin logs it) and in a push
// whose plugin validation fails on it: plan --json, validate --json, the
// build's events, the ledger, the store and the published layout never
// contain it.
func TestSensitiveNeverShownOrStored(t *testing.T) {
	dir, env := sensitiveProject(t, `path    = "./base"`, `path    = "./${var.token}"`)
	if err := os.Rename(filepath.Join(dir, "base"), filepath.Join(dir, token)); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	code, out, errOut := ckptProc(t, env, "plan", dir, "--json")
	seen.WriteString(out + errOut)
	if code != 0 || !strings.Contains(out, `"path": "(sensitive)"`) {
		t.Errorf("plan --json: exit %d, want the path shown as (sensitive):\n%s%s", code, out, errOut)
	}
	code, out, errOut = ckptProc(t, env, "push", dir, "--json")
	seen.WriteString(out + errOut)
	if code != 0 || !strings.Contains(out, "(sensitive): ") {
		t.Fatalf("push --json: exit %d, want the model's log line redacted\n%s%s", code, out, errOut)
	}
	for _, args := range [][]string{{"ledger", "show", "1", "--dir", dir, "--json"}, {"ledger", "--dir", dir}} {
		_, out, errOut := ckptProc(t, env, args...)
		seen.WriteString(out + errOut)
	}
	if strings.Contains(seen.String(), token) {
		t.Errorf("output shows the token:\n%s", seen.String())
	}
	for _, root := range []string{filepath.Join(dir, ".ckpt"), filepath.Join(dir, "out")} {
		grepTree(t, root, token)
	}
	// A push whose ref the plugin refuses: its diagnostic quotes the ref.
	dir2, env2 := sensitiveProject(t, `push "layout" "release" {`,
		"push \"registry\" \"bad\" {\n  bundle = bundle.release\n  ref    = nonsensitive(\"bad ref ${var.token}\")\n}\n\npush \"layout\" \"release\" {")
	code, out, errOut = ckptProc(t, env2, "validate", dir2, "--json")
	if code == 0 || !strings.Contains(out, "(sensitive)") || strings.Contains(out+errOut, token) {
		t.Errorf("validate --json of a bad ref: exit %d, want the plugin's diagnostic redacted:\n%s%s", code, out, errOut)
	}
}

// grepTree fails when any file name or content under root contains s.
func grepTree(t *testing.T, root, s string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), s) {
			t.Errorf("%s: the name contains the token", p)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s contains the token", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPluginEnvHasNoSpecVariables: a running plugin's environment holds
// ckpt's environment without the CKPT_VAR_* entries (Linux: /proc).
func TestPluginEnvHasNoSpecVariables(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	dir := slowProject(t)
	cmd, wait := startBuild(t, dir, "check.long", "CKPT_TESTPLUG_BLOCK=1", "CKPT_VAR_token="+token)
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		wait()
	}()
	env := pluginEnviron(t, cmd.Process.Pid, "ckpt-plugin-testplug")
	if !strings.Contains(env, "CKPT_TESTPLUG_BLOCK=1") {
		t.Fatal("the plugin's environment lacks ckpt's CKPT_TESTPLUG_BLOCK")
	}
	for _, kv := range strings.Split(env, "\n") {
		if strings.HasPrefix(kv, "CKPT_VAR_") || strings.Contains(kv, token) {
			t.Errorf("the plugin's environment holds %q", kv)
		}
	}
}

// pluginEnviron returns the environment of the child of pid whose command
// line names bin.
func pluginEnviron(t *testing.T, pid int, bin string) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		i := bytes.LastIndexByte(stat, ')')
		if err != nil || i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) && bytes.Contains(cmdline, []byte(bin)) {
			env, err := os.ReadFile(filepath.Join(p, "environ"))
			if err != nil {
				t.Fatal(err)
			}
			return string(bytes.ReplaceAll(env, []byte{0}, []byte{'\n'}))
		}
	}
	t.Fatalf("no process %s under %d", bin, pid)
	return ""
}
