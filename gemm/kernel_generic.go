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
