package remote

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// fault is what the proxy does to one connection: after at bytes in one
// direction (down: registry to client), it drops the connection (RST),
// truncates it (FIN) or stalls it (forwards nothing more, keeps it open).
type fault struct {
	kind string // "drop", "truncate" or "stall"
	down bool
	at   int64
}

// faultProxy is a TCP proxy on 127.0.0.1 in front of a registry that
// injects faults into the connections plan picks (by accept order).
type faultProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	plan     func(conn int) *fault
	conns    int
	down     atomic.Int64 // bytes forwarded to clients
	ranges   atomic.Int64 // requests with a Range header (as far as seen)
	faults   atomic.Int64 // faults that struck
	active   map[net.Conn]bool
	done     chan struct{}
	wg       sync.WaitGroup
}

func newFaultProxy(t testing.TB, upstream string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, upstream: upstream, done: make(chan struct{}), active: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Host is the proxy's host:port.
func (p *faultProxy) Host() string { return p.ln.Addr().String() }

// setPlan sets the faults of the connections accepted from now on,
// counted from 0; nil forwards everything.
func (p *faultProxy) setPlan(plan func(conn int) *fault) {
	p.mu.Lock()
	p.plan, p.conns = plan, 0
	p.mu.Unlock()
}

// randomPlan faults each of the first conns connections with probability
// 1/2: a random kind, direction and offset (up to maxAt).
func randomPlan(seed uint64, maxAt int64, conns int) func(int) *fault {
	rng := rand.New(rand.NewPCG(seed, 16))
	var mu sync.Mutex
	return func(conn int) *fault {
		mu.Lock()
		defer mu.Unlock()
		if conn >= conns || rng.IntN(2) == 0 {
			return nil
		}
		at := rng.Int64N(min(maxAt, 1<<rng.IntN(19)) + 1) // log-uniform: short exchanges are hit too
		return &fault{kind: []string{"drop", "truncate", "stall"}[rng.IntN(3)], down: rng.IntN(2) == 0, at: at}
	}
}

func (p *faultProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		var f *fault
		if p.plan != nil {
			f = p.plan(p.conns)
		}
		p.conns++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.pair(c, f)
	}
}

// pair forwards one connection both ways until either side ends.
func (p *faultProxy) pair(client net.Conn, f *fault) {
	defer p.wg.Done()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	select {
	case <-p.done: // closing: do not start
		p.mu.Unlock()
		client.Close()
		up.Close()
		return
	default:
	}
	p.active[client], p.active[up] = true, true
	p.mu.Unlock()
	ended := make(chan struct{})
	var once sync.Once
	end := func() {
		once.Do(func() {
			close(ended)
			client.Close()
			up.Close()
			p.mu.Lock()
			delete(p.active, client)
			delete(p.active, up)
			p.mu.Unlock()
		})
	}
	var inner sync.WaitGroup
	inner.Add(2)
	for _, dir := range []struct {
		dst, src net.Conn
		down     bool
	}{{up, client, false}, {client, up, true}} {
		go func() {
			defer inner.Done()
			defer end()
			var this *fault
			if f != nil && f.down == dir.down {
				this = f
			}
			p.forward(dir.dst, dir.src, dir.down, this, ended)
		}()
	}
	inner.Wait()
}

func (p *faultProxy) forward(dst, src net.Conn, down bool, f *fault, ended chan struct{}) {
	w := io.Writer(dst)
	if down {
		w = countingWriter{w: dst, n: &p.down}
	} else {
		w = rangeSniffer{w: dst, n: &p.ranges}
	}
	if f == nil {
		io.Copy(w, src)
		return
	}
	if n, _ := io.CopyN(w, src, f.at); n < f.at {
		return
	}
	p.faults.Add(1)
	switch f.kind {
	case "drop": // RST both ways
		for _, c := range []net.Conn{dst, src} {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
	case "stall":
		select {
		case <-ended:
		case <-p.done:
		}
	}
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// rangeSniffer counts the Range headers of requests written through it.
type rangeSniffer struct {
	w io.Writer
	n *atomic.Int64
}

func (r rangeSniffer) Write(b []byte) (int, error) {
	r.n.Add(int64(bytes.Count(b, []byte("\r\nRange: bytes="))))
	return r.w.Write(b)
}

func (p *faultProxy) close() {
	select {
	case <-p.done:
		return
	default:
	}
	p.mu.Lock()
	close(p.done)
	p.ln.Close()
	for c := range p.active {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
