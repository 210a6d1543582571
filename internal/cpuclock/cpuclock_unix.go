//go:build unix

// Package cpuclock reads the CPU time the process has used: the steadier
// figure when benchmarks share a busy machine.
package cpuclock

import (
	"syscall"
	"time"
)

// Process returns the CPU time (user + system, all threads) the process
// has used so far, or 0 where it cannot be read.
func Process() time.Duration {
	var r syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r) != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
