//go:build !noasm

#include "textflag.h"

// AVX-512 versions of stage.radix2, 3, 4 and 5 (cfft.go): each call runs a
// whole Stockham stage, 8 float64 lanes at a time along the contiguous
// blocks, with a masked vector for the last bl mod 8 values of a block.
//
// Registers, common to all kernels:
//   SI, DI    x re, im: block j of input 0, current value
//   R8        S1 = m·bl·8, bytes between input r and r+1 (R10 = 3·S1)
//   R11, R12  y re, im: block p·j of output 0, current value
//   R13       B1 = bl·8, bytes between output k and k+1 (R15 = 3·B1)
//   AX        twiddles of butterfly j: (re, im) for k = 1 … p−1
//   CX        values of the block still to do
//   DX        butterflies still to do
//   K1        mask of the current vector; K2 all 8 lanes; K3 the last, partial one

#define LD(addr, z) VMOVUPD.Z addr, K1, z
#define ST(z, addr) VMOVUPD z, K1, addr

// (tr, ti) = (br, bi)·(wr, wi)
#define CMUL(br, bi, wr, wi, tr, ti) \
	VMULPD wi, bi, tr; \
	VMULPD wr, bi, ti; \
	VFMSUB231PD wr, br, tr; \
	VFMADD231PD wi, br, ti

#define PROLOGUE \
	MOVQ  xr+0(FP), SI; \
	MOVQ  xi+8(FP), DI; \
	MOVQ  yr+16(FP), R11; \
	MOVQ  yi+24(FP), R12; \
	MOVQ  tw+32(FP), AX; \
	MOVQ  m+40(FP), DX; \
	MOVQ  bl+48(FP), R13; \
	MOVQ  DX, R8; \
	IMULQ R13, R8; \
	SHLQ  $3, R8; \
	LEAQ  (R8)(R8*2), R10; \
	MOVQ  R13, CX; \
	ANDQ  $7, CX; \
	MOVL  $1, BX; \
	SHLL  CX, BX; \
	DECL  BX; \
	KMOVW BX, K3; \
	MOVL  $0xff, BX; \
	KMOVW BX, K2; \
	SHLQ  $3, R13; \
	LEAQ  (R13)(R13*2), R15

// Choose the mask for the vector at CX (values left in the block).
#define MASK(label) \
	KMOVW K2, K1; \
	CMPQ  CX, $8; \
	JGE   label; \
	KMOVW K3, K1; \
label:

#define ADVANCE \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R11; \
	ADDQ $64, R12

// After a block, CX ≤ 0 is minus the overshoot of the last vector: step back
// by it, then skip the other p−1 output blocks (outskip bytes).
#define NEXTBLOCK(outskip) \
	LEAQ (SI)(CX*8), SI; \
	LEAQ (DI)(CX*8), DI; \
	LEAQ (R11)(CX*8), R11; \
	LEAQ (R12)(CX*8), R12; \
	ADDQ outskip, R11; \
	ADDQ outskip, R12

// ---- radix 2 ----------------------------------------------------------

// y0 = a0 + a1 in Z4, Z5; y1 = a0 − a1 in Z6, Z7.
#define BFLY2 \
	LD((SI), Z0); \
	LD((DI), Z1); \
	LD((SI)(R8*1), Z2); \
	LD((DI)(R8*1), Z3); \
	VADDPD Z2, Z0, Z4; \
	VADDPD Z3, Z1, Z5; \
	VSUBPD Z2, Z0, Z6; \
	VSUBPD Z3, Z1, Z7; \
	ST(Z4, (R11)); \
	ST(Z5, (R12))

// func butterfly2AVX512(xr, xi, yr, yi, tw *float64, m, bl int)
TEXT ·butterfly2AVX512(SB), NOSPLIT, $0-56
	PROLOGUE
	CMPQ DX, $1
	JEQ  r2notw

r2j:
	VBROADCASTSD 0(AX), Z24
	VBROADCASTSD 8(AX), Z25
	MOVQ         bl+48(FP), CX

