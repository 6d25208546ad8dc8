package license

import (
	"slices"
	"strings"
	"sync"
)

// Term is one permission of a license and the clause it comes from.
type Term struct {
	Allowed bool   `json:"allowed"`
	Clause  string `json:"clause,omitempty"`
}

// Terms are the terms of one license that matter to a release.
type Terms struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
	// Commercial is use by or for a business, in revenue-directed work.
	Commercial Term `json:"commercial"`
	// Production is use in a deployed service or product (ckpt also
	// requires Commercial for it).
	Production Term `json:"production"`
	// Redistribute is giving copies (weights, adapters, merges) to others.
	Redistribute Term `json:"redistribute"`
	// Derivatives is making and sharing modified versions (fine-tunes,
	// merged adapters).
	Derivatives Term `json:"derivatives"`
	// RedistributeWarning is a condition on redistribution that ckpt cannot
	// check (who redistributes); a policy with redistribute = true gets it
	// as a warning.
	RedistributeWarning string `json:"redistribute_warning,omitempty"`
	// Notice is the text a NOTICE file must contain when the work is
	// redistributed; empty when the license requires none.
	Notice string `json:"notice,omitempty"`
	// ModifiedNotice: a derivative must carry a prominent notice that it
	// was modified.
	ModifiedNotice bool `json:"modified_notice,omitempty"`
	// Conditions are other obligations, in a few words each.
	Conditions []string `json:"conditions,omitempty"`
}

func yes(clause string) Term { return Term{Allowed: true, Clause: clause} }
func no(clause string) Term  { return Term{Allowed: false, Clause: clause} }

// Lookup returns the terms of a license id (case-insensitive), or false
// when ckpt does not know it.
func Lookup(id string) (Terms, bool) {
	t, ok := index()[strings.ToUpper(id)]
	t.Conditions = slices.Clone(t.Conditions)
	return t, ok
}

// index is the table by upper-case id, built once; it is never modified.
var index = sync.OnceValue(func() map[string]Terms {
	m := map[string]Terms{}
	for _, t := range table() {
		m[strings.ToUpper(t.ID)] = t
	}
	return m
})

// Known returns the ids of every license in the table, in table order.
func Known() []string {
	tb := table()
	ids := make([]string, len(tb))
	for i, t := range tb {
		ids[i] = t.ID
	}
	return ids
}

// Pointer is where the full text of a license is found.
func (t Terms) Pointer() string {
	if t.URL != "" {
		return t.URL
	}
	return "https://spdx.org/licenses/" + t.ID + ".html"
}

func table() []Terms {
	var out []Terms
	for _, f := range []func() []Terms{mistral, permissive, creativeCommons, dataLicenses, rail, llama} {
		out = append(out, f()...)
	}
	return out
}

// mistral models formats.md §8 (MRL-0.1, MNPL-0.1).
func mistral() []Terms {
	const mrl = "MRL-0.1 §3.2: research purposes only (personal, scientific or academic, non-commercial); " +
		"excludes staff or contractor use in daily or revenue-directed work, tests and PoCs included"
	const mnpl = "MNPL-0.1 §3.2: testing, research, personal or evaluation use in non-production only; " +
		"no supplying it in a commercial activity"
	return []Terms{{
		ID: "LicenseRef-MRL-0.1", Name: "Mistral AI Research License 0.1",
		URL:        "https://mistral.ai/licenses/MRL-0.1.md",
		Commercial: no(mrl), Production: no(mrl),
		Redistribute: yes("MRL-0.1 §2.2: include the agreement and a NOTICE file; §3.2: no distribution by a commercial entity, " +
			"paid or free, SaaS included"),
		Derivatives: yes("MRL-0.1 §2.3: derivatives stay research-only (§4.3), carry prominent notices that the model was modified, " +
			"no conflicting terms; §3.1 no passing off as official"),
		RedistributeWarning: "MRL-0.1 §3.2 forbids any distribution by a commercial entity, paid or free, SaaS included; " +
			"§2.2 requires the agreement and the NOTICE with every copy",
		Notice:         "Licensed by Mistral AI under the Mistral AI Research License",
		ModifiedNotice: true,
		Conditions:     []string{"§7.2 termination on breach: delete all copies", "governed by French law"},
	}, {
		ID: "LicenseRef-MNPL-0.1", Name: "Mistral AI Non-Production License 0.1",
		URL:        "https://mistral.ai/licences/MNPL-0.1.md",
		Commercial: no(mnpl), Production: no(mnpl),
		Redistribute: yes("MNPL-0.1: include the agreement and a NOTICE file"),
		Derivatives:  yes("MNPL-0.1: derivatives stay non-production, with prominent notices that the model was modified"),
		RedistributeWarning: "MNPL-0.1 §3.2 forbids supplying the model in a commercial activity; " +
			"the agreement and the NOTICE go with every copy",
		Notice:         "Licensed by Mistral AI under the Mistral AI Non-Production License",
		ModifiedNotice: true,
	}}
}

