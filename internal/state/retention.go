package state

import "sync"

// Retention is ckpt gc's policy: it keeps every store name but the cache
// entries that none of the last few builds of the ledger used (step
// names and names ckpt did not write stay). It reads the ledger at its
// first question, when the store's Prune holds the store alone, so that a
// build that ended just before is counted. When the ledger cannot be read
// it keeps every name and Err says why.
type Retention struct {
	ledger string
	builds int
	once   sync.Once
	used   map[string]bool
	err    error
}

// Retention returns gc's policy over the ledger of d, keeping the cache
// entries of the last builds builds.
func (d Dir) Retention(builds int) *Retention { return &Retention{ledger: d.Ledger(), builds: builds} }

// Keep reports whether gc keeps the store name.
func (r *Retention) Keep(name string) bool {
	r.once.Do(r.load)
	return r.err != nil || !IsCacheTag(name) || r.used[name]
}

// Err is the error reading the ledger, if Keep met one.
func (r *Retention) Err() error { return r.err }

func (r *Retention) load() {
	entries, err := ReadLedger(r.ledger)
	r.err = err
	r.used = map[string]bool{}
	for _, e := range entries[max(0, len(entries)-r.builds):] {
		for _, s := range e.Steps {
			if s.CacheKey != "" {
				r.used[CacheTag(s.CacheKey)] = true
			}
		}
	}
}
