package state

import (
	"errors"
	"sync"
)

// Retention is ckpt gc's policy for one project over a store that other
// projects may share: it keeps every store name but the cache entries that
// none of the project's last few builds used, nor the last builds of any
// other project recorded among the store's users (Use) — at least one
// build each, so that gc for one project never makes another rebuild. Step
// names and names ckpt did not write stay. It reads the ledgers at its
// first question, when the store's Prune holds the store alone, so that a
// build that ended just before is counted. When a ledger or the users
// record cannot be read it keeps every name and Err says why.
type Retention struct {
	d      Dir
	store  string
	builds int
	once   sync.Once
	used   map[string]bool
	err    error
}

// Retention returns gc's policy for project d over the store at store,
// keeping the cache entries of d's last builds builds.
func (d Dir) Retention(store string, builds int) *Retention {
	return &Retention{d: d, store: store, builds: builds}
}

// Keep reports whether gc keeps the store name.
func (r *Retention) Keep(name string) bool {
	r.once.Do(r.load)
	return r.err != nil || !IsCacheTag(name) || r.used[name]
}

// Err is the error reading a ledger or the users record, if Keep met one.
func (r *Retention) Err() error { return r.err }

func (r *Retention) load() {
	r.used = map[string]bool{}
	r.err = r.use(r.d, r.builds)
	users, err := Users(r.store)
	r.err = errors.Join(r.err, err)
	for _, u := range users {
		if u.abs() != r.d.abs() {
			r.err = errors.Join(r.err, r.use(u, max(r.builds, 1)))
		}
	}
}

// use marks the cache entries of the last builds builds of d's ledger.
func (r *Retention) use(d Dir, builds int) error {
	entries, err := ReadLedger(d.Ledger())
	for _, e := range entries[max(0, len(entries)-builds):] {
		for _, s := range e.Steps {
			if s.CacheKey != "" {
				r.used[CacheTag(s.CacheKey)] = true
			}
		}
	}
	return err
}
