package cpuclock

import (
	"runtime"
	"testing"
	"time"
)

func TestProcessAdvancesWithWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU time is read on unix; checked on linux")
	}
	start := Process()
	if start <= 0 {
		t.Fatalf("Process() = %v at start; a running test has used CPU", start)
	}
	// Busy work until 10 ms of CPU are counted; a busy machine only makes
	// it take longer.
	x := 0.0
	wallStart := time.Now()
	for Process()-start < 10*time.Millisecond {
		if time.Since(wallStart) > 10*time.Second {
			t.Fatalf("10 s of busy work counted %v of CPU", Process()-start)
		}
		for i := range 100000 {
			x += float64(i)
		}
	}
	if wall := time.Since(wallStart); wall < 5*time.Millisecond {
		t.Errorf("10 ms of CPU counted in %v of wall time on one goroutine (x=%v)", wall, x)
	}
}
