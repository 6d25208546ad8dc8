package testenv

import (
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy is a loopback HTTP proxy in front of a registry that counts the
// blob bytes going through it, per digest, and can refuse requests: what
// a test asserts a client downloaded or uploaded.
type Proxy struct {
	// Host is host:port of the proxy, plain HTTP.
	Host string

	down, up atomic.Int64
	mu       sync.Mutex
	fetched  map[string]int64
	refuse   func(*http.Request) bool
	writes   atomic.Int64
}

// StartProxy serves a proxy to the plain-HTTP registry upstream (host:port)
// on 127.0.0.1 for the test.
func StartProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Host: l.Addr().String(), fetched: map[string]int64{}}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.serve(rp, w, r) })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return p
}

// Refuse makes the proxy answer 403 to every request f returns true for
// (f runs before the request is forwarded; nil refuses nothing).
func (p *Proxy) Refuse(f func(*http.Request) bool) {
	p.mu.Lock()
	p.refuse = f
	p.mu.Unlock()
}

// Reset zeroes the counters.
func (p *Proxy) Reset() {
	p.down.Store(0)
	p.up.Store(0)
	p.writes.Store(0)
	p.mu.Lock()
	p.fetched = map[string]int64{}
	p.mu.Unlock()
}

// BlobBytesDown is the bytes of blob bodies served (GET .../blobs/DIGEST).
func (p *Proxy) BlobBytesDown() int64 { return p.down.Load() }

// BlobBytesUp is the bytes of blob uploads (PATCH and PUT .../blobs/uploads/).
func (p *Proxy) BlobBytesUp() int64 { return p.up.Load() }

// Writes counts the requests that could change the registry (POST, PUT,
// PATCH, DELETE), refused ones included.
func (p *Proxy) Writes() int64 { return p.writes.Load() }

// Fetched returns the bytes served per blob digest.
func (p *Proxy) Fetched() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int64, len(p.fetched))
	for k, v := range p.fetched {
		out[k] = v
	}
	return out
}

func (p *Proxy) serve(rp *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.writes.Add(1)
	}
	p.mu.Lock()
	refuse := p.refuse
	p.mu.Unlock()
	if refuse != nil && refuse(r) {
		http.Error(w, `{"errors":[{"code":"DENIED","message":"refused by the test proxy"}]}`, http.StatusForbidden)
		return
	}
	if strings.Contains(r.URL.Path, "/blobs/uploads/") && r.Body != nil {
		r.Body = &countBody{ReadCloser: r.Body, n: &p.up}
	}
	if _, dg, ok := strings.Cut(r.URL.Path, "/blobs/sha256:"); ok && r.Method == http.MethodGet {
		w = &countWriter{ResponseWriter: w, count: func(n int) {
			p.down.Add(int64(n))
			p.mu.Lock()
			p.fetched["sha256:"+dg] += int64(n)
			p.mu.Unlock()
		}}
	}
	rp.ServeHTTP(w, r)
}

type countBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type countWriter struct {
	http.ResponseWriter
	count func(int)
}

func (w *countWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.count(n)
	return n, err
}

func (w *countWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
