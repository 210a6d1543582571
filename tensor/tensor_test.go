package tensor

import "testing"

func TestIndexing(t *testing.T) {
	x := New(2, 3, 4, 5)
	x.Set(1, 2, 3, 4, 7)
	if got := x.Data[len(x.Data)-1]; got != 7 {
		t.Fatalf("last element = %v, want 7", got)
	}
	if got := x.Plane(1, 2)[19]; got != 7 {
		t.Fatalf("Plane(1,2)[19] = %v, want 7", got)
	}
	if got := len(x.Channels(1, 1, 2)); got != 40 {
		t.Fatalf("len(Channels(1,1,2)) = %d, want 40", got)
	}
	y := x.Clone()
	y.Set(0, 0, 0, 0, 1)
	if x.At(0, 0, 0, 0) != 0 || !x.SameShape(y) {
		t.Fatal("Clone shares storage or changes shape")
	}
}
