package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

// bnRef64 is the float64 reference of BatchNorm.ForwardTrain's output.
func bnRef64(x []float64, n, c, hw int, gamma, beta []float64, relu bool) (y, mean, variance []float64) {
	y = make([]float64, len(x))
	mean, variance = make([]float64, c), make([]float64, c)
	m := float64(n * hw)
	for ch := 0; ch < c; ch++ {
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				mean[ch] += v / m
			}
		}
		for i := 0; i < n; i++ {
			for _, v := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				variance[ch] += (v - mean[ch]) * (v - mean[ch]) / m
			}
		}
		for i := 0; i < n; i++ {
			for j := (i*c + ch) * hw; j < (i*c+ch+1)*hw; j++ {
				v := gamma[ch]*(x[j]-mean[ch])/math.Sqrt(variance[ch]+1e-5) + beta[ch]
				if relu {
					v = math.Max(v, 0)
				}
				y[j] = v
			}
		}
	}
	return y, mean, variance
}

func TestBatchNormTrain(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		n, c, h, w int
		relu       bool
	}{
		{2, 3, 1, 2, false}, {1, 2, 1, 3, true}, {2, 3, 7, 7, true}, {2, 5, 4, 6, false}, {3, 2, 33, 9, true}, {1, 1, 3, 1, true},
	} {
		t.Run(fmt.Sprintf("%dx%dx%dx%d_relu%v", tc.n, tc.c, tc.h, tc.w, tc.relu), func(t *testing.T) {
			hw := tc.h * tc.w
			act := ActNone
			if tc.relu {
				act = ActReLU
			}
			x := noiseTensor(rng, tc.n, tc.c, tc.h, tc.w)
			for i := range x.Data {
				x.Data[i] = x.Data[i]*2 + 0.5 // a mean and a spread to remove
			}
			bn := &BatchNorm{
				Weight: noiseSlice(rng, tc.c, 1), Bias: noiseSlice(rng, tc.c, 1),
				RunningMean: noiseSlice(rng, tc.c, 0.1), RunningVar: make([]float32, tc.c),
				NumBatchesTracked: 4, Act: act,
			}
			for i := range bn.RunningVar {
				bn.RunningVar[i] = 1 + float32(rng.Float64())
			}
			rm0, rv0 := f64(bn.RunningMean), f64(bn.RunningVar)
			gamma, beta := f64(bn.Weight), f64(bn.Bias)
			xs := f64(x.Data)
			want, mean, variance := bnRef64(xs, tc.n, tc.c, hw, gamma, beta, tc.relu)

			y := tensor.New(tc.n, tc.c, tc.h, tc.w)
			var st BatchStats
			bn.ForwardTrain(y, x, &st)
			if e := relErr(y.Data, want); e > 1e-6 {
				t.Errorf("forward: relative error %.3g", e)
			}
			m := float64(tc.n * hw)
			for c := 0; c < tc.c; c++ {
				wm := 0.9*rm0[c] + 0.1*mean[c]
				wv := 0.9*rv0[c] + 0.1*variance[c]*m/(m-1)
				if math.Abs(float64(bn.RunningMean[c])-wm) > 1e-6 || math.Abs(float64(bn.RunningVar[c])-wv) > 1e-6*wv {
					t.Errorf("channel %d: running stats %v, %v; want %v, %v", c, bn.RunningMean[c], bn.RunningVar[c], wm, wv)
				}
			}
			if bn.NumBatchesTracked != 5 {
				t.Errorf("NumBatchesTracked = %d, want 5", bn.NumBatchesTracked)
			}

			// Backward against finite differences of the reference.
			dy := noiseTensor(rng, tc.n, tc.c, tc.h, tc.w)
			g := f64(dy.Data)
			loss := func() float64 {
				y, _, _ := bnRef64(xs, tc.n, tc.c, hw, gamma, beta, tc.relu)
				return dot(y, g)
			}
			wantDx := numGrad(xs, nil, loss)
			wantDg := numGrad(gamma, nil, loss)
			wantDb := numGrad(beta, nil, loss)
			dx := tensor.New(tc.n, tc.c, tc.h, tc.w)
			dg, db := make([]float32, tc.c), make([]float32, tc.c)
			bn.Backward(dx, dg, db, x, dy, &st)
			if e := relErr(dx.Data, wantDx); e > gradTol {
				t.Errorf("dSrc: relative error %.3g", e)
			}
			if e := relErr(dg, wantDg); e > gradTol {
				t.Errorf("dWeight: relative error %.3g", e)
			}
			if e := relErr(db, wantDb); e > gradTol {
				t.Errorf("dBias: relative error %.3g", e)
			}
			// GradSum is Σ dSrc, which normalisation makes exactly 0: it must be
			// far below the float32 rounding of the stored dSrc.
			for c := 0; c < tc.c; c++ {
				var abs float64
				for n := 0; n < tc.n; n++ {
					for _, v := range dx.Plane(n, c) {
						abs += math.Abs(float64(v))
					}
				}
				if math.Abs(st.GradSum[c]) > 1e-12*math.Max(abs, 1e-300) && abs > 0 {
					t.Errorf("channel %d: GradSum %.3g for Σ|dSrc| %.3g", c, st.GradSum[c], abs)
				}
			}
			// In place: dSrc may be ddst.
			bn.Backward(dy, nil, nil, x, dy, &st)
			for i, v := range dy.Data {
				if v != dx.Data[i] {
					t.Fatalf("in-place Backward differs at %d: %v vs %v", i, v, dx.Data[i])
				}
			}
		})
	}
}

