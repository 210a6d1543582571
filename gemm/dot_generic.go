//go:build !amd64 || noasm

package gemm

// activeDot is DotRows' kernel on this machine.
var activeDot dotKernel = dotGo

// FastDot reports whether DotRows runs on an assembly kernel here.
func FastDot() bool { return false }
