package state

import "strings"

// Name prefixes of the store entries the scheduler writes. Every other
// name in a store is the user's.
const (
	cachePrefix = "cache-"
	stepPrefix  = "step-"
)

// CacheTag is the store name of the artifact of the step whose cache key
// is key ("sha256:<hex>" → "cache-<hex>").
func CacheTag(key string) string { return cachePrefix + strings.TrimPrefix(key, "sha256:") }

// StepTag is the store name of a step's artifact from the last build in
// which the step succeeded ("step-KIND.NAME").
func StepTag(address string) string { return stepPrefix + address }

// IsCacheTag reports whether name is a cache entry (see CacheTag).
func IsCacheTag(name string) bool { return strings.HasPrefix(name, cachePrefix) }