func TestBatchNormTrainRejectsOneValue(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("ForwardTrain on one value per channel did not panic")
		}
	}()
	bn := &BatchNorm{Weight: []float32{1}, Bias: []float32{0}, RunningMean: []float32{0}, RunningVar: []float32{1}}
	x := tensor.New(1, 1, 1, 1)
	bn.ForwardTrain(tensor.New(1, 1, 1, 1), x, &BatchStats{})
}

func TestActivationBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{1, 7, 33, 257} {
		x := f64(noiseSlice(rng, n, 2))
		g := f64(noiseSlice(rng, n, 1))
		y := make([]float32, n)
		for i, v := range x {
			y[i] = float32(1 / (1 + math.Exp(-v)))
		}
		dx := make([]float32, n)
		SigmoidBackward(dx, y, noiseSliceOf(g))
		want := numGrad(x, nil, func() float64 {
			var s float64
			for i, v := range x {
				s += g[i] / (1 + math.Exp(-v))
			}
			return s
		})
		if e := relErr(dx, want); e > gradTol {
			t.Errorf("SigmoidBackward(%d): relative error %.3g", n, e)
		}
		for i, v := range x {
			y[i] = float32(math.Max(v, 0))
		}
		ReLUBackward(dx, y, noiseSliceOf(g))
		want = numGrad(x, nil, func() float64 {
			var s float64
			for i, v := range x {
				s += g[i] * math.Max(v, 0)
			}
			return s
		})
		if e := relErr(dx, want); e > gradTol {
			t.Errorf("ReLUBackward(%d): relative error %.3g", n, e)
		}
	}
}

// noiseSliceOf rounds a float64 slice to float32.
func noiseSliceOf(s []float64) []float32 {
	d := make([]float32, len(s))
	for i, v := range s {
		d[i] = float32(v)
	}
	return d
}

func TestPositiveMask(t *testing.T) {
	for _, tc := range []struct {
		v    float32
		keep bool
	}{
		{1, true}, {math.SmallestNonzeroFloat32, true}, {float32(math.Inf(1)), true},
		{0, false}, {float32(math.Copysign(0, -1)), false}, {-1, false}, {float32(math.Inf(-1)), false},
		{float32(math.NaN()), false}, {-float32(math.NaN()), false},
	} {
		got := positive(tc.v) == ^uint32(0)
		if got != tc.keep || (!got && positive(tc.v) != 0) {
			t.Errorf("positive(%v) = %#x, want keep=%v (as %v > 0)", tc.v, positive(tc.v), tc.keep, tc.v)
		}
	}
}
