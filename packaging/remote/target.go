package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options are shared by every operation. The zero value talks HTTPS with
// Docker-config credentials, three transfers at a time.
type Options struct {
	// PlainHTTP talks HTTP to the registry (local test registries).
	PlainHTTP bool
	// Concurrency is the number of blobs (or byte ranges) moved at once
	// (default 3, as oras, dockerd and containerd).
	Concurrency int
	// HTTPClient replaces the retrying HTTP client (tests); the timeouts
	// below are then the client's business.
	HTTPClient *http.Client
	// ConnectTimeout bounds connecting to a registry (TCP and TLS; default
	// DefaultConnectTimeout), ResponseTimeout the wait for response headers
	// once a request is sent (DefaultResponseTimeout), IdleTimeout a body
	// transfer that moves no byte (DefaultIdleTimeout). A timeout gives a
	// TimeoutError; a stalled blob transfer is retried from where it
	// stopped (Attempts).
	ConnectTimeout, ResponseTimeout, IdleTimeout time.Duration
	// UserAgent is sent to registries (default "ckpt").
	UserAgent string
	// Progress, when set, receives transfer events.
	Progress func(Event)
}

// Event reports the transfer of one blob.
type Event struct {
	// Action is "push", "skip" (already present), "mount" (mounted from
	// another repository of the registry), "pull" or "done".
	Action string
	Desc   ocispec.Descriptor
	// Done is the bytes moved so far for the blob.
	Done int64
}

func (o Options) concurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return 3
}

func (o Options) emit(e Event) {
	if o.Progress != nil {
		o.Progress(e)
	}
}

// Repository opens the registry repository r names (not a layout folder)
// with oras-go's retry client (5 retries with backoff on 5xx, 429 and
// network errors) over a transport with opts' timeouts, and the credentials of the Docker config
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) and its
// credential helpers, never logged. It is ckpt's one credentialed opener
// (push, pull, inspect, audit, plugin install). A missing config means
// anonymous access; a broken one (not JSON, a credential helper that is
// not installed or fails) is an error naming the file, never a silent
// anonymous fallback.
func Repository(ctx context.Context, r Ref, opts Options) (*remote.Repository, error) {
	if r.IsLayout() {
		return nil, fmt.Errorf("%s is a layout folder, not a registry repository", r)
	}
	repo, err := remote.NewRepository(r.Repository)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.Repository, err)
	}
	cred, err := dockerCredential(ctx, repo.Reference.Registry)
	if err != nil {
		return nil, err
	}
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Transport: retry.NewTransport(opts.transport())}
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "ckpt"
	}
	repo.Client = &auth.Client{Client: base, Cache: auth.NewCache(), Header: http.Header{"User-Agent": {ua}}, Credential: cred}
	repo.PlainHTTP = opts.PlainHTTP
	return repo, nil
}

// dockerCredential reads the Docker config and asks it (or its helper)
// for host's credentials once, so that a broken config fails here, before
// any transfer; later lookups name the file too.
func dockerCredential(ctx context.Context, host string) (auth.CredentialFunc, error) {
	path, err := dockerConfigPath()
	if err != nil {
		return nil, err
	}
	store, err := credentials.NewStore(path, credentials.StoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker credentials: %w", err) // names the file
	}
	get := credentials.Credential(store)
	if _, err := get(ctx, host); err != nil {
		return nil, fmt.Errorf("docker config %s: credentials for %s: %w", path, host, err)
	}
	return func(ctx context.Context, host string) (auth.Credential, error) {
		c, err := get(ctx, host)
		if err != nil {
			return c, fmt.Errorf("docker config %s: credentials for %s: %w", path, host, err)
		}
		return c, nil
	}, nil
}

// dockerConfigPath is $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json (as docker and oras).
func dockerConfigPath() (string, error) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("docker config: %w", err)
		}
		dir = filepath.Join(home, ".docker")
	}
	return filepath.Join(dir, "config.json"), nil
}

// source is what pulls and inspections read from.
type source interface {
	oras.ReadOnlyGraphTarget
}

// openSource opens r for reading.
func openSource(ctx context.Context, r Ref, opts Options) (source, error) {
	if !r.IsLayout() {
		repo, err := Repository(ctx, r, opts)
		if err != nil {
			return nil, err
		}
		return remoteRanger{repo}, nil
	}
	if _, err := os.Stat(r.Dir); err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", r.Dir, err)
	}
	s, err := oci.NewFromFS(ctx, os.DirFS(r.Dir))
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", r.Dir, err)
	}
	return s, nil
}

// openTarget opens r for writing; a layout folder is created if missing.
func openTarget(ctx context.Context, r Ref, opts Options) (oras.Target, error) {
	if !r.IsLayout() {
		return Repository(ctx, r, opts)
	}
	s, err := oci.NewWithContext(ctx, r.Dir)
	if err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", r.Dir, err)
	}
	return s, nil
}

// resolve returns the descriptor that reference names in s. A layout
// reference without a tag picks "latest", else "bundle" (a bundle step's
// output), else the layout's only tag.
func resolve(ctx context.Context, s oras.ReadOnlyTarget, r Ref) (ocispec.Descriptor, error) {
	ref := r.Reference
	if ref == "" {
		ref = "latest"
		if r.IsLayout() {
			ref = defaultLayoutTag(ctx, s)
		}
	}
	d, err := s.Resolve(ctx, ref)
	if err != nil {
		return d, fmt.Errorf("resolve %s: %w", r, err)
	}
	return d, nil
}

// maxManifest bounds manifests and configs read into memory.
const maxManifest = 4 << 20

// fetchSmall reads a manifest or config blob, verified and bounded.
func fetchSmall(ctx context.Context, f content.Fetcher, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxManifest {
		return nil, fmt.Errorf("blob %s: %d bytes is too large for a manifest or config", d.Digest, d.Size)
	}
	if d.Data != nil {
		if err := verifyBytes(d, d.Data); err != nil {
			return nil, err
		}
		return d.Data, nil
	}
	b, err := fetchOnce(ctx, f, d)
	for i := 1; i < 3 && err != nil && retriable(ctx, err); i++ { // a cut connection
		b, err = fetchOnce(ctx, f, d)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", d.Digest, err)
	}
	return b, verifyBytes(d, b)
}

func fetchOnce(ctx context.Context, f content.Fetcher, d ocispec.Descriptor) ([]byte, error) {
	rc, err := f.Fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, d.Size+1))
}

// ErrDigestMismatch is returned when content does not match its descriptor.
var ErrDigestMismatch = errors.New("digest mismatch")

func verifyBytes(d ocispec.Descriptor, b []byte) error {
	if int64(len(b)) != d.Size {
		return fmt.Errorf("blob %s: %d bytes, descriptor says %d: %w", d.Digest, len(b), d.Size, ErrDigestMismatch)
	}
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if got := d.Digest.Algorithm().FromBytes(b); got != d.Digest {
		return fmt.Errorf("blob %s: content hashes to %s: %w", d.Digest, got, ErrDigestMismatch)
	}
	return nil
}

func defaultLayoutTag(ctx context.Context, s oras.ReadOnlyTarget) string {
	lister, ok := s.(interface {
		Tags(ctx context.Context, last string, fn func([]string) error) error
	})
	if !ok {
		return "latest"
	}
	var tags []string
	_ = lister.Tags(ctx, "", func(ts []string) error { tags = append(tags, ts...); return nil })
	for _, want := range []string{"latest", "bundle"} {
		for _, t := range tags {
			if t == want {
				return t
			}
		}
	}
	if len(tags) == 1 {
		return tags[0]
	}
	return "latest"
}