r2t:
	MASK(r2body)
	BFLY2
	CMUL(Z6, Z7, Z24, Z25, Z8, Z9)
	ST(Z8, (R11)(R13*1))
	ST(Z9, (R12)(R13*1))
	ADVANCE
	SUBQ $8, CX
	JGT  r2t
	NEXTBLOCK(R13)
	ADDQ $16, AX
	DECQ DX
	JNZ  r2j
	VZEROUPPER
	RET

r2notw:
	MOVQ bl+48(FP), CX

r2nt:
	MASK(r2nbody)
	BFLY2
	ST(Z6, (R11)(R13*1))
	ST(Z7, (R12)(R13*1))
	ADVANCE
	SUBQ $8, CX
	JGT  r2nt
	VZEROUPPER
	RET

// ---- radix 3 ----------------------------------------------------------

// Z30 = 1/2, Z31 = sin(2π/3)
#define CONST3 \
	MOVQ         $0x3fe0000000000000, BX; \
	VPBROADCASTQ BX, Z30; \
	MOVQ         $0x3febb67ae8584caa, BX; \
	VPBROADCASTQ BX, Z31

// y0 stored; b1 = m − i·c·d in Z14, Z15; b2 = m + i·c·d in Z16, Z17, where
// s = a1 + a2, d = a1 − a2, m = a0 − s/2, c = sin(2π/3).
#define BFLY3 \
	LD((SI), Z0); \
	LD((DI), Z1); \
	LD((SI)(R8*1), Z2); \
	LD((DI)(R8*1), Z3); \
	LD((SI)(R8*2), Z4); \
	LD((DI)(R8*2), Z5); \
	VADDPD       Z4, Z2, Z6; \
	VADDPD       Z5, Z3, Z7; \
	VSUBPD       Z4, Z2, Z8; \
	VSUBPD       Z5, Z3, Z9; \
	VADDPD       Z6, Z0, Z10; \
	VADDPD       Z7, Z1, Z11; \
	ST(Z10, (R11)); \
	ST(Z11, (R12)); \
	VFNMADD231PD Z30, Z6, Z0; \
	VFNMADD231PD Z30, Z7, Z1; \
	VMULPD       Z31, Z9, Z18; \
	VMULPD       Z31, Z8, Z19; \
	VADDPD       Z18, Z0, Z14; \
	VSUBPD       Z19, Z1, Z15; \
	VSUBPD       Z18, Z0, Z16; \
	VADDPD       Z19, Z1, Z17

// func butterfly3AVX512(xr, xi, yr, yi, tw *float64, m, bl int)
TEXT ·butterfly3AVX512(SB), NOSPLIT, $0-56
	PROLOGUE
	CONST3
	LEAQ (R13)(R13*1), R9 // 2·B1: output blocks to skip
	CMPQ DX, $1
	JEQ  r3notw

r3j:
	VBROADCASTSD 0(AX), Z24
	VBROADCASTSD 8(AX), Z25
	VBROADCASTSD 16(AX), Z26
	VBROADCASTSD 24(AX), Z27
	MOVQ         bl+48(FP), CX

r3t:
	MASK(r3body)
	BFLY3
	CMUL(Z14, Z15, Z24, Z25, Z2, Z3)
	CMUL(Z16, Z17, Z26, Z27, Z4, Z5)
	ST(Z2, (R11)(R13*1))
	ST(Z3, (R12)(R13*1))
	ST(Z4, (R11)(R13*2))
	ST(Z5, (R12)(R13*2))
	ADVANCE
	SUBQ $8, CX
	JGT  r3t
	NEXTBLOCK(R9)
	ADDQ $32, AX
	DECQ DX
	JNZ  r3j
	VZEROUPPER
	RET

r3notw:
	MOVQ bl+48(FP), CX

r3nt:
	MASK(r3nbody)
	BFLY3
	ST(Z14, (R11)(R13*1))
	ST(Z15, (R12)(R13*1))
	ST(Z16, (R11)(R13*2))
	ST(Z17, (R12)(R13*2))
	ADVANCE
	SUBQ $8, CX
	JGT  r3nt
	VZEROUPPER
	RET

