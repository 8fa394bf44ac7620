package stats

import (
	"math"
	"testing"

	_ "github.com/docketqa-gate/docketqa-gate/internal/testutil"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestLogSpread(t *testing.T) {
	t.Parallel()
	// Two runs 10 % away from the median either way and one on it: the
	// median absolute deviation is log(1.1).
	if got, want := LogSpread([]float64{110, 100, 100 / 1.1}, 100), 1.4826*math.Log(1.1); math.Abs(got-want) > 1e-12 {
		t.Errorf("LogSpread = %v, want %v", got, want)
	}
	if got := LogSpread([]float64{5}, 5); got != 0 {
		t.Errorf("LogSpread of one value = %v, want 0", got)
	}
}
