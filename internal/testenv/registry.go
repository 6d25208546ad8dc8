package testenv

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/sirupsen/logrus"
)

// Registry is a distribution registry served in the test process on
// 127.0.0.1, with counters of the requests it answered.
type Registry struct {
	Host string // host:port, plain HTTP
	// BlobUploads counts finished blob uploads (PUT .../blobs/uploads/...).
	BlobUploads atomic.Int64
	// Requests counts every request.
	Requests atomic.Int64
}

// NewRegistry starts an in-memory distribution registry for the test.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{Storage: configuration.Storage{
		"inmemory":    configuration.Parameters{},
		"delete":      configuration.Parameters{"enabled": true},
		"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
	}}
	cfg.HTTP.Secret = "test-secret"
	app := handlers.NewApp(context.Background(), cfg)
	r := &Registry{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.Requests.Add(1)
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/blobs/uploads/") {
			r.BlobUploads.Add(1)
		}
		app.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}