// ---- radix 4 ----------------------------------------------------------

// y0 stored; b1 = t1 − i·t3 in Z4, Z5; b2 = t0 − t2 in Z2, Z3;
// b3 = t1 + i·t3 in Z6, Z7; where t0 = a0 + a2, t1 = a0 − a2, t2 = a1 + a3,
// t3 = a1 − a3.
#define BFLY4 \
	LD((SI), Z0); \
	LD((DI), Z1); \
	LD((SI)(R8*1), Z2); \
	LD((DI)(R8*1), Z3); \
	LD((SI)(R8*2), Z4); \
	LD((DI)(R8*2), Z5); \
	LD((SI)(R10*1), Z6); \
	LD((DI)(R10*1), Z7); \
	VADDPD Z4, Z0, Z8; \
	VADDPD Z5, Z1, Z9; \
	VSUBPD Z4, Z0, Z10; \
	VSUBPD Z5, Z1, Z11; \
	VADDPD Z6, Z2, Z12; \
	VADDPD Z7, Z3, Z13; \
	VSUBPD Z6, Z2, Z14; \
	VSUBPD Z7, Z3, Z15; \
	VADDPD Z12, Z8, Z0; \
	VADDPD Z13, Z9, Z1; \
	ST(Z0, (R11)); \
	ST(Z1, (R12)); \
	VSUBPD Z12, Z8, Z2; \
	VSUBPD Z13, Z9, Z3; \
	VADDPD Z15, Z10, Z4; \
	VSUBPD Z14, Z11, Z5; \
	VSUBPD Z15, Z10, Z6; \
	VADDPD Z14, Z11, Z7

// func butterfly4AVX512(xr, xi, yr, yi, tw *float64, m, bl int)
TEXT ·butterfly4AVX512(SB), NOSPLIT, $0-56
	PROLOGUE
	CMPQ DX, $1
	JEQ  r4notw

r4j:
	VBROADCASTSD 0(AX), Z24
	VBROADCASTSD 8(AX), Z25
	VBROADCASTSD 16(AX), Z26
	VBROADCASTSD 24(AX), Z27
	VBROADCASTSD 32(AX), Z28
	VBROADCASTSD 40(AX), Z29
	MOVQ         bl+48(FP), CX

r4t:
	MASK(r4body)
	BFLY4
	CMUL(Z4, Z5, Z24, Z25, Z16, Z17)
	CMUL(Z2, Z3, Z26, Z27, Z18, Z19)
	CMUL(Z6, Z7, Z28, Z29, Z20, Z21)
	ST(Z16, (R11)(R13*1))
	ST(Z17, (R12)(R13*1))
	ST(Z18, (R11)(R13*2))
	ST(Z19, (R12)(R13*2))
	ST(Z20, (R11)(R15*1))
	ST(Z21, (R12)(R15*1))
	ADVANCE
	SUBQ $8, CX
	JGT  r4t
	NEXTBLOCK(R15)
	ADDQ $48, AX
	DECQ DX
	JNZ  r4j
	VZEROUPPER
	RET

r4notw:
	MOVQ bl+48(FP), CX

r4nt:
	MASK(r4nbody)
	BFLY4
	ST(Z4, (R11)(R13*1))
	ST(Z5, (R12)(R13*1))
	ST(Z2, (R11)(R13*2))
	ST(Z3, (R12)(R13*2))
	ST(Z6, (R11)(R15*1))
	ST(Z7, (R12)(R15*1))
	ADVANCE
	SUBQ $8, CX
	JGT  r4nt
	VZEROUPPER
	RET

// ---- radix 5 ----------------------------------------------------------

