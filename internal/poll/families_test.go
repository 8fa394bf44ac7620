package poll

import (
	"math"
	"math/rand/v2"
	"time"
)

// The workload families of the polling benchmark and of the virtual-clock
// tests. Each draws, from a seed, the runs one invocation triggers, all
// starting together, in unscaled time. A strategy is judged on all of them,
// not only on the one it was tuned on.

// familyRun is one run of a workload.
type familyRun struct {
	// steps are the blueprint's step durations as the results report them;
	// len(steps) is the step count the blueprint declares.
	steps []time.Duration
	// ends is when the run reports its final status, since the trigger.
	ends time.Duration
	// blind hides the step count from the gate, like a trigger answer
	// without blueprint_metadata.
	blind bool
	// fails makes the run end failed instead of passed.
	fails bool
}

// family is one kind of workload.
type family struct {
	name string
	// heavy marks a heavy-tailed family, which the goals for ten runs or
	// more treat apart.
	heavy bool
	// seeds is how many seeds the full benchmark draws; short how many the
	// -short mode does (0: skip the family).
	seeds, short int
	// scale is how many times faster than real time the benchmark runs it,
	// and parallel how many seeds at once (0: the default).
	scale    int64
	parallel int
	draw     func(seed uint64) []familyRun
}

// stepRuns draws n runs of k steps, k uniform in minK..maxK, each step a
// log-normal time around stepMedian with sigma sigma.
func stepRuns(rng *rand.Rand, n, minK, maxK int, stepMedian time.Duration, sigma float64) []familyRun {
	runs := make([]familyRun, n)
	for i := range runs {
		steps := make([]time.Duration, minK+rng.IntN(maxK-minK+1))
		for j := range steps {
			steps[j] = time.Duration(float64(stepMedian) * math.Exp(sigma*rng.NormFloat64()))
		}
		runs[i] = familyRun{steps: steps, ends: sum(steps)}
	}
	return runs
}

// withDuration gives a run the duration d, its steps stretched to fit, so
// that the step count no longer predicts the duration.
func withDuration(r familyRun, d time.Duration) familyRun {
	k := len(r.steps)
	r.steps = make([]time.Duration, k)
	for j := range r.steps {
		r.steps[j] = d / time.Duration(k)
	}
	r.ends = d
	return r
}

func logUniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return time.Duration(math.Exp(math.Log(float64(lo)) + rng.Float64()*math.Log(float64(hi)/float64(lo))))
}

func familyRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// families returns every family of the benchmark.
func families() []family {
	return []family{
		{name: "reference (20 runs, 3–12 steps of median 25 s)", seeds: 40, short: 2, scale: 100,
			draw: func(seed uint64) []familyRun {
				return stepRuns(familyRNG(seed), refRuns, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
			}},
		{name: "step count unrelated to duration (20 runs, 30 s–15 min)", seeds: 48, short: 1, scale: 200,
			draw: func(seed uint64) []familyRun {
				rng := familyRNG(seed)
				runs := stepRuns(rng, 20, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
				for i := range runs {
					runs[i] = withDuration(runs[i], logUniform(rng, 30*time.Second, 15*time.Minute))
				}
				return runs
			}},
		{name: "heavy tail (20 runs, 2 of them 20–40 min)", heavy: true, seeds: 32, short: 0, scale: 200,
			draw: func(seed uint64) []familyRun {
				rng := familyRNG(seed)
				runs := stepRuns(rng, 20, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
				for _, i := range rng.Perm(len(runs))[:2] {
					runs[i] = withDuration(runs[i], 20*time.Minute+time.Duration(rng.Int64N(int64(20*time.Minute))))
				}
				return runs
			}},
		{name: "queueing waves (20 runs, 4 at a time)", seeds: 32, short: 1, scale: 200,
			draw: func(seed uint64) []familyRun {
				rng := familyRNG(seed)
				runs := stepRuns(rng, 20, refMinSteps, refMaxSteps, 10*time.Second, refStepSigma)
				// DocketQA runs four at a time; a wave starts when the one
				// before has finished, so runs finish in waves and a run's
				// step count says little about when it ends.
				var start time.Duration
				for w := 0; w < len(runs); w += 4 {
					var end time.Duration
					for i := w; i < min(w+4, len(runs)); i++ {
						runs[i].ends += start
						end = max(end, runs[i].ends)
					}
					start = end
				}
				return runs
			}},
		{name: "short steps (12 runs, 3–12 steps of median 5 s)", seeds: 60, short: 2, scale: 100,
			draw: func(seed uint64) []familyRun {
				return stepRuns(familyRNG(seed), 12, refMinSteps, refMaxSteps, 5*time.Second, refStepSigma)
			}},
		{name: "single run (about 45 s)", seeds: 40, short: 3, scale: 10, parallel: 8,
			draw: func(seed uint64) []familyRun {
				return aboutRuns(familyRNG(seed), 1, 45*time.Second)
			}},
		{name: "two runs (about 45 s)", seeds: 40, short: 3, scale: 10, parallel: 8,
			draw: func(seed uint64) []familyRun {
				return aboutRuns(familyRNG(seed), 2, 45*time.Second)
			}},
		{name: "no step metadata (20 runs)", seeds: 40, short: 2, scale: 100,
			draw: func(seed uint64) []familyRun {
				runs := stepRuns(familyRNG(seed), refRuns, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
				for i := range runs {
					runs[i].blind = true
				}
				return runs
			}},
		{name: "200 runs (reference model)", seeds: 6, short: 1, scale: 50, parallel: 1,
			draw: func(seed uint64) []familyRun {
				return stepRuns(familyRNG(seed), 200, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
			}},
	}
}

// aboutRuns draws n runs of 3..12 steps lasting a log-normal time around
// typical (sigma 0.3).
func aboutRuns(rng *rand.Rand, n int, typical time.Duration) []familyRun {
	runs := stepRuns(rng, n, refMinSteps, refMaxSteps, time.Second, 0)
	for i := range runs {
		runs[i] = withDuration(runs[i], time.Duration(float64(typical)*math.Exp(0.3*rng.NormFloat64())))
	}
	return runs
}

// previous draws the durations the runs of the same suite had in the
// invocation before: each run's duration now is within ±20 % of it.
func previous(seed uint64, runs []familyRun) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 0x1a57))
	prev := make([]time.Duration, len(runs))
	for i, r := range runs {
		prev[i] = time.Duration(float64(r.ends) / (0.8 + 0.4*rng.Float64()))
	}
	return prev
}

// failFastFamily is the reference model with one run failing, at a random
// point of its duration, for measuring --fail-fast.
func failFastFamily() family {
	return family{name: "reference, one run failing", seeds: 20, short: 2, scale: 100,
		draw: func(seed uint64) []familyRun {
			rng := familyRNG(seed)
			runs := stepRuns(rng, refRuns, refMinSteps, refMaxSteps, refStepMedian, refStepSigma)
			i := rng.IntN(len(runs))
			runs[i] = withDuration(runs[i], time.Duration((0.05+0.95*rng.Float64())*float64(runs[i].ends)))
			runs[i].fails = true
			return runs
		}}
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }
