package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PasswordEnv is the environment variable cosign reads a private key's
// password from; ckpt reads the same one.
const PasswordEnv = "COSIGN_PASSWORD"

// PEM block types of cosign's keys.
const (
	pemEncryptedKey = string(cryptoutils.EncryptedSigstorePrivateKeyPEMType)
	pemLegacyKey    = "ENCRYPTED COSIGN PRIVATE KEY" // cosign before v2
)

// Signer signs with a private key. It prints as its public key's
// fingerprint, never as the key.
type Signer struct {
	sv    signature.SignerVerifier
	keyID string
}

// String names the signer by its public key's fingerprint.
func (s Signer) String() string { return "sign.Signer(" + s.keyID + ")" }

// GoString is String: %#v never prints the key either.
func (s Signer) GoString() string { return s.String() }

// KeyID is the sha256 fingerprint of the signer's public key (DER).
func (s *Signer) KeyID() string { return s.keyID }

// Verifier checks signatures with a public key.
type Verifier struct {
	v     signature.Verifier
	keyID string
}

// String names the verifier by its public key's fingerprint.
func (v *Verifier) String() string { return "sign.Verifier(" + v.keyID + ")" }

// KeyID is the sha256 fingerprint of the public key (DER).
func (v *Verifier) KeyID() string { return v.keyID }

// Password returns the key password held by the environment variable name
// (PasswordEnv when empty). An empty password is a password; an unset
// variable is an error, since ckpt never prompts.
func Password(name string) ([]byte, error) {
	if name == "" {
		name = PasswordEnv
	}
	pw, ok := os.LookupEnv(name)
	if !ok {
		return nil, fmt.Errorf("the private key's password is read from $%s, which is not set", name)
	}
	return []byte(pw), nil
}

// GenerateKey makes a key pair as `cosign generate-key-pair` does: ECDSA
// P-256, the private key encrypted with password.
func GenerateKey(password []byte) (privatePEM, publicPEM []byte, err error) {
	if password == nil {
		password = []byte{}
	}
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, nil, fmt.Errorf("generate key pair: %w", err)
	}
	return priv, pub, nil
}

// LoadPrivateKey decrypts a cosign private key (PEM) with password. name
// says where the key came from, for errors.
func LoadPrivateKey(name string, pemBytes, password []byte) (*Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("private key %s: not a PEM file", name)
	}
	if block.Type != pemEncryptedKey && block.Type != pemLegacyKey {
		return nil, fmt.Errorf("private key %s: PEM block %q is not an encrypted cosign key (make one with cosign generate-key-pair)", name, block.Type)
	}
	if password == nil {
		password = []byte{}
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, fmt.Errorf("private key %s: cannot decrypt it (wrong password?): %w", name, err)
	}
	ec, ok := priv.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("private key %s: not an ECDSA P-256 key", name)
	}
	sv, err := signature.LoadECDSASignerVerifier(ec, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", name, err)
	}
	id, err := keyID(ec.Public())
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", name, err)
	}
	return &Signer{sv: sv, keyID: id}, nil
}

// LoadPrivateKeyFile reads and decrypts the cosign private key at path.
func LoadPrivateKeyFile(path string, password []byte) (*Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return LoadPrivateKey(path, b, password)
}

// LoadPublicKey reads a PEM public key (cosign.pub). name says where it
// came from, for errors.
func LoadPublicKey(name string, pemBytes []byte) (*Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("public key %s: not an ECDSA P-256 key", name)
	}
	v, err := signature.LoadECDSAVerifier(ec, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	id, err := keyID(ec)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	return &Verifier{v: v, keyID: id}, nil
}

// LoadPublicKeyFile reads the PEM public key at path.
func LoadPublicKeyFile(path string) (*Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return LoadPublicKey(path, b)
}

// Verifier returns the verifier of the signer's own public key.
func (s *Signer) Verifier() *Verifier { return &Verifier{v: s.sv, keyID: s.keyID} }

// PublicKeyPEM returns the signer's public key as PEM.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	pub, err := s.sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}

func keyID(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", errors.New("cannot encode the public key")
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