// Z20 = cos(2π/5), Z21 = cos(4π/5), Z22 = sin(2π/5), Z23 = sin(4π/5)
#define CONST5 \
	MOVQ         $0x3fd3c6ef372fe950, BX; \
	VPBROADCASTQ BX, Z20; \
	MOVQ         $0xbfe9e3779b97f4a8, BX; \
	VPBROADCASTQ BX, Z21; \
	MOVQ         $0x3fee6f0e134454ff, BX; \
	VPBROADCASTQ BX, Z22; \
	MOVQ         $0x3fe2cf2304755a5e, BX; \
	VPBROADCASTQ BX, Z23

// With s1 = a1 + a4, d1 = a1 − a4, s2 = a2 + a3, d2 = a2 − a3:
// y0 = a0 + s1 + s2 (stored);
// A1 = a0 + cos72·s1 + cos144·s2, B1 = sin72·d1 + sin144·d2,
// b1 = A1 − i·B1 in Z6, Z7 and b4 = A1 + i·B1 in Z8, Z9;
// A2 = a0 + cos144·s1 + cos72·s2, B2 = sin144·d1 − sin72·d2,
// b2 = A2 − i·B2 in Z10, Z11 and b3 = A2 + i·B2 in Z12, Z13.
#define BFLY5 \
	LD((SI), Z0); \
	LD((DI), Z1); \
	LD((SI)(R8*1), Z2); \
	LD((DI)(R8*1), Z3); \
	LD((SI)(R8*2), Z4); \
	LD((DI)(R8*2), Z5); \
	LD((SI)(R10*1), Z6); \
	LD((DI)(R10*1), Z7); \
	LD((SI)(R8*4), Z8); \
	LD((DI)(R8*4), Z9); \
	VADDPD       Z8, Z2, Z10; \
	VADDPD       Z9, Z3, Z11; \
	VSUBPD       Z8, Z2, Z12; \
	VSUBPD       Z9, Z3, Z13; \
	VADDPD       Z6, Z4, Z14; \
	VADDPD       Z7, Z5, Z15; \
	VSUBPD       Z6, Z4, Z2; \
	VSUBPD       Z7, Z5, Z3; \
	VADDPD       Z10, Z0, Z16; \
	VADDPD       Z11, Z1, Z17; \
	VADDPD       Z14, Z16, Z16; \
	VADDPD       Z15, Z17, Z17; \
	ST(Z16, (R11)); \
	ST(Z17, (R12)); \
	VMOVAPD      Z0, Z18; \
	VMOVAPD      Z1, Z19; \
	VFMADD231PD  Z20, Z10, Z18; \
	VFMADD231PD  Z20, Z11, Z19; \
	VFMADD231PD  Z21, Z14, Z18; \
	VFMADD231PD  Z21, Z15, Z19; \
	VMULPD       Z22, Z12, Z4; \
	VMULPD       Z22, Z13, Z5; \
	VFMADD231PD  Z23, Z2, Z4; \
	VFMADD231PD  Z23, Z3, Z5; \
	VADDPD       Z5, Z18, Z6; \
	VSUBPD       Z4, Z19, Z7; \
	VSUBPD       Z5, Z18, Z8; \
	VADDPD       Z4, Z19, Z9; \
	VMOVAPD      Z0, Z18; \
	VMOVAPD      Z1, Z19; \
	VFMADD231PD  Z21, Z10, Z18; \
	VFMADD231PD  Z21, Z11, Z19; \
	VFMADD231PD  Z20, Z14, Z18; \
	VFMADD231PD  Z20, Z15, Z19; \
	VMULPD       Z23, Z12, Z4; \
	VMULPD       Z23, Z13, Z5; \
	VFNMADD231PD Z22, Z2, Z4; \
	VFNMADD231PD Z22, Z3, Z5; \
	VADDPD       Z5, Z18, Z10; \
	VSUBPD       Z4, Z19, Z11; \
	VSUBPD       Z5, Z18, Z12; \
	VADDPD       Z4, Z19, Z13

// func butterfly5AVX512(xr, xi, yr, yi, tw *float64, m, bl int)
TEXT ·butterfly5AVX512(SB), NOSPLIT, $0-56
	PROLOGUE
	CONST5
	MOVQ R13, R15
	SHLQ $2, R15          // 4·B1: output blocks to skip
	LEAQ (R13)(R13*2), R9 // 3·B1
	CMPQ DX, $1
	JEQ  r5notw

