//go:build !unix

// Package cpuclock reads the CPU time the process has used: the steadier
// figure when benchmarks share a busy machine.
package cpuclock

import "time"

// Process returns 0: CPU time is not read on this system.
func Process() time.Duration { return 0 }
