package lora

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize parses a shard size: a byte count or a number with KB, MB, GB
// (powers of 1000, as transformers) or KiB, MiB, GiB. Empty is 0.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := 1.0
	num := s
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) && (u.suffix == strings.ToUpper(u.suffix) || strings.HasSuffix(s, u.suffix)) {
			num, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || v*mult > 1<<50 {
		return 0, fmt.Errorf("shard_size %q: want a positive size such as 5GB or 500MiB", s)
	}
	return int64(v * mult), nil
}
