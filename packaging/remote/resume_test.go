package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// sessionProxy is an HTTP proxy in front of a distribution registry that
// makes it keep upload sessions on the server, as many registries do:
// whatever _state a client sends for a session, the registry gets the
// session's latest one. Its cut-th PATCH reaches the registry with only
// the first half of its chunk, then the client's connection is dropped,
// as when a connection breaks mid-chunk.
type sessionProxy struct {
	reg    string
	cut    int
	mu     sync.Mutex
	latest map[string]url.Values // upload session → latest query
	patch  int
	starts int   // PATCHes at offset 0: upload sessions of chunked blobs
	bytes  int64 // PATCH bytes the registry received
}

func (p *sessionProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session := ""
	if i := strings.Index(r.URL.Path, "/blobs/uploads/"); i >= 0 {
		session = r.URL.Path[i+len("/blobs/uploads/"):]
	}
	p.mu.Lock()
	if q, ok := p.latest[session]; ok && session != "" {
		cur := r.URL.Query()
		cur.Set("_state", q.Get("_state"))
		r.URL.RawQuery = cur.Encode()
	}
	cut := false
	if r.Method == http.MethodPatch {
		p.patch++
		cut = p.patch == p.cut
		if strings.HasPrefix(r.Header.Get("Content-Range"), "0-") {
			p.starts++
		}
	}
	p.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if cut {
		body = body[:len(body)/2]
		var start int64
		fmt.Sscanf(r.Header.Get("Content-Range"), "%d-", &start)
		r.Header.Set("Content-Range", fmt.Sprintf("%d-%d", start, start+int64(len(body))-1))
	}
	out, _ := http.NewRequest(r.Method, "http://"+p.reg+r.URL.RequestURI(), bytes.NewReader(body))
	out.Header = r.Header.Clone()
	out.ContentLength = int64(len(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "/blobs/uploads/") {
		if u, err := url.Parse(loc); err == nil {
			resp.Header.Set("Location", u.RequestURI()) // through the proxy
			p.mu.Lock()
			p.latest[u.Path[strings.Index(u.Path, "/blobs/uploads/")+len("/blobs/uploads/"):]] = u.Query()
			p.mu.Unlock()
		}
	}
	if r.Method == http.MethodPatch && resp.StatusCode == http.StatusAccepted {
		p.mu.Lock()
		p.bytes += int64(len(body))
		p.mu.Unlock()
	}
	if cut {
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// A chunked upload whose connection breaks mid-chunk continues from the
// offset the registry reports, in the same session, sending no byte twice
// (issue 16, failure 10).
func TestChunkedPushResumesFromRegistryOffset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := testenv.NewRegistry(t)
	const size = 300 << 10
	m := testModel(size)
	layout, d := bundle(t, m, modelpack.Options{})
	p := &sessionProxy{reg: reg.Host, cut: 3, latest: map[string]url.Values{}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	dst, _ := ParseRef(strings.TrimPrefix(srv.URL, "http://") + "/models/resume:v1")
	got, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}, ChunkSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != d.Digest {
		t.Fatalf("pushed %s, want %s", got.Digest, d.Digest)
	}
	if p.starts != 1 || p.bytes != size {
		t.Errorf("%d upload sessions, %d bytes received for a %d-byte blob; want 1 session, each byte once", p.starts, p.bytes, size)
	}
	out := t.TempDir()
	direct, _ := ParseRef(reg.Host + "/models/resume:v1")
	if _, err := Pull(ctx, direct, out, PullOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
}

func TestUploadedRange(t *testing.T) {
	for _, c := range []struct {
		header string
		held   int64
		ok     bool
	}{
		{"0-0", 0, true}, {"0-65535", 65536, true}, {"bytes=0-9", 10, true},
		{"", 0, false}, {"5-9", 0, false}, {"0-x", 0, false}, {"0--2", 0, false},
	} {
		resp := &http.Response{Header: http.Header{"Range": {c.header}}}
		if held, ok := uploadedRange(resp); held != c.held || ok != c.ok {
			t.Errorf("Range %q: %d %v, want %d %v", c.header, held, ok, c.held, c.ok)
		}
	}
}
