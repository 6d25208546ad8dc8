// Package license models the licenses of open-weight checkpoints: SPDX
// expressions (LicenseRef-* allowed), a table of the terms that matter for
// each known license (commercial use, production use, redistribution,
// derivatives, required notices), policy evaluation over an artifact's
// lineage, the LICENSE and NOTICE files a bundle carries, and the license
// report (ckpt's own JSON and SPDX 2.3 JSON).
//
// The Mistral AI Research License is LicenseRef-MRL-0.1 and the Mistral AI
// Non-Production License LicenseRef-MNPL-0.1. A license that is not in the
// table is "unknown": it is never assumed permissive.
package license
