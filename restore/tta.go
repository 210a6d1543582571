package restore

import (
	"fmt"

	"github.com/aerofill/aerofill/tensor"
)

// TTA is test-time augmentation: the method runs on transformed copies of
// the image and mask (the dihedral group: rotations by 90° and flips), each
// result is mapped back, and the results are averaged. N picks the group:
//
//	1  identity
//	2  identity, horizontal flip
//	4  identity, horizontal flip, vertical flip, 180° rotation (shape-preserving)
//	8  all 4 rotations × horizontal flip
//
// Transforms of one shape go through the method as one batch.
type TTA struct {
	M Method
	N int
}

// transforms lists the dihedral elements for each TTA size. Element k is
// "flip horizontally if k ≥ 4, then rotate k mod 4 quarter turns clockwise".
var transforms = map[int][]int{1: {0}, 2: {0, 4}, 4: {0, 4, 6, 2}, 8: {0, 1, 2, 3, 4, 5, 6, 7}}

// DefaultTTA is the TTA size restore uses for models unless told
// otherwise: all 8 transforms, measured best on held-out line damage
// (BENCHMARKS.md: 35.73 → 35.87 dB whole-image PSNR for 7.4× the time).
const DefaultTTA = 8

// ValidTTA reports whether n is a supported TTA size.
func ValidTTA(n int) bool { _, ok := transforms[n]; return ok }

func (t TTA) Name() string {
	if t.N <= 1 {
		return t.M.Name()
	}
	return fmt.Sprintf("%s+tta%d", t.M.Name(), t.N)
}

func (t TTA) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	ks, ok := transforms[t.N]
	if !ok {
		return nil, fmt.Errorf("restore: TTA %d: want 1, 2, 4 or 8", t.N)
	}
	if len(ks) == 1 {
		return t.M.Restore(img, mask)
	}
	if img.N != 1 || mask.N != 1 {
		return nil, fmt.Errorf("restore: TTA takes one image at a time, got a batch of %d", img.N)
	}
	sum := tensor.New(1, 3, img.H, img.W)
	// Same-shape transforms (even and odd quarter turns) form two batches.
	for _, odd := range []bool{false, true} {
		var group []int
		for _, k := range ks {
			if (k%2 == 1) == odd {
				group = append(group, k)
			}
		}
		if len(group) == 0 {
			continue
		}
		h, w := img.H, img.W
		if odd {
			h, w = w, h
		}
		bi := tensor.New(len(group), 3, h, w)
		bm := tensor.New(len(group), 1, h, w)
		for i, k := range group {
			for c := 0; c < 3; c++ {
				dihedral(bi.Plane(i, c), img.Plane(0, c), img.H, img.W, k)
			}
			dihedral(bm.Plane(i, 0), mask.Plane(0, 0), img.H, img.W, k)
		}
		out, err := t.M.Restore(bi, bm)
		if err != nil {
			return nil, err
		}
		back := make([]float32, img.H*img.W)
		for i, k := range group {
			for c := 0; c < 3; c++ {
				undoDihedral(back, out.Plane(i, c), img.H, img.W, k)
				s := sum.Plane(0, c)
				for j, v := range back {
					s[j] += v
				}
			}
		}
	}
	inv := 1 / float32(len(ks))
	for i := range sum.Data {
		sum.Data[i] *= inv
	}
	// Known pixels are exact in every transform; keep them bit-exact.
	m := mask.Plane(0, 0)
	for c := 0; c < 3; c++ {
		s, src := sum.Plane(0, c), img.Plane(0, c)
		for j, v := range m {
			if v == 0 {
				s[j] = src[j]
			}
		}
	}
	return sum, nil
}

// dihedralSource returns, for element k acting on an h×w plane, the size
// of the result and a map from result coordinates to source coordinates.
func dihedralSource(h, w, k int) (oh, ow int, src func(y, x int) (int, int)) {
	flip, rot := k >= 4, k%4
	// Work backwards: result → before the rotation → before the flip.
	fh, fw := h, w // size after the flip (unchanged)
	unrot := func(y, x int) (int, int) { return y, x }
	switch rot {
	case 0:
		oh, ow = fh, fw
	case 1: // clockwise quarter turn: out[x][fh-1-y] = in[y][x]
		oh, ow = fw, fh
		unrot = func(y, x int) (int, int) { return fh - 1 - x, y }
	case 2:
		oh, ow = fh, fw
		unrot = func(y, x int) (int, int) { return fh - 1 - y, fw - 1 - x }
	case 3: // counter-clockwise: out[fw-1-x][y] = in[y][x]
		oh, ow = fw, fh
		unrot = func(y, x int) (int, int) { return x, fw - 1 - y }
	}
	return oh, ow, func(y, x int) (int, int) {
		sy, sx := unrot(y, x)
		if flip {
			sx = w - 1 - sx
		}
		return sy, sx
	}
}

// dihedral writes element k of the plane src (h×w) into dst.
func dihedral(dst, src []float32, h, w, k int) {
	oh, ow, from := dihedralSource(h, w, k)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			sy, sx := from(y, x)
			dst[y*ow+x] = src[sy*w+sx]
		}
	}
}

// undoDihedral maps src, element k of an h×w plane, back to dst (h×w).
func undoDihedral(dst, src []float32, h, w, k int) {
	oh, ow, from := dihedralSource(h, w, k)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			sy, sx := from(y, x)
			dst[sy*w+sx] = src[y*ow+x]
		}
	}
}
