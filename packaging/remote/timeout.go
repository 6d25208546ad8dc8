package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default timeouts of registry connections (Options).
const (
	DefaultConnectTimeout  = 30 * time.Second
	DefaultResponseTimeout = 2 * time.Minute
	DefaultIdleTimeout     = time.Minute
)

// TimeoutError reports a registry that stopped answering: it names the
// registry, the phase of the exchange and the timeout that ran out. The
// HTTP client tries a GET or HEAD that timed out once more, no other
// request: blob transfers retry themselves, continuing where they stopped.
type TimeoutError struct {
	// Registry is the host (and port) of the registry.
	Registry string
	// Phase is "connect", "response headers", "sending the request body"
	// or "reading the response body".
	Phase string
	// After is the timeout that ran out.
	After time.Duration
}

func (e *TimeoutError) Error() string {
	what := map[string]string{
		"connect":                   "no connection",
		"response headers":          "no response headers",
		"sending the request body":  "upload stalled (nothing sent)",
		"reading the response body": "download stalled (nothing received)",
	}[e.Phase]
	return fmt.Sprintf("registry %s: %s for %s (%s timeout)", e.Registry, what, e.After, e.Phase)
}

// Timeout tells that e is a timeout.
func (e *TimeoutError) Timeout() bool { return true }

func (o Options) timeout(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// transport is the HTTP transport of registry connections: connect and
// response-header timeouts, and an idle timeout on body transfers.
func (o Options) transport() http.RoundTripper {
	connect := o.timeout(o.ConnectTimeout, DefaultConnectTimeout)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = connect
	base.ResponseHeaderTimeout = o.timeout(o.ResponseTimeout, DefaultResponseTimeout)
	return &timeoutTransport{base: base, connect: connect, header: base.ResponseHeaderTimeout,
		idle: o.timeout(o.IdleTimeout, DefaultIdleTimeout)}
}

type timeoutTransport struct {
	base                  http.RoundTripper
	connect, header, idle time.Duration
}

// RoundTrip sends req. A GET or HEAD that times out or whose connection
// breaks before the response is tried once more at once (the retry client
// above backs off on what it retries itself: 5xx, resets).
func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req)
	if err != nil && (req.Method == http.MethodGet || req.Method == http.MethodHead) && broken(err) && req.Context().Err() == nil {
		resp, err = t.roundTrip(req)
	}
	return resp, err
}

// broken tells an exchange cut by the network or a timeout.
func broken(err error) bool {
	var te *TimeoutError
	return errors.As(err, &te) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "transport connection broken")
}

// roundTrip sends req once; a request body the connection stops taking,
// or a response body that stops arriving, for the idle timeout cancels the
// exchange with a TimeoutError.
func (t *timeoutTransport) roundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	out := req.Clone(ctx)
	var up *watchdog
	if req.Body != nil && req.Body != http.NoBody {
		// the transport writes to the network between its Reads of the body
		up = t.watchdog(ctx, cancel, req, "sending the request body")
		out.Body = &idleBody{rc: req.Body, wd: up, outside: true}
	}
	resp, err := t.base.RoundTrip(out)
	up.stop() // the transport may still read the body: no more timing
	if err != nil {
		err = t.classify(ctx, req.URL.Host, err)
		cancel(nil)
		return nil, err
	}
	resp.Body = &idleBody{rc: resp.Body, wd: t.watchdog(ctx, cancel, req, "reading the response body"), cancel: cancel}
	return resp, nil
}

func (t *timeoutTransport) watchdog(ctx context.Context, cancel context.CancelCauseFunc, req *http.Request, phase string) *watchdog {
	return &watchdog{ctx: ctx, d: t.idle, cancel: cancel,
		err: &TimeoutError{Registry: req.URL.Host, Phase: phase, After: t.idle}}
}

// classify turns the transport's timeouts into TimeoutErrors.
func (t *timeoutTransport) classify(ctx context.Context, host string, err error) error {
	var te *TimeoutError
	if errors.As(context.Cause(ctx), &te) {
		return te
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		return err
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial", strings.Contains(err.Error(), "TLS handshake timeout"):
		return &TimeoutError{Registry: host, Phase: "connect", After: t.connect}
	case strings.Contains(err.Error(), "awaiting response headers"):
		return &TimeoutError{Registry: host, Phase: "response headers", After: t.header}
	}
	return err
}

// watchdog cancels an exchange with err when it stays armed for d.
type watchdog struct {
	ctx     context.Context // the exchange's, cancelled with err
	d       time.Duration
	cancel  context.CancelCauseFunc
	err     *TimeoutError
	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.d, func() { w.cancel(w.err) })
		return
	}
	w.timer.Reset(w.d)
}

func (w *watchdog) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
}

// stop disarms w for good; nil is a stopped watchdog.
func (w *watchdog) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.disarm()
}

// idleBody is a body whose transfer the watchdog times: while inside Read
// for a response body, between Reads (until the end) for a request body.
type idleBody struct {
	rc      io.ReadCloser
	wd      *watchdog
	outside bool
	cancel  context.CancelCauseFunc // a response body's: ends the exchange on Close
}

func (b *idleBody) Read(p []byte) (int, error) {
	if b.outside {
		b.wd.disarm()
	} else {
		b.wd.arm()
	}
	n, err := b.rc.Read(p)
	switch {
	case b.outside && err == nil:
		b.wd.arm()
	case !b.outside:
		b.wd.disarm()
		var te *TimeoutError
		if err != nil && errors.As(context.Cause(b.wd.ctx), &te) {
			err = te
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.wd.stop()
	err := b.rc.Close()
	if b.cancel != nil {
		b.cancel(nil)
	}
	return err
}
