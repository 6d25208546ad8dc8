package state

import "strings"

// Name prefixes of the store entries the scheduler writes. Every other
// name in a store is the user's.
const (
	cachePrefix = "cache-"
	stepPrefix  = "step-"
)

// CacheTag is the store name of the artifact of the step whose cache key
// is key ("sha256:<hex>" → "cache-<hex>"). Cache entries are shared by
// every project that uses the store: the key names the work, not who did it.
func CacheTag(key string) string { return cachePrefix + strings.TrimPrefix(key, "sha256:") }

// StepTag is the store name of the project's artifact of a step from the
// last build in which the step succeeded ("step-<id>.KIND.NAME", id being
// d.ID()), so that projects sharing a store with the same step names keep
// their own. It is what gc keeps of each project beyond its cache entries;
// ckpt export reads the ledger's digest.
func (d Dir) StepTag(address string) string { return stepPrefix + d.ID() + "." + address }

// IsCacheTag reports whether name is a cache entry (see CacheTag).
func IsCacheTag(name string) bool { return strings.HasPrefix(name, cachePrefix) }
