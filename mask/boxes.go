package mask

// Boxes: the sizes of the family.
const (
	boxMaxShapes = 4
	boxMinAspect = 33  // %, width/height of a box before clipping
	boxMaxAspect = 300 // %
)

// drawBoxes draws 1 to 4 axis-aligned rectangles. It plans n boxes and gives
// each a share of the pixels still missing, varied by ±30 %, with an aspect
// ratio between 1:3 and 3:1 and a uniformly random position inside the
// image; overlaps are made up by the remaining boxes.
func drawBoxes(c *canvas, r *rng, target, hi int, _ bool) {
	planned := int(r.between(1, boxMaxShapes))
	greedy(c, target, hi, 1, boxMaxShapes, func(n, shrink int) {
		share := int64(max(target-c.count, 1)) / int64(max(planned-n, 1))
		area := max(share*r.between(70, 130)/100>>shrink, 1)
		aspect := r.between(boxMinAspect, boxMaxAspect)
		bw := min(max(int64(isqrt(uint64(area*aspect/100))), 1), int64(c.w))
		bh := min(max(area/bw, 1), int64(c.h))
		x := r.between(0, int64(c.w)-bw)
		y := r.between(0, int64(c.h)-bh)
		c.rect(int(x), int(y), int(x+bw), int(y+bh))
	})
}
