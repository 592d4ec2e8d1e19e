//go:build unix

package chainbench

import (
	"syscall"
	"time"
)

// CPUTime returns the process's user+system CPU time. On a shared machine
// it is steadier than wall time for MB/s per core.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