// open is a license that allows every use, with a condition clause.
func open(id, name, clause string, modified bool, conditions ...string) Terms {
	return Terms{ID: id, Name: name, Commercial: yes(clause), Production: yes(clause),
		Redistribute: yes(clause), Derivatives: yes(clause), ModifiedNotice: modified, Conditions: conditions}
}

func permissive() []Terms {
	keep := "keep the copyright notice and the license text"
	return []Terms{
		open("Apache-2.0", "Apache License 2.0", "Apache-2.0 §2-§4", true,
			"§4(a) give recipients a copy of the license", "§4(b) modified files carry prominent change notices",
			"§4(d) carry forward the attribution notices of any NOTICE file of the work"),
		open("MIT", "MIT License", "MIT", false, keep),
		open("BSD-2-Clause", "BSD 2-Clause License", "BSD-2-Clause", false, keep),
		open("BSD-3-Clause", "BSD 3-Clause License", "BSD-3-Clause", false, keep, "no endorsement with the authors' names"),
		open("0BSD", "BSD Zero Clause License", "0BSD", false),
		open("ISC", "ISC License", "ISC", false, keep),
		open("Unlicense", "The Unlicense", "Unlicense", false),
		open("CC0-1.0", "Creative Commons Zero v1.0 Universal", "CC0-1.0", false),
		open("OpenMDW-1.0", "OpenMDW License 1.0", "OpenMDW-1.0", false, keep),
	}
}

func creativeCommons() []Terms {
	attrib := "§3(a) attribution: credit the creator, link the license, indicate modifications"
	nc := func(v string) Term {
		return no(v + " §2(a)(1): NonCommercial, use not primarily intended for commercial advantage")
	}
	nd := func(v string) Term { return no(v + " §2(a)(1)(B): NoDerivatives, share only unmodified copies") }
	sa := "§3(b) ShareAlike: adaptations are shared under the same license"
	return []Terms{
		open("CC-BY-4.0", "Creative Commons Attribution 4.0", "CC-BY-4.0 §2(a)", true, attrib),
		open("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0", "CC-BY-SA-4.0 §2(a)", true, attrib, sa),
		{ID: "CC-BY-NC-4.0", Name: "Creative Commons Attribution Non Commercial 4.0",
			Commercial: nc("CC-BY-NC-4.0"), Production: yes("CC-BY-NC-4.0 §2(a) (non-commercial only)"),
			Redistribute: yes("CC-BY-NC-4.0 §2(a)(1)(B)"), Derivatives: yes("CC-BY-NC-4.0 §2(a)(1)(B)"),
			ModifiedNotice: true, Conditions: []string{attrib}},
		{ID: "CC-BY-NC-SA-4.0", Name: "Creative Commons Attribution Non Commercial Share Alike 4.0",
			Commercial: nc("CC-BY-NC-SA-4.0"), Production: yes("CC-BY-NC-SA-4.0 §2(a) (non-commercial only)"),
			Redistribute: yes("CC-BY-NC-SA-4.0 §2(a)(1)(B)"), Derivatives: yes("CC-BY-NC-SA-4.0 §2(a)(1)(B)"),
			ModifiedNotice: true, Conditions: []string{attrib, sa}},
		{ID: "CC-BY-ND-4.0", Name: "Creative Commons Attribution No Derivatives 4.0",
			Commercial: yes("CC-BY-ND-4.0 §2(a)"), Production: yes("CC-BY-ND-4.0 §2(a)"),
			Redistribute: yes("CC-BY-ND-4.0 §2(a)(1)(A)"), Derivatives: nd("CC-BY-ND-4.0"), Conditions: []string{attrib}},
		{ID: "CC-BY-NC-ND-4.0", Name: "Creative Commons Attribution Non Commercial No Derivatives 4.0",
			Commercial: nc("CC-BY-NC-ND-4.0"), Production: yes("CC-BY-NC-ND-4.0 §2(a) (non-commercial only)"),
			Redistribute: yes("CC-BY-NC-ND-4.0 §2(a)(1)(A)"), Derivatives: nd("CC-BY-NC-ND-4.0"), Conditions: []string{attrib}},
	}
}