r5j:
	VBROADCASTSD 0(AX), Z24
	VBROADCASTSD 8(AX), Z25
	VBROADCASTSD 16(AX), Z26
	VBROADCASTSD 24(AX), Z27
	VBROADCASTSD 32(AX), Z28
	VBROADCASTSD 40(AX), Z29
	VBROADCASTSD 48(AX), Z30
	VBROADCASTSD 56(AX), Z31
	MOVQ         bl+48(FP), CX

r5t:
	MASK(r5body)
	BFLY5
	CMUL(Z6, Z7, Z24, Z25, Z0, Z1)
	ST(Z0, (R11)(R13*1))
	ST(Z1, (R12)(R13*1))
	CMUL(Z10, Z11, Z26, Z27, Z2, Z3)
	ST(Z2, (R11)(R13*2))
	ST(Z3, (R12)(R13*2))
	CMUL(Z12, Z13, Z28, Z29, Z4, Z5)
	ST(Z4, (R11)(R9*1))
	ST(Z5, (R12)(R9*1))
	CMUL(Z8, Z9, Z30, Z31, Z14, Z15)
	ST(Z14, (R11)(R13*4))
	ST(Z15, (R12)(R13*4))
	ADVANCE
	SUBQ $8, CX
	JGT  r5t
	NEXTBLOCK(R15)
	ADDQ $64, AX
	DECQ DX
	JNZ  r5j
	VZEROUPPER
	RET

r5notw:
	MOVQ bl+48(FP), CX

r5nt:
	MASK(r5nbody)
	BFLY5
	ST(Z6, (R11)(R13*1))
	ST(Z7, (R12)(R13*1))
	ST(Z10, (R11)(R13*2))
	ST(Z11, (R12)(R13*2))
	ST(Z12, (R11)(R9*1))
	ST(Z13, (R12)(R9*1))
	ST(Z8, (R11)(R13*4))
	ST(Z9, (R12)(R13*4))
	ADVANCE
	SUBQ $8, CX
	JGT  r5nt
	VZEROUPPER
	RET

// ---- odd prime radix p ≤ 127 ----------------------------------------------

// Frame: buf holds s_r = a_r + a_{p−r} and d_r = a_r − a_{p−r} (re, im) for
// r = 1 … h, 256 bytes each, h = (p−1)/2 ≤ 63; then five counters.
#define BUF buf-16128(SP)
#define H h-16136(SP)
#define KK kk-16144(SP)
#define TWSKIP twskip-16152(SP)
#define OUTSKIP outskip-16160(SP)
#define HIOFF hioff-16168(SP)

// func butterflyOddAVX512(xr, xi, yr, yi, tw *float64, m, bl, p int, cs *float64)
//
// Per vector: y_0 = a_0 + Σ s_r, and for k = 1 … h, with
// A = a_0 + Σ_r cos(2πkr/p)·s_r and B = Σ_r sin(2πkr/p)·d_r,
// y_k = A − i·B and y_{p−k} = A + i·B, each times its twiddle.
TEXT ·butterflyOddAVX512(SB), 0, $16168-72
	PROLOGUE
	MOVQ  p+56(FP), BX
	DECQ  BX
	MOVQ  BX, R10
	IMULQ R8, R10
	MOVQ  R10, HIOFF     // (p−1)·S1: input p−1
	MOVQ  BX, R10
	IMULQ R13, R10
	MOVQ  R10, OUTSKIP   // (p−1)·B1: output p−1
	MOVQ  BX, R10
	SHLQ  $4, R10
	MOVQ  R10, TWSKIP    // (p−1)·16: twiddles of one butterfly
	SHRQ  $1, BX
	MOVQ  BX, H

gj:
	MOVQ bl+48(FP), CX

