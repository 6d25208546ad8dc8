package layer

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock measures the CPU time a benchmark used, so that a figure taken
// on a busy shared machine still says how fast the code is: MB per
// CPU-second ("MB/cpu-s"); on an idle machine with P cores the wall-clock
// rate approaches P times that when the code scales.
type cpuClock struct{ start time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{cpuTime()} }

func (c cpuClock) report(b *testing.B, bytes int) {
	used := (cpuTime() - c.start).Seconds()
	if used > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/used/1e6, "MB/cpu-s")
	}
}
