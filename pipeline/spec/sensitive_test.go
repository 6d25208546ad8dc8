package spec_test

import (
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/pipeline/spec"
)

// TestSensitiveMarksPropagate: every local derived from a sensitive
// variable is sensitive, through expressions and the (limited) functions;
// nonsensitive() removes the mark and sensitive() adds it.
func TestSensitiveMarksPropagate(t *testing.T) {
	dir := write(t, map[string]string{"a.ckpt.hcl": `
variable "token" {
  sensitive = true
  default   = "s3cret"
}
variable "plain" { default = "x" }
locals {
  upper   = upper(var.token)
  interp  = "Bearer ${var.token}"
  json    = jsonencode({ t = var.token })
  joined  = join(",", [var.plain, var.token])
  tried   = try(var.token, "none")
  list    = [var.plain, var.token]
  length  = length(var.token)
  hashed  = sha256(var.token)
  cond    = var.token == "" ? "a" : "b"
  marked  = sensitive("literal")
  free    = nonsensitive(sha256(var.token))
  freed   = nonsensitive(local.list)
  clean   = upper(var.plain)
}
`})
	sp := mustLoad(t, dir, spec.Options{})
	for name, want := range map[string]bool{"upper": true, "interp": true, "json": true, "joined": true,
		"tried": true, "list": true, "length": true, "hashed": true, "cond": true, "marked": true,
		"free": false, "freed": false, "clean": false} {
		if got := spec.IsSensitive(sp.Locals[name]); got != want {
			t.Errorf("local.%s sensitive = %v, want %v", name, got, want)
		}
	}
	if !spec.IsSensitive(variable(t, sp, "token")) || spec.IsSensitive(variable(t, sp, "plain")) {
		t.Error("variable marks")
	}
	got := strings.Join(spec.SensitiveStrings(sp.Locals["list"]), ",")
	if got != "s3cret" {
		t.Errorf("SensitiveStrings(local.list) = %q", got)
	}
}

// TestSensitiveValidationMessage: a failed validation of a sensitive
// variable does not quote its value, even when its error_message does.
func TestSensitiveValidationMessage(t *testing.T) {
	dir := write(t, map[string]string{"a.ckpt.hcl": `
variable "token" {
  sensitive = true
  validation {
    condition     = length(var.token) > 10
    error_message = "too short: ${var.token}"
  }
}
`})
	_, diags := spec.Load(t.Context(), dir, spec.Options{Vars: []string{"token=s3cret"}})
	if !diags.HasErrors() {
		t.Fatal("validation passed")
	}
	for _, d := range diags {
		if strings.Contains(d.Summary+d.Detail, "s3cret") || d.EvalContext != nil {
			t.Errorf("diagnostic shows the value: %s: %s", d.Summary, d.Detail)
		}
	}
}

// TestSensitiveFunctionErrors: a function error that quotes its argument
// does not show a sensitive value.
func TestSensitiveFunctionErrors(t *testing.T) {
	dir := write(t, map[string]string{"a.ckpt.hcl": `
variable "token" {
  sensitive = true
  default   = "s3cret-value"
}
locals {
  n = tonumber(var.token)
  f = file(var.token)
  r = regex(var.token, "x")
}
`})
	_, diags := spec.Load(t.Context(), dir, spec.Options{})
	if len(diags) < 3 {
		t.Fatalf("want 3 errors, got %v", diags)
	}
	for _, d := range diags {
		if strings.Contains(d.Summary+d.Detail, "s3cret") || d.EvalContext != nil {
			t.Errorf("diagnostic shows the value: %s: %s", d.Summary, d.Detail)
		}
	}
}

func TestRedact(t *testing.T) {
	secrets := spec.SortSecrets([]string{"tok", "Bearer s3cret", "s3cret", "", "s3cret"})
	for in, want := range map[string]string{
		"auth Bearer s3cret, s3cret": "auth (sensitive), (sensitive)",
		"tok":                        "(sensitive)",
		"a token":                    "a token", // "tok" is too short to replace inside a string
		"nothing":                    "nothing",
	} {
		if got := spec.Redact(secrets, in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
