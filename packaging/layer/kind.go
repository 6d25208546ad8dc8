package layer

import (
	"strings"

	specv1 "github.com/ckpt-dev/ckpt/specs/v1"
)

// Encoding is how a layer's bytes relate to the file they carry.
type Encoding int

// Layer encodings, derived from a layer media type.
const (
	Raw     Encoding = iota // the file itself
	Tar                     // an uncompressed tar stream
	TarGzip                 // a gzip-compressed tar stream
	TarZstd                 // a zstd-compressed tar stream
	Zstd                    // one zstd-compressed file (ckpt's raw+zstd)
	Float                   // ckpt's byte-plane float codec
)

// String names the encoding as in media type suffixes.
func (e Encoding) String() string {
	return [...]string{"raw", "tar", "tar+gzip", "tar+zstd", "raw+zstd", "raw+bplane"}[e]
}

// EncodingOf returns the encoding of a layer media type: ModelPack
// (".raw", ".tar", ".tar+gzip", ".tar+zstd", also legacy and KitOps names
// ending the same way), ckpt's own codecs, and Raw for anything else (Docker
// model layers, octet streams).
func EncodingOf(mediaType string) Encoding {
	switch mediaType {
	case specv1.MediaTypeWeightFloat:
		return Float
	case specv1.MediaTypeWeightZstd:
		return Zstd
	}
	switch {
	case strings.HasSuffix(mediaType, ".tar+zstd"), strings.HasSuffix(mediaType, ".tar.zstd"):
		return TarZstd
	case strings.HasSuffix(mediaType, ".tar+gzip"), strings.HasSuffix(mediaType, ".tar.gzip"):
		return TarGzip
	case strings.HasSuffix(mediaType, ".tar"), strings.HasSuffix(mediaType, ".dir.tar"):
		return Tar
	}
	return Raw
}
