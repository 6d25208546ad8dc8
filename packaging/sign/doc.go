// Package sign signs a bundle's manifest digest and attests to it in the
// formats cosign reads, and verifies both with a public key.
//
// A signature is cosign's: a simple-signing payload naming the manifest
// digest, signed with ECDSA P-256 over SHA-256, stored as a layer of an OCI
// manifest tagged sha256-<hex>.sig beside the subject, its base64 signature
// in the layer annotation dev.cosignproject.cosign/signature. An attestation
// is an in-toto v1 statement whose one subject is the manifest digest, in a
// DSSE envelope (payload type application/vnd.in-toto+json), stored the same
// way under sha256-<hex>.att. `cosign verify --key` and `cosign
// verify-attestation --key` (with --insecure-ignore-tlog: nothing here
// reaches a transparency log) accept both, and Verify accepts what cosign
// signs with a key. ckpt does not attach sigstore bundles as referrers: the
// presence of one switches cosign v2.6.5 to its new bundle format, which
// wants a trusted root from Sigstore's TUF repository even with --key, and
// offline verification then fails. The tag scheme leaves room for keyless
// signatures (cosign keeps certificates in layer annotations, which Sign
// preserves).
//
// Keys are cosign's: ECDSA P-256, the private key PKCS#8 encrypted with
// scrypt and secretbox in an "ENCRYPTED SIGSTORE PRIVATE KEY" PEM block, its
// password read from an environment variable (COSIGN_PASSWORD), the public
// key a "PUBLIC KEY" PEM block. The envelopes, the key encryption and the
// signatures come from sigstore's libraries; nothing here writes crypto by
// hand. A key never appears in an error or in what a Signer prints.
package sign