gt:
	MASK(gbody)
	LD((SI), Z0)
	LD((DI), Z1)
	VMOVAPD Z0, Z2
	VMOVAPD Z1, Z3

	// s_r, d_r into buf; y_0 in Z2, Z3.
	MOVQ R8, R9
	MOVQ HIOFF, R10
	LEAQ BUF, R14
	MOVQ H, BX

ga:
	LD((SI)(R9*1), Z4)
	LD((DI)(R9*1), Z5)
	LD((SI)(R10*1), Z6)
	LD((DI)(R10*1), Z7)
	VADDPD  Z6, Z4, Z8
	VADDPD  Z7, Z5, Z9
	VSUBPD  Z6, Z4, Z10
	VSUBPD  Z7, Z5, Z11
	VMOVUPD Z8, (R14)
	VMOVUPD Z9, 64(R14)
	VMOVUPD Z10, 128(R14)
	VMOVUPD Z11, 192(R14)
	VADDPD  Z8, Z2, Z2
	VADDPD  Z9, Z3, Z3
	ADDQ    R8, R9
	SUBQ    R8, R10
	ADDQ    $256, R14
	DECQ    BX
	JNZ     ga
	ST(Z2, (R11))
	ST(Z3, (R12))

	// Outputs k and p−k at R9, R10 bytes from output 0.
	MOVQ cs+64(FP), R15
	MOVQ R13, R9
	MOVQ OUTSKIP, R10
	MOVQ $1, KK

gk:
	VMOVAPD Z0, Z4
	VMOVAPD Z1, Z5
	VXORPD  Z6, Z6, Z6
	VXORPD  Z7, Z7, Z7
	LEAQ    BUF, R14
	MOVQ    H, BX

gr:
	VBROADCASTSD (R15), Z8
	VBROADCASTSD 8(R15), Z9
	VFMADD231PD  (R14), Z8, Z4
	VFMADD231PD  64(R14), Z8, Z5
	VFMADD231PD  128(R14), Z9, Z6
	VFMADD231PD  192(R14), Z9, Z7
	ADDQ         $16, R15
	ADDQ         $256, R14
	DECQ         BX
	JNZ          gr

	// b_k = (A.r + B.i, A.i − B.r), b_{p−k} = (A.r − B.i, A.i + B.r)
	VADDPD Z7, Z4, Z10
	VSUBPD Z6, Z5, Z11
	VSUBPD Z7, Z4, Z12
	VADDPD Z6, Z5, Z13
	CMPQ   m+40(FP), $1
	JEQ    gstore
	MOVQ   KK, BX
	SHLQ   $4, BX
	VBROADCASTSD -16(AX)(BX*1), Z14
	VBROADCASTSD -8(AX)(BX*1), Z15
	CMUL(Z10, Z11, Z14, Z15, Z16, Z17)
	NEGQ   BX
	ADDQ   TWSKIP, BX
	VBROADCASTSD (AX)(BX*1), Z14
	VBROADCASTSD 8(AX)(BX*1), Z15
	CMUL(Z12, Z13, Z14, Z15, Z18, Z19)
	VMOVAPD Z16, Z10
	VMOVAPD Z17, Z11
	VMOVAPD Z18, Z12
	VMOVAPD Z19, Z13

gstore:
	ST(Z10, (R11)(R9*1))
	ST(Z11, (R12)(R9*1))
	ST(Z12, (R11)(R10*1))
	ST(Z13, (R12)(R10*1))
	ADDQ R13, R9
	SUBQ R13, R10
	MOVQ KK, BX
	INCQ BX
	MOVQ BX, KK
	CMPQ BX, H
	JLE  gk

	ADVANCE
	SUBQ $8, CX
	JGT  gt
	NEXTBLOCK(OUTSKIP)
	ADDQ TWSKIP, AX
	DECQ DX
	JNZ  gj
	VZEROUPPER
	RET

// ---- transposes and conversions -------------------------------------------

