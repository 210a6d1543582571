package train

import (
	"runtime"

	"github.com/aerofill/aerofill/gemm"
)

// parallelRange splits [0, n) into contiguous runs, one per core, and
// calls fn on each; small ranges run on the caller's goroutine.
func parallelRange(n int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/4096)
	if parts <= 1 {
		fn(0, n)
		return
	}
	gemm.Parallel(parts, func(p int) { fn(p*n/parts, (p+1)*n/parts) })
}
