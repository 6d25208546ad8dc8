package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// DockerRegistry is Debian's docker-registry (distribution 2.8) run for
// one test with a filesystem store.
type DockerRegistry struct {
	// Host is host:port, plain HTTP.
	Host string
	// User and Password are the htpasswd credentials, when it has some.
	User, Password string
}

// RegistryOptions configure StartDockerRegistry.
type RegistryOptions struct {
	// Redirect serves blobs with a 307 to a static file server of the
	// storage root on 127.0.0.2 (distribution's redirect middleware), as
	// `ollama pull` v0.6.5 needs (it fails with "no Location header in
	// response" on a registry that serves blobs itself).
	Redirect bool
	// Htpasswd protects the registry with basic auth (user "ckpt").
	Htpasswd bool
}

// StartDockerRegistry runs /usr/bin/docker-registry for the test (skipped
// without it, unless CI=true), stopped at cleanup.
func StartDockerRegistry(t testing.TB, o RegistryOptions) *DockerRegistry {
	t.Helper()
	bin := RequireTool(t, "docker-registry")
	dir := t.TempDir()
	root := filepath.Join(dir, "storage")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &DockerRegistry{Host: "127.0.0.1:" + strconv.Itoa(freePort(t, "127.0.0.1"))}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", root, r.Host)
	if o.Redirect {
		port := freePort(t, "127.0.0.2")
		py := RequireTool(t, "python3")
		startProc(t, exec.Command(py, "-m", "http.server", strconv.Itoa(port), "--bind", "127.0.0.2", "--directory", root), "127.0.0.2:"+strconv.Itoa(port))
		cfg += fmt.Sprintf("middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: http://127.0.0.2:%d/\n", port)
	}
	if o.Htpasswd {
		r.User, r.Password = "ckpt", "s3cret-pass"
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.DefaultCost)
		if err != nil {
			t.Fatal(err)
		}
		pw := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(pw, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: ckpt-test\n    path: %s\n", pw)
	}
	conf := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProc(t, exec.Command(bin, "serve", conf), r.Host)
	return r
}

// Ollama is an `ollama serve` run for one test in its own models folder.
type Ollama struct {
	Bin    string
	Host   string // host:port
	Models string // OLLAMA_MODELS
	env    []string
}

// StartOllama runs the Ollama v0.6.5 binary of CacheBin (or PATH) with
// OLLAMA_MODELS and HOME in a temporary folder; skipped without it unless
// CI=true. models is the models folder ("" for a new one).
func StartOllama(t testing.TB, models string) *Ollama {
	t.Helper()
	bin := RequireOllama(t)
	home := t.TempDir()
	if models == "" {
		models = filepath.Join(home, "models")
	}
	o := &Ollama{Bin: bin, Host: "127.0.0.1:" + strconv.Itoa(freePort(t, "127.0.0.1")), Models: models}
	o.env = append(os.Environ(), "OLLAMA_HOST="+o.Host, "OLLAMA_MODELS="+models, "HOME="+home)
	cmd := exec.Command(bin, "serve")
	cmd.Env = o.env
	startProc(t, cmd, o.Host)
	return o
}

// Run runs the ollama CLI against the server and returns its output.
func (o *Ollama) Run(args ...string) (string, error) {
	cmd := exec.Command(o.Bin, args...)
	cmd.Env = o.env
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// Generate asks /api/generate for a greedy continuation of the raw prompt
// (temperature 0, no repeat penalty) of n tokens.
func (o *Ollama) Generate(model, prompt string, n int) (string, error) {
	body, _ := json.Marshal(map[string]any{"model": model, "prompt": prompt, "raw": true, "stream": false,
		"options": map[string]any{"temperature": 0, "top_k": 1, "repeat_penalty": 1, "num_predict": n, "seed": 1, "num_ctx": 256}})
	resp, err := http.Post("http://"+o.Host+"/api/generate", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Response string `json:"response"`
		Error    string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if out.Error != "" {
		return "", fmt.Errorf("ollama: %s", out.Error)
	}
	return out.Response, nil
}

// freePort returns a port free on host now.
func freePort(t testing.TB, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProc starts cmd (output to the test log on failure), waits until
// addr accepts connections and stops it at cleanup.
func startProc(t testing.TB, cmd *exec.Cmd, addr string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			t.Fatalf("%s exited: %s", cmd.Path, out.String())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("%s does not listen on %s: %s", cmd.Path, addr, out.String())
}
