package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// client posts JSON to one endpoint with a per-request timeout, retries on
// transient failures and an optional bearer key that no error shows.
type client struct {
	kind     string
	endpoint string
	key      string
	timeout  time.Duration
	retries  int
	http     *http.Client
}

func newClient(kind, endpoint, key string, timeout time.Duration, retries int) *client {
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if retries < 0 {
		retries = 0
	}
	return &client{kind: kind, endpoint: strings.TrimRight(endpoint, "/"), key: key, timeout: timeout,
		retries: retries, http: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}}
}

// statusError is an HTTP answer other than 2xx.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// transient reports whether a retry may succeed.
func transient(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500 || se.code == http.StatusTooManyRequests
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// do sends method path with body (JSON-encoded unless an io.Reader factory)
// and decodes the answer into out; phase names the step in errors.
func (c *client) do(ctx context.Context, phase, method, path string, body any, out any) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = c.once(ctx, method, path, body, out)
		if err == nil || !transient(err) || attempt >= c.retries || ctx.Err() != nil {
			break
		}
		wait := time.Duration(100<<attempt) * time.Millisecond
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		err = cause
	}
	return fmt.Errorf("%s %s%s: %s: %w", c.kind, c.endpoint, path, phase, c.redact(err))
}

// redact removes the key from an error's text (a server may echo it).
func (c *client) redact(err error) error {
	if c.key == "" || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.key, "[redacted]"))
}

// bodyFunc opens a request body afresh for every attempt.
type bodyFunc func() (io.Reader, int64, error)

func (c *client) once(ctx context.Context, method, path string, body any, out any) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, fmt.Errorf("request timeout after %s", c.timeout))
	defer cancel()
	rd, size, err := encode(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, rd)
	if err != nil {
		return err
	}
	req.ContentLength = size
	if _, raw := body.(bodyFunc); !raw && body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{code: resp.StatusCode, body: clip(string(data))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("answer is not the expected JSON: %w (%s)", err, clip(string(data)))
	}
	return nil
}

func encode(body any) (io.Reader, int64, error) {
	switch b := body.(type) {
	case nil:
		return nil, 0, nil
	case bodyFunc:
		return b()
	}
	data, err := json.Marshal(body)
	return bytes.NewReader(data), int64(len(data)), err
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
