package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	ckptremote "github.com/ckpt-dev/ckpt/packaging/remote"
	"github.com/ckpt-dev/ckpt/packaging/sign"
)

// signOptions are the flags of ckpt sign.
type signOptions struct {
	Key         string
	PasswordEnv string
	PlainHTTP   bool
}

func newSignCmd(stdio *IO) *cobra.Command {
	var o signOptions
	cmd := &cobra.Command{
		Use:   "sign REF --key FILE",
		Short: "Sign a published bundle and attest its provenance, license report and ML-BOM",
		Long: `Sign signs the manifest digest REF resolves to with a cosign private key,
as cosign sign --key does (a simple-signing payload under the tag
sha256-<hex>.sig), and attests, as in-toto statements in DSSE envelopes
under sha256-<hex>.att, what the bundle's referrers hold: the SLSA
provenance, the license report and the CycloneDX ML-BOM. cosign verify
--key and cosign verify-attestation --key (--type slsaprovenance1) accept
both; ckpt audit --key checks them.

REF is a registry reference or an OCI layout folder (oci:DIR[:TAG]); sign
where the bundle is published: copies do not carry the signature tags.
The key is cosign's (cosign generate-key-pair); its password is read from
the environment variable --password-env names, COSIGN_PASSWORD by
default, never from a flag.`,
		Example: `  COSIGN_PASSWORD=... ckpt sign localhost:5000/models/support:v1 --key cosign.key --plain-http`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Key == "" {
				return usagef("sign requires --key")
			}
			ref, err := ckptremote.ParseRef(args[0])
			if err != nil {
				return usagef("%w", err)
			}
			return runSign(cmd, stdio, ref, o)
		},
	}
	cmd.Flags().StringVar(&o.Key, "key", "", "cosign private key file")
	cmd.Flags().StringVar(&o.PasswordEnv, "password-env", sign.PasswordEnv, "environment variable holding the key's password")
	cmd.Flags().BoolVar(&o.PlainHTTP, "plain-http", false, "use plain HTTP for registries")
	return cmd
}

func runSign(cmd *cobra.Command, stdio *IO, ref ckptremote.Ref, o signOptions) error {
	pw, err := sign.Password(o.PasswordEnv)
	if err != nil {
		return err
	}
	s, err := sign.LoadPrivateKeyFile(o.Key, pw)
	if err != nil {
		return err
	}
	t, desc, err := ckptremote.Open(cmd.Context(), ref, ckptremote.Options{PlainHTTP: o.PlainHTTP, UserAgent: "ckpt/" + Version})
	if err != nil {
		return err
	}
	name := ref
	name.Reference = ""
	types, err := sign.Bundle(cmd.Context(), t, sign.Subject{Name: name.String(), Digest: desc.Digest}, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "signed %s@%s with %s\n", name, desc.Digest, s.KeyID())
	if len(types) > 0 {
		fmt.Fprintf(stdio.Out, "attested %s\n", strings.Join(types, ", "))
	}
	return nil
}