// Transposes the 8×8 matrix with rows in Z0–Z7: column c ends in Z16+c.
// Z0–Z15 are clobbered.
#define TRANSPOSE8 \
	VUNPCKLPD  Z1, Z0, Z8; \
	VUNPCKHPD  Z1, Z0, Z9; \
	VUNPCKLPD  Z3, Z2, Z10; \
	VUNPCKHPD  Z3, Z2, Z11; \
	VUNPCKLPD  Z5, Z4, Z12; \
	VUNPCKHPD  Z5, Z4, Z13; \
	VUNPCKLPD  Z7, Z6, Z14; \
	VUNPCKHPD  Z7, Z6, Z15; \
	VSHUFF64X2 $0x88, Z10, Z8, Z0; \
	VSHUFF64X2 $0xdd, Z10, Z8, Z1; \
	VSHUFF64X2 $0x88, Z11, Z9, Z2; \
	VSHUFF64X2 $0xdd, Z11, Z9, Z3; \
	VSHUFF64X2 $0x88, Z14, Z12, Z4; \
	VSHUFF64X2 $0xdd, Z14, Z12, Z5; \
	VSHUFF64X2 $0x88, Z15, Z13, Z6; \
	VSHUFF64X2 $0xdd, Z15, Z13, Z7; \
	VSHUFF64X2 $0x88, Z4, Z0, Z16; \
	VSHUFF64X2 $0xdd, Z4, Z0, Z20; \
	VSHUFF64X2 $0x88, Z5, Z1, Z18; \
	VSHUFF64X2 $0xdd, Z5, Z1, Z22; \
	VSHUFF64X2 $0x88, Z6, Z2, Z17; \
	VSHUFF64X2 $0xdd, Z6, Z2, Z21; \
	VSHUFF64X2 $0x88, Z7, Z3, Z19; \
	VSHUFF64X2 $0xdd, Z7, Z3, Z23

// Row i of a block: Zi = sa·A_i + sb·B_i, then step to the next rows.
#define COMBINE(z) \
	VMULPD      (R8), Z30, z; \
	VFMADD231PD (R9), Z31, z; \
	ADDQ        R12, R8; \
	ADDQ        R13, R9

// Store column z at R10, then step to the next destination row.
#define STCOL(z) \
	VMOVUPD z, (R10); \
	ADDQ    R14, R10

// func combineTranspose8AVX512(d *float64, dRow, dBlk int, a *float64, aRow, aBlk int, b *float64, bRow, bBlk, nb int, sa, sb float64)
TEXT ·combineTranspose8AVX512(SB), NOSPLIT, $0-96
	MOVQ         d+0(FP), R11
	MOVQ         dRow+8(FP), R14
	MOVQ         a+24(FP), SI
	MOVQ         aRow+32(FP), R12
	MOVQ         b+48(FP), DI
	MOVQ         bRow+56(FP), R13
	MOVQ         nb+72(FP), CX
	VBROADCASTSD sa+80(FP), Z30
	VBROADCASTSD sb+88(FP), Z31

ctblock:
	MOVQ SI, R8
	MOVQ DI, R9
	COMBINE(Z0)
	COMBINE(Z1)
	COMBINE(Z2)
	COMBINE(Z3)
	COMBINE(Z4)
	COMBINE(Z5)
	COMBINE(Z6)
	COMBINE(Z7)
	TRANSPOSE8
	MOVQ R11, R10
	STCOL(Z16)
	STCOL(Z17)
	STCOL(Z18)
	STCOL(Z19)
	STCOL(Z20)
	STCOL(Z21)
	STCOL(Z22)
	STCOL(Z23)
	ADDQ aBlk+40(FP), SI
	ADDQ bBlk+64(FP), DI
	ADDQ dBlk+16(FP), R11
	DECQ CX
	JNZ  ctblock
	VZEROUPPER
	RET

#define LOAD32(z) \
	VCVTPS2PD (R8), z; \
	ADDQ      R12, R8

// func transposeFrom32AVX512(d *float64, dRow, dBlk int, a *float32, aRow, aBlk, nb int)
TEXT ·transposeFrom32AVX512(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), R11
	MOVQ dRow+8(FP), R14
	MOVQ a+24(FP), SI
	MOVQ aRow+32(FP), R12
	MOVQ nb+48(FP), CX

