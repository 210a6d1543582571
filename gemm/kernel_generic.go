//go:build !amd64 || noasm

package gemm

// activeKernel is the micro-kernel chosen for this machine.
var activeKernel = goKernel

// kernels lists the micro-kernels usable on this machine, fastest first.
var kernels = []*microKernel{goKernel}
