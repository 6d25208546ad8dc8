package sign_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ckpt-dev/ckpt/packaging/sign"
	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/content/oci"
)

// A push step signs the bundle's manifest digest and attests its license
// report; audit verifies both with the public key and reads the report
// from the signed attestation, not from the manifest's annotations.
func ExampleVerify() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "sign-example")
	defer os.RemoveAll(dir)
	store, _ := oci.New(dir) // or a remote.Repository
	privPEM, pubPEM, _ := sign.GenerateKey([]byte("password from $COSIGN_PASSWORD"))
	signer, _ := sign.LoadPrivateKey("cosign.key", privPEM, []byte("password from $COSIGN_PASSWORD"))
	key, _ := sign.LoadPublicKey("cosign.pub", pubPEM)

	manifest := digest.FromString("a bundle's manifest")
	subject := sign.Subject{Name: "registry.example/models/support", Digest: manifest}
	_, _ = sign.Sign(ctx, store, subject, signer)
	_, _ = sign.Attest(ctx, store, subject, signer, sign.Predicate{
		Type: sign.PredicateLicenseReport, JSON: []byte(`{"license": "Apache-2.0"}`)})

	v, err := sign.Verify(ctx, store, manifest, key, sign.VerifyOptions{Require: []string{sign.PredicateLicenseReport}})
	if err != nil {
		fmt.Println(err)
		return
	}
	report, _ := v.Predicate(sign.PredicateLicenseReport)
	fmt.Println(v.Signatures, string(report))

	_, err = sign.Verify(ctx, store, digest.FromString("another manifest"), key, sign.VerifyOptions{})
	fmt.Println(err != nil)
	// Output:
	// 1 {"license":"Apache-2.0"}
	// true
}
