//go:build !amd64 || noasm

package gemm

// activeKernel is the micro-kernel chosen for this machine.
var activeKernel = goKernel

// kernels lists the micro-kernels usable on this machine, fastest first.
var kernels = []*microKernel{goKernel}

// activeIndirect is MulIndirect's micro-kernel on this machine.
var activeIndirect = goIndirect

// indirectKernels lists the MulIndirect micro-kernels usable here.
var indirectKernels = []*indirectKernel{goIndirect}

// runAsm and runAsmIndirect are never called without assembly kernels:
// every kernel here has id 0.
func runAsm(id kernelID, mr, nr int, masked bool, kc int, a, b []float32, d *tileDesc) {
	panic("gemm: no assembly kernels in this build")
}

func runAsmIndirect(id kernelID, astride, nr int, masked bool, rows, kc int, a, b []float32, off []int, d *tileDesc) {
	panic("gemm: no assembly kernels in this build")
}
