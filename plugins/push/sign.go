package push

import (
	"context"
	"fmt"
	"strings"

	"github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
	"github.com/ckpt-dev/ckpt/plugins/sdk"
	"github.com/opencontainers/go-digest"
)

// signer loads the step's signing key (nil without sign_key). The
// password is read from the environment variable sign_password_env names
// (default COSIGN_PASSWORD), never from the spec.
func (c config) signer() (*sign.Signer, error) {
	if c.SignKey == "" {
		return nil, nil
	}
	pw, err := sign.Password(c.SignPasswordEnv)
	if err != nil {
		return nil, fmt.Errorf("sign_key %s: %w", c.SignKey, err)
	}
	return sign.LoadPrivateKeyFile(c.SignKey, pw)
}

// signPushed signs the manifest d pushed to dst and attests its
// provenance, license report and ML-BOM, on dst itself: copies do not
// carry cosign's .sig and .att tags.
func signPushed(ctx context.Context, dst remote.Ref, d digest.Digest, s *sign.Signer, opts remote.Options, ev sdk.Events) error {
	at := dst
	at.Reference = d.String()
	t, _, err := remote.Open(ctx, at, opts)
	if err != nil {
		return fmt.Errorf("sign %s: %w", at, err)
	}
	name := dst
	name.Reference = ""
	types, err := sign.Bundle(ctx, t, sign.Subject{Name: name.String(), Digest: d}, s)
	if err != nil {
		return err
	}
	ev.Log(fmt.Sprintf("signed %s with %s; attested %s", d, s.KeyID(), strings.Join(types, ", ")))
	return nil
}