// dataLicenses are common dataset licenses (adapters' training data).
func dataLicenses() []Terms {
	return []Terms{
		open("CDLA-Permissive-2.0", "Community Data License Agreement Permissive 2.0", "CDLA-Permissive-2.0 §2", false,
			"§3.1 make the agreement text or a link available when sharing the data"),
		open("CDLA-Sharing-1.0", "Community Data License Agreement Sharing 1.0", "CDLA-Sharing-1.0 §3", false,
			"data shared under the same agreement; results (models) are not bound"),
		open("ODC-By-1.0", "Open Data Commons Attribution License v1.0", "ODC-By-1.0 §3", false, "§4.2 attribution"),
		open("ODbL-1.0", "Open Data Commons Open Database License v1.0", "ODbL-1.0 §3", false,
			"§4.2 attribution", "§4.4 share-alike for derivative databases"),
	}
}

// rail is the OpenRAIL family; SPDX 3.29 does not list it, hence LicenseRef.
func rail() []Terms {
	mk := func(id, name, url string) Terms {
		t := open(id, name, id+": use-based restrictions (Attachment A)", true,
			"use-based restrictions (Attachment A) bind every use and must be passed on, as enforceable terms, "+
				"to every recipient of the model or a derivative",
			"give recipients a copy of the license", "modified files carry a prominent change notice")
		t.URL = url
		return t
	}
	return []Terms{
		mk("LicenseRef-OpenRAIL-M", "Open RAIL-M License", "https://www.licenses.ai/ai-pubs-open-railm-vz1"),
		mk("LicenseRef-OpenRAIL", "Open RAIL License", "https://huggingface.co/blog/open_rail"),
		mk("LicenseRef-OpenRAIL-PlusPlus", "CreativeML Open RAIL++-M License",
			"https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/blob/main/LICENSE.md"),
		mk("LicenseRef-CreativeML-OpenRAIL-M", "CreativeML Open RAIL-M License",
			"https://huggingface.co/spaces/CompVis/stable-diffusion-license"),
		mk("LicenseRef-BigScience-OpenRAIL-M", "BigScience Open RAIL-M License",
			"https://bigscience.huggingface.co/blog/bigscience-openrail-m"),
		mk("LicenseRef-BigScience-BLOOM-RAIL-1.0", "BigScience BLOOM RAIL License v1.0",
			"https://bigscience.huggingface.co/blog/the-bigscience-rail-license"),
		mk("LicenseRef-BigCode-OpenRAIL-M", "BigCode Open RAIL-M License v1",
			"https://www.bigcode-project.org/docs/pages/bigcode-openrail/"),
	}
}

// llama is Meta's community licenses (and Google's Gemma terms).
func llama() []Terms {
	mau := "§2 additional commercial terms: more than 700 million monthly active users need a separate license from Meta"
	mk := func(v, notice, url string, built bool) Terms {
		t := open("LicenseRef-Llama-"+v, "Llama "+v+" Community License Agreement", "Llama "+v+" §1.a", false,
			mau, "comply with the Acceptable Use Policy", "do not use outputs to improve other large language models (Llama 2 §1.v)")
		t.Commercial = yes("Llama " + v + " §1.a; " + mau)
		t.Redistribute = yes("Llama " + v + " §1.b: give a copy of the agreement and keep the attribution notice")
		t.Notice = notice
		t.URL = url
		if built {
			t.Conditions = []string{mau, "comply with the Acceptable Use Policy",
				"§1.b.i display \"Built with Llama\" and start a derivative model's name with \"Llama\""}
		}
		return t
	}
	meta := "Copyright © Meta Platforms, Inc. All Rights Reserved."
	gemma := open("LicenseRef-Gemma", "Gemma Terms of Use", "Gemma Terms of Use §3", true,
		"pass on the use restrictions of the Gemma Prohibited Use Policy", "modified files carry a prominent change notice")
	gemma.Notice = "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms"
	gemma.URL = "https://ai.google.dev/gemma/terms"
	return []Terms{
		mk("2", "Llama 2 is licensed under the LLAMA 2 Community License, Copyright (c) Meta Platforms, Inc. All Rights Reserved.",
			"https://ai.meta.com/llama/license/", false),
		mk("3", "Meta Llama 3 is licensed under the Meta Llama 3 Community License, "+meta,
			"https://llama.meta.com/llama3/license/", true),
		mk("3.1", "Llama 3.1 is licensed under the Llama 3.1 Community License, "+meta,
			"https://www.llama.com/llama3_1/license/", true),
		mk("3.2", "Llama 3.2 is licensed under the Llama 3.2 Community License, "+meta,
			"https://www.llama.com/llama3_2/license/", true),
		mk("3.3", "Llama 3.3 is licensed under the Llama 3.3 Community License, "+meta,
			"https://www.llama.com/llama3_3/license/", true),
		gemma,
	}
}