tfblock:
	MOVQ SI, R8
	LOAD32(Z0)
	LOAD32(Z1)
	LOAD32(Z2)
	LOAD32(Z3)
	LOAD32(Z4)
	LOAD32(Z5)
	LOAD32(Z6)
	LOAD32(Z7)
	TRANSPOSE8
	MOVQ R11, R10
	STCOL(Z16)
	STCOL(Z17)
	STCOL(Z18)
	STCOL(Z19)
	STCOL(Z20)
	STCOL(Z21)
	STCOL(Z22)
	STCOL(Z23)
	ADDQ aBlk+40(FP), SI
	ADDQ dBlk+16(FP), R11
	DECQ CX
	JNZ  tfblock
	VZEROUPPER
	RET

#define LOADSC(z) \
	VMULPD (R8), Z30, z; \
	ADDQ   R12, R8

#define STCOL32(z, y) \
	VCVTPD2PS z, y; \
	VMOVUPS   y, (R10); \
	ADDQ      R14, R10

// func transposeTo32AVX512(d *float32, dRow, dBlk int, a *float64, aRow, aBlk, nb int, scale float64)
TEXT ·transposeTo32AVX512(SB), NOSPLIT, $0-64
	MOVQ         d+0(FP), R11
	MOVQ         dRow+8(FP), R14
	MOVQ         a+24(FP), SI
	MOVQ         aRow+32(FP), R12
	MOVQ         nb+48(FP), CX
	VBROADCASTSD scale+56(FP), Z30

ttblock:
	MOVQ SI, R8
	LOADSC(Z0)
	LOADSC(Z1)
	LOADSC(Z2)
	LOADSC(Z3)
	LOADSC(Z4)
	LOADSC(Z5)
	LOADSC(Z6)
	LOADSC(Z7)
	TRANSPOSE8
	MOVQ R11, R10
	STCOL32(Z16, Y0)
	STCOL32(Z17, Y1)
	STCOL32(Z18, Y2)
	STCOL32(Z19, Y3)
	STCOL32(Z20, Y4)
	STCOL32(Z21, Y5)
	STCOL32(Z22, Y6)
	STCOL32(Z23, Y7)
	ADDQ aBlk+40(FP), SI
	ADDQ dBlk+16(FP), R11
	DECQ CX
	JNZ  ttblock
	VZEROUPPER
	RET

// Sets K1 for the vector at CX values from the end of the data (all 8 lanes
// if CX ≥ 8). Clobbers BX.
#define TAILMASK(label) \
	MOVL  $0xff, BX; \
	CMPQ  CX, $8; \
	JGE   label; \
	MOVL  $1, BX; \
	SHLL  CX, BX; \
	DECL  BX; \
label: \
	KMOVW BX, K1

// func scaleTo32AVX512(d *float32, a *float64, n int, scale float64)
TEXT ·scaleTo32AVX512(SB), NOSPLIT, $0-32
	MOVQ         d+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD scale+24(FP), Z30
	TESTQ        CX, CX
	JLE          s32done

s32loop:
	TAILMASK(s32mask)
	VMULPD.Z  (SI), Z30, K1, Z0
	VCVTPD2PS Z0, Y1
	VMOVUPS   Y1, K1, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JGT       s32loop

s32done:
	VZEROUPPER
	RET

// func to64AVX512(d *float64, a *float32, n int)
TEXT ·to64AVX512(SB), NOSPLIT, $0-24
	MOVQ  d+0(FP), DI
	MOVQ  a+8(FP), SI
	MOVQ  n+16(FP), CX
	TESTQ CX, CX
	JLE   t64done

t64loop:
	TAILMASK(t64mask)
	VCVTPS2PD.Z (SI), K1, Z0
	VMOVUPD     Z0, K1, (DI)
	ADDQ        $32, SI
	ADDQ        $64, DI
	SUBQ        $8, CX
	JGT         t64loop

t64done:
	VZEROUPPER
	RET
