package spec

import "github.com/hashicorp/hcl/v2"

// Range is a span of a spec file as JSON shows it (validate --json, build
// events): lines and columns from 1, bytes from 0.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in a spec file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// RangeOf converts an HCL range; nil stays nil.
func RangeOf(r *hcl.Range) *Range {
	if r == nil {
		return nil
	}
	return &Range{Filename: r.Filename, Start: Pos{r.Start.Line, r.Start.Column, r.Start.Byte},
		End: Pos{r.End.Line, r.End.Column, r.End.Byte}}
}
