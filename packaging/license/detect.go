package license

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	classifier "github.com/google/licenseclassifier/v2"
	"github.com/google/licenseclassifier/v2/assets"
)

// referenceTexts holds license texts ckpt identifies but SPDX's corpus
// lacks (reference/README.md says where each comes from).
//
//go:embed reference/*.md
var referenceTexts embed.FS

// How a detection was made.
const (
	HowText     = "license text"            // the classifier matched a license text
	HowMarker   = "license title"           // a Mistral license named by its title and phrases
	HowNotice   = "notice"                  // a notice sentence a license requires
	HowSPDXTag  = "SPDX-License-Identifier" // an SPDX-License-Identifier line
	HowCard     = "model card"              // README.md front matter license fields
	HowCkptFile = "ckpt LICENSE header"     // the "X is distributed under: EXPR" line ckpt writes
)

// Detection is one license a file of a model folder names or contains. ID
// is "" when the file is a license text nobody could identify.
type Detection struct {
	File       string  `json:"file"`
	ID         string  `json:"id,omitempty"`
	Confidence float64 `json:"confidence"`
	How        string  `json:"how"`
}

// maxLicenseFile caps how much of one license file is read.
const maxLicenseFile = 1 << 20

// Detector identifies license texts: SPDX's licenses through
// licenseclassifier's corpus, and the Mistral AI Research and Non-Production
// licenses through their reference texts and fingerprints. Building one
// takes a few seconds; reuse it.
type Detector struct {
	c *classifier.Classifier
}

// NewDetector loads the license corpus.
func NewDetector() (*Detector, error) {
	c, err := assets.DefaultClassifier()
	if err != nil {
		return nil, fmt.Errorf("load the license corpus: %w", err)
	}
	refs, err := fs.Glob(referenceTexts, "reference/*.md")
	if err != nil {
		return nil, err
	}
	for _, p := range refs {
		id := strings.TrimSuffix(filepath.Base(p), ".md")
		if id == "README" {
			continue
		}
		b, err := referenceTexts.ReadFile(p)
		if err != nil {
			return nil, err
		}
		c.AddContent("License", "LicenseRef-"+id, "reference", b)
	}
	return &Detector{c: c}, nil
}

// DetectFolder identifies the license files of a model folder with a new
// Detector (see Detector.DetectFolder).
func DetectFolder(dir string) ([]Detection, error) {
	d, err := NewDetector()
	if err != nil {
		return nil, err
	}
	return d.DetectFolder(dir)
}

// DetectFolder walks dir (skipping hidden folders) and identifies every
// LICENSE, LICENCE, COPYING and NOTICE file (any case, any extension) and
// the license fields of README.md's front matter. Files are named by their
// slash-separated path relative to dir; the result is sorted by file, then
// id.
func (d *Detector) DetectFolder(dir string) ([]Detection, error) {
	var out []Detection
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !IsLicenseFile(e.Name()) || !regular(p, e) {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := readCapped(p)
		if err != nil {
			return err
		}
		out = append(out, d.DetectFile(filepath.ToSlash(rel), b)...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("detect licenses in %s: %w", dir, err)
	}
	sortDetections(out)
	return out, nil
}

// regular reports whether p is a regular file or a link to one (a Hugging
// Face cache snapshot links every file to a blob).
func regular(p string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.Type().IsRegular()
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxLicenseFile))
}

// IsLicenseFile reports whether a file name is one DetectFolder reads:
// README.md, or LICENSE, LICENCE, COPYING or NOTICE in any case, alone or
// followed by '.', '-' or '_' and more (LICENSE.txt, LICENSE-MIT).
func IsLicenseFile(name string) bool {
	n := strings.ToUpper(name)
	if n == "README.MD" {
		return true
	}
	for _, p := range []string{"LICENSE", "LICENCE", "COPYING", "NOTICE"} {
		if rest, ok := strings.CutPrefix(n, p); ok && (rest == "" || strings.ContainsRune(".-_", rune(rest[0]))) {
			return true
		}
	}
	return false
}

// DetectFiles identifies the license files among files (path → content),
// e.g. a bundle's doc layers, as DetectFolder does; sorted by file, then id.
func (d *Detector) DetectFiles(files map[string][]byte) []Detection {
	var out []Detection
	for name, b := range files {
		if IsLicenseFile(path.Base(name)) {
			out = append(out, d.DetectFile(name, b)...)
		}
	}
	sortDetections(out)
	return out
}

// DetectFile identifies one file's content. name is the file's path in the
// folder or bundle; its base name decides how it is read: README.md for its
// front matter, NOTICE for notice sentences, the others as license texts.
// A license text that matches nothing gives one Detection with no ID; a
// NOTICE or README.md that names no license gives none.
func (d *Detector) DetectFile(name string, content []byte) []Detection {
	base := strings.ToUpper(filepath.Base(name))
	var out []Detection
	switch {
	case base == "README.MD":
		out = cardDetections(name, content)
	case strings.HasPrefix(base, "NOTICE"):
		out = append(markerDetections(name, content, HowNotice), tagDetections(name, content)...)
	default:
		out = d.textDetections(name, content)
		if len(out) == 0 {
			out = []Detection{{File: name, How: HowText}}
		}
	}
	sortDetections(out)
	return dedupe(out)
}

// textDetections identifies a LICENSE or COPYING file.
func (d *Detector) textDetections(name string, content []byte) []Detection {
	out := append(ckptHeader(name, content), tagDetections(name, content)...)
	marks := markerDetections(name, content, HowMarker)
	mnpl := false
	for _, m := range marks {
		mnpl = mnpl || m.ID == "LicenseRef-MNPL-0.1"
	}
	for _, m := range d.c.Match(content).Matches {
		if m.MatchType != "License" {
			continue
		}
		id := classifierID(m.Name)
		if mnpl && id == "LicenseRef-MRL-0.1" {
			continue // the two agreements share their clauses; the title decides
		}
		out = append(out, Detection{File: name, ID: id, Confidence: round(m.Confidence), How: HowText})
	}
	return append(out, marks...)
}

// classifierID turns a corpus name into an SPDX id, or a LicenseRef for the
// corpus's names that SPDX lacks.
func classifierID(n string) string {
	if strings.HasPrefix(n, "LicenseRef-") {
		return n
	}
	if e, err := Parse(n); err == nil && len(e.Licenses()) == 1 {
		return e.Licenses()[0]
	}
	return "LicenseRef-" + strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '-'
	}, n)
}

func round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

func sortDetections(ds []Detection) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].File != ds[j].File {
			return ds[i].File < ds[j].File
		}
		return ds[i].ID < ds[j].ID
	})
}

// dedupe keeps, for each file and id, the most confident detection (ds is
// sorted by file and id).
func dedupe(ds []Detection) []Detection {
	var out []Detection
	for _, d := range ds {
		if n := len(out); n > 0 && out[n-1].File == d.File && out[n-1].ID == d.ID {
			if d.Confidence > out[n-1].Confidence {
				out[n-1] = d
			}
			continue
		}
		out = append(out, d)
	}
	return out
}
