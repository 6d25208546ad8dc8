package license

import "embed"

// licenseTexts holds the full texts ckpt ships: licenses whose text anyone
// may copy verbatim (from Debian's /usr/share/common-licenses). Every other
// license gets a pointer to its text.
//
//go:embed texts/*.txt
var licenseTexts embed.FS

// Text returns the full text of a license ckpt ships, or false.
func Text(id string) ([]byte, bool) {
	b, err := licenseTexts.ReadFile("texts/" + id + ".txt")
	return b, err == nil
}
