package remote

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckpt-dev/ckpt/internal/testenv"
	"github.com/ckpt-dev/ckpt/packaging/modelpack"
)

// cutTransport breaks the body of blob GETs after limit bytes, as a
// dropped connection would.
type cutTransport struct{ limit int64 }

func (c cutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") && resp.ContentLength > c.limit {
		resp.Body = &cutBody{ReadCloser: resp.Body, left: c.limit}
	}
	return resp, err
}

type cutBody struct {
	io.ReadCloser
	left int64
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("connection reset (test)")
	}
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	return n, err
}

func TestInterruptedPullResumes(t *testing.T) {
	ctx := context.Background()
	reg := testenv.NewRegistry(t)
	m := testModel(400 << 10)
	layout, _ := bundle(t, m, modelpack.Options{})
	dst, _ := ParseRef(reg.Host + "/models/tiny:v1")
	if _, err := Push(ctx, layout, "bundle", dst, PushOptions{Options: Options{PlainHTTP: true}}); err != nil {
		t.Fatal(err)
	}
	// A connection dropping every 150 KiB: one pull continues by itself.
	flaky := t.TempDir()
	cut := &http.Client{Transport: cutTransport{limit: 150 << 10}}
	if _, err := Pull(ctx, dst, flaky, PullOptions{Options: Options{PlainHTTP: true, HTTPClient: cut}, RangeThreshold: -1}); err != nil {
		t.Fatalf("pull over a flaky connection: %v", err)
	}
	checkFiles(t, flaky, m)
	// Dropping every 50 KiB: three attempts are not enough; the partial
	// download stays for the next pull.
	out := t.TempDir()
	cut = &http.Client{Transport: cutTransport{limit: 50 << 10}}
	_, err := Pull(ctx, dst, out, PullOptions{Options: Options{PlainHTTP: true, HTTPClient: cut}, RangeThreshold: -1})
	if err == nil {
		t.Fatal("pull over a dropped connection succeeded")
	}
	partial := filepath.Join(out, PartialDir, sum(m["consolidated.safetensors"]))
	st, serr := os.Stat(partial)
	if serr != nil || st.Size() == 0 {
		t.Fatalf("no partial download kept after %v: %v", err, serr)
	}
	log := &rangeLog{}
	if _, err := Pull(ctx, dst, out, PullOptions{Options: Options{PlainHTTP: true, HTTPClient: &http.Client{Transport: log}}}); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, out, m)
	if len(log.ranges) == 0 || !strings.HasPrefix(log.ranges[0], "bytes=") {
		t.Errorf("the second pull did not continue with a Range request: %v", log.ranges)
	}
	if _, err := os.Stat(filepath.Join(out, PartialDir)); !os.IsNotExist(err) {
		t.Errorf("%s left after a complete pull", PartialDir)
	}
}
