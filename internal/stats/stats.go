// Package stats holds the two robust statistics that both the poller's
// calibration and the --history forecasts rest on, so that a run's
// expected duration means the same thing in both.
package stats

import (
	"math"
	"slices"
)

// Median sorts xs in place and returns its median (0 for none).
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	slices.Sort(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// LogSpread is the robust spread of log(x) around m: 1.4826 times the
// median absolute deviation, which estimates a standard deviation without
// letting one odd value (a run that failed at its first step) dominate.
// It overwrites xs.
func LogSpread(xs []float64, m float64) float64 {
	for i, x := range xs {
		xs[i] = math.Abs(math.Log(x / m))
	}
	return 1.4826 * Median(xs)
}
