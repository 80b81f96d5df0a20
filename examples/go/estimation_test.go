package agentsched_test

import (
	"bytes"
	"math"
	"testing"

	"agentsched.example/agentsched"
)

// oneSlot is a task demand that fills the single agent of newLearner, so tasks run one at a
// time and each completion is one clean observation.
var oneSlot = []uint64{1_000, 1, 0}

// newLearner makes a dispatcher with one agent of the given speed that holds one task at a
// time, and runtime estimation over features features (default policy).
func newLearner(t *testing.T, cfg *agentsched.Config, speed float64, features int) *agentsched.Dispatcher {
	t.Helper()
	d := newDispatcher(t, cfg)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1_000, 1_000, 0}, Speed: speed}))
	ec, err := agentsched.DefaultEstimationConfig(features)
	must(t, err)
	must(t, d.SetEstimation(&ec))
	return d
}

func class(c uint32) *uint32 { return &c }

// runOne submits a task, dispatches it alone onto agent 1, advances the clock by wall and
// completes it; it returns the new clock.
func runOne(t *testing.T, d *agentsched.Dispatcher, now float64, spec agentsched.TaskSpec, wall float64) float64 {
	t.Helper()
	must(t, d.Submit(spec))
	placed, err := d.Dispatch()
	must(t, err)
	if len(placed) != 1 || placed[0].Task != spec.ID || placed[0].Agent != 1 {
		t.Fatalf("task %d: placed %+v", spec.ID, placed)
	}
	now += wall
	must(t, d.Advance(now))
	must(t, d.Complete(spec.ID))
	return now
}

// ols fits y = a + b x by ordinary least squares (normal equations, computed independently of
// the library).
func ols(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	a = (sy - b*sx) / n
	return a, b
}

func approx(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// The runtime of class 0 is 2 + 3x (on a speed-1 agent, plus a small deterministic wobble);
// the tasks run on a speed-2 agent, so the clock sees half of it. The dispatcher's estimate
// for a new x must be the least-squares line through the speed-1 runtimes.
func TestEstimationLearnsLinearRuntime(t *testing.T) {
	d := newLearner(t, nil, 2, 2)
	var xs, ys []float64
	now := 0.0
	for i := 0; i < 20; i++ {
		x := float64(i%7) + 0.5*float64(i%3)
		y := 2 + 3*x + 0.2*math.Sin(float64(i))
		xs, ys = append(xs, x), append(ys, y)
		spec := agentsched.TaskSpec{ID: uint32(100 + i), Demand: oneSlot, Duration: 50, Class: class(0), Features: []float64{1, x}}
		now = runOne(t, d, now, spec, y/2)
	}
	c, err := d.Counts()
	must(t, err)
	if c.Learned != 20 || c.LearnRejected != 0 || c.Completed != 20 {
		t.Fatalf("counts %+v", c)
	}
	a, b := ols(xs, ys)
	if !approx(a, 2, 0.2) || !approx(b, 3, 0.05) {
		t.Fatalf("the test's own fit is off: a=%g b=%g", a, b)
	}
	for i, x := range []float64{0, 4.25, 10} {
		id := uint32(200 + i)
		must(t, d.Submit(agentsched.TaskSpec{ID: id, Demand: oneSlot, Duration: 50, Class: class(0), Features: []float64{1, x}}))
		e, err := d.TaskRuntime(id)
		must(t, err)
		if e.Source != agentsched.RuntimeRegression {
			t.Fatalf("x=%g: source %v", x, e.Source)
		}
		// Ridge 1e-6 against hundreds in X'X: far below this tolerance.
		if want := a + b*x; !approx(e.Duration, want, 1e-6) {
			t.Fatalf("x=%g: estimate %.9g, OLS %.9g", x, e.Duration, want)
		}
		if e.Guard != e.Duration {
			t.Fatalf("x=%g: guard %g without a backfill quantile, duration %g", x, e.Guard, e.Duration)
		}
	}
	// The expected end uses the estimate on the speed-2 agent, not the declared 50.
	placed, err := d.Dispatch()
	must(t, err)
	if len(placed) != 1 {
		t.Fatalf("placed %+v", placed)
	}
	want := now + (a+b*0)/2 // priority order breaks the tie by estimated duration: x=0 first
	if placed[0].Task != 200 || !approx(placed[0].ExpectedEnd, want, 1e-6) {
		t.Fatalf("placed %+v, want task 200 ending at %g", placed[0], want)
	}
}

// teachShortLong teaches class 1 a runtime of 1 and class 2 a runtime of 10 (speed-1 agent).
func teachShortLong(t *testing.T, d *agentsched.Dispatcher) float64 {
	t.Helper()
	now := 0.0
	for i := 0; i < 6; i++ {
		now = runOne(t, d, now, agentsched.TaskSpec{ID: uint32(10 + 2*i), Demand: oneSlot, Duration: 5, Class: class(1), Features: []float64{1}}, 1)
		now = runOne(t, d, now, agentsched.TaskSpec{ID: uint32(11 + 2*i), Demand: oneSlot, Duration: 5, Class: class(2), Features: []float64{1}}, 10)
	}
	return now
}

// Shortest job first follows the model: a task of the short class goes first even though it
// declares a long duration, and the declared durations decide again once estimation is off
// and the estimates are refreshed.
func TestEstimationSJFOrderFollowsModel(t *testing.T) {
	cfg := agentsched.DefaultConfig()
	cfg.Discipline = agentsched.DisciplineSJF
	d := newLearner(t, &cfg, 1, 1)
	teachShortLong(t, d)
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: oneSlot, Duration: 1, Class: class(2), Features: []float64{1}}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: oneSlot, Duration: 100, Class: class(1), Features: []float64{1}}))
	long, err := d.TaskRuntime(1)
	must(t, err)
	short, err := d.TaskRuntime(2)
	must(t, err)
	if !approx(long.Duration, 10, 1e-6) || !approx(short.Duration, 1, 1e-6) {
		t.Fatalf("estimates: class 2 %+v, class 1 %+v", long, short)
	}
	snap, err := d.Snapshot()
	must(t, err)

	placed, err := d.Dispatch()
	must(t, err)
	if len(placed) != 1 || placed[0].Task != 2 {
		t.Fatalf("placed %+v, want the short class (task 2) first", placed)
	}

	// Disabled: queued tasks keep their estimates until a refresh, then use what they
	// declared.
	must(t, d.Restore(snap))
	must(t, d.SetEstimation(nil))
	if e, err := d.TaskRuntime(1); err != nil || e.Source == agentsched.RuntimeDeclared {
		t.Fatalf("before refresh: %+v, %v", e, err)
	}
	changed, err := d.RefreshEstimates()
	must(t, err)
	if changed != 2 {
		t.Fatalf("refresh changed %d estimates, want 2", changed)
	}
	for id, want := range map[uint32]float64{1: 1, 2: 100} {
		e, err := d.TaskRuntime(id)
		must(t, err)
		if e.Source != agentsched.RuntimeDeclared || e.Duration != want {
			t.Fatalf("task %d after disabling: %+v, want declared %g", id, e, want)
		}
	}
	placed, err = d.Dispatch()
	must(t, err)
	if len(placed) != 1 || placed[0].Task != 1 {
		t.Fatalf("placed %+v, want task 1 (declared shorter) once estimation is off", placed)
	}
	// Nothing is learned while estimation is off.
	must(t, d.Complete(1))
	c, err := d.Counts()
	must(t, err)
	if c.Learned != 12 {
		t.Fatalf("learned %d, want the 12 of teachShortLong", c.Learned)
	}
}

// CompleteMeasured teaches the host's measurement, scaled to a speed-1 agent, not the
// dispatcher's clock.
func TestCompleteMeasured(t *testing.T) {
	d := newLearner(t, nil, 2, 1)
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: oneSlot, Duration: 5, Class: class(7), Features: []float64{1}}))
	if e, err := d.TaskRuntime(1); err != nil || e.Source != agentsched.RuntimeDeclared || e.Duration != 5 {
		t.Fatalf("nothing learned yet: %+v, %v", e, err)
	}
	_, err := d.Dispatch()
	must(t, err)
	must(t, d.Advance(100))
	must(t, d.CompleteMeasured(1, 3))
	if st, _, err := d.TaskState(1); err != nil || st != agentsched.TaskDone {
		t.Fatalf("state %v, %v", st, err)
	}
	c, err := d.Counts()
	must(t, err)
	if c.Learned != 1 || c.Completed != 1 {
		t.Fatalf("counts %+v", c)
	}
	// One sample: the class mean, 3 on the speed-2 agent = 6 on a speed-1 agent.
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: oneSlot, Duration: 5, Class: class(7), Features: []float64{1}}))
	e, err := d.TaskRuntime(2)
	must(t, err)
	if e.Source != agentsched.RuntimeClassMean || !approx(e.Duration, 6, 1e-9) {
		t.Fatalf("after one measured completion: %+v, want class mean 6", e)
	}
	// Another class has no sample: other classes say nothing about it, so it keeps its
	// declared duration.
	must(t, d.Submit(agentsched.TaskSpec{ID: 3, Demand: oneSlot, Duration: 5, Class: class(8), Features: []float64{1}}))
	if e, err := d.TaskRuntime(3); err != nil || e.Source != agentsched.RuntimeDeclared || e.Duration != 5 {
		t.Fatalf("unseen class: %+v, %v", e, err)
	}
	// Unclassed tasks keep their declared duration.
	must(t, d.Submit(agentsched.TaskSpec{ID: 4, Demand: oneSlot, Duration: 5}))
	if e, err := d.TaskRuntime(4); err != nil || e.Source != agentsched.RuntimeDeclared || e.Duration != 5 {
		t.Fatalf("unclassed: %+v, %v", e, err)
	}
}

// A backfill quantile makes the guard an upper quantile of the prediction.
func TestEstimationBackfillQuantile(t *testing.T) {
	d := newLearner(t, nil, 1, 1)
	ec, err := agentsched.DefaultEstimationConfig(1)
	must(t, err)
	if ec.Features != 1 || !ec.Learn || ec.BackfillQuantile != nil || ec.Forgetting != 1 || ec.LogTarget {
		t.Fatalf("default estimation config %+v", ec)
	}
	q := 0.9
	ec.BackfillQuantile = &q
	must(t, d.SetEstimation(&ec))
	now := 0.0
	for i := 0; i < 8; i++ {
		now = runOne(t, d, now, agentsched.TaskSpec{ID: uint32(10 + i), Demand: oneSlot, Class: class(0), Features: []float64{1}}, 4+float64(i%3))
	}
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: oneSlot, Class: class(0), Features: []float64{1}}))
	e, err := d.TaskRuntime(1)
	must(t, err)
	if e.Source != agentsched.RuntimeRegression || !(e.Guard > e.Duration) {
		t.Fatalf("with a 0.9 quantile: %+v", e)
	}
}

// Failing calls return the right sentinel and leave the dispatcher as it was.
func TestEstimationErrorsChangeNothing(t *testing.T) {
	d := newLearner(t, nil, 1, 2)
	now := runOne(t, d, 0, agentsched.TaskSpec{ID: 1, Demand: oneSlot, Duration: 2, Class: class(0), Features: []float64{1, 1}}, 2)
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: oneSlot, Duration: 2, Class: class(0), Features: []float64{1, 2}}))
	_, err := d.Dispatch()
	must(t, err)
	must(t, d.Submit(agentsched.TaskSpec{ID: 3, Demand: oneSlot, Duration: 2, Class: class(0), Features: []float64{1, 3}}))
	must(t, d.Advance(now+1))
	before, err := d.Snapshot()
	must(t, err)

	spec := func(id uint32, f ...float64) agentsched.TaskSpec {
		return agentsched.TaskSpec{ID: id, Demand: oneSlot, Duration: 2, Class: class(0), Features: f}
	}
	wantErr(t, d.Submit(spec(9, 1, 2, 3)), agentsched.ErrDimensionMismatch)
	wantErr(t, d.Submit(spec(9)), agentsched.ErrDimensionMismatch)
	wantErr(t, d.Submit(spec(9, 1, math.NaN())), agentsched.ErrInvalidNumber)
	wantErr(t, d.Submit(spec(9, math.Inf(1), 1)), agentsched.ErrInvalidNumber)
	wantErr(t, d.Submit(spec(3, 1, 1)), agentsched.ErrDuplicateTask)
	wantErr(t, d.CompleteMeasured(2, -1), agentsched.ErrInvalidNumber)
	wantErr(t, d.CompleteMeasured(2, math.NaN()), agentsched.ErrInvalidNumber)
	wantErr(t, d.CompleteMeasured(2, math.Inf(1)), agentsched.ErrInvalidNumber)
	wantErr(t, d.CompleteMeasured(99, 1), agentsched.ErrUnknownTask)
	wantErr(t, d.CompleteMeasured(3, 1), agentsched.ErrTaskState) // queued, not running
	_, err = d.TaskRuntime(99)
	wantErr(t, err, agentsched.ErrUnknownTask)
	_, err = d.TaskRuntime(1) // finished
	wantErr(t, err, agentsched.ErrUnknownTask)
	bad := func(f func(*agentsched.EstimationConfig)) *agentsched.EstimationConfig {
		ec, err := agentsched.DefaultEstimationConfig(2)
		must(t, err)
		f(&ec)
		return &ec
	}
	wantErr(t, d.SetEstimation(bad(func(c *agentsched.EstimationConfig) { c.Forgetting = 0 })), agentsched.ErrInvalidConfig)
	wantErr(t, d.SetEstimation(bad(func(c *agentsched.EstimationConfig) { c.Ridge = math.NaN() })), agentsched.ErrInvalidNumber)
	wantErr(t, d.SetEstimation(bad(func(c *agentsched.EstimationConfig) { c.MeanWeight = 2 })), agentsched.ErrInvalidConfig)
	wantErr(t, d.SetEstimation(bad(func(c *agentsched.EstimationConfig) { q := 1.0; c.BackfillQuantile = &q })), agentsched.ErrInvalidConfig)
	wantErr(t, d.SetEstimation(bad(func(c *agentsched.EstimationConfig) { c.Features = -1 })), agentsched.ErrInvalidArgument)
	_, err = agentsched.DefaultEstimationConfig(-1)
	wantErr(t, err, agentsched.ErrInvalidArgument)

	after, err := d.Snapshot()
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatalf("a failed call changed the state:\nbefore %s\nafter  %s", before, after)
	}
	// The dispatcher still works: the running task completes with a measurement.
	must(t, d.CompleteMeasured(2, 2))
	must(t, d.Close())
	wantClosed := func(err error) {
		t.Helper()
		if err != agentsched.ErrClosed {
			t.Fatalf("after Close: %v", err)
		}
	}
	wantClosed(d.SetEstimation(nil))
	wantClosed(d.CompleteMeasured(3, 1))
	_, err = d.TaskRuntime(3)
	wantClosed(err)
	_, err = d.RefreshEstimates()
	wantClosed(err)
}

// DryRun of a task with a Class answers as the real dispatch will: class 7 runs 2 s, a
// reservation's shadow time is t = 10, and a classed task declaring 100 s backfills. Without
// the class (the declared 100 s) the reserved agent is out of reach. (Regression: DryRun
// dropped Class and Features, so it disagreed with the following Dispatch.)
func TestDryRunUsesTheClass(t *testing.T) {
	d := newLearner(t, nil, 1, 1)
	now := 0.0
	for i := 0; i < 5; i++ {
		now = runOne(t, d, now, agentsched.TaskSpec{ID: uint32(10 + i), Demand: oneSlot, Duration: 100, Class: class(7), Features: []float64{1}}, 2)
	}
	// A running task holds 600 of 1000 cpu until now + 10; a task needing all of it reserves.
	must(t, d.Submit(agentsched.TaskSpec{ID: 50, Demand: []uint64{600, 1, 0}, Duration: 10}))
	placed, err := d.Dispatch()
	must(t, err)
	if len(placed) != 1 {
		t.Fatalf("placed %+v", placed)
	}
	must(t, d.Submit(agentsched.TaskSpec{ID: 51, Demand: []uint64{1_000, 1, 0}, Priority: 5, Duration: 1}))
	placed, err = d.Dispatch()
	must(t, err)
	if len(placed) != 0 {
		t.Fatalf("placed %+v", placed)
	}
	spec := agentsched.TaskSpec{ID: 52, Demand: []uint64{400, 1, 0}, Duration: 100, Class: class(7), Features: []float64{1}}
	plain := spec
	plain.Class, plain.Features = nil, nil
	x, err := d.DryRun(plain)
	must(t, err)
	if x.Feasible != 0 {
		t.Fatalf("unclassed dry run: %v", x)
	}
	x, err = d.DryRun(spec)
	must(t, err)
	if x.Feasible != 1 || x.Best == nil || x.Best.Agent != 1 {
		t.Fatalf("classed dry run: %v", x)
	}
	must(t, d.Submit(spec))
	placed, err = d.Dispatch()
	must(t, err)
	if len(placed) != 1 || placed[0].Task != 52 || placed[0].Agent != 1 || !placed[0].Backfilled {
		t.Fatalf("the dispatch disagrees with the dry run: %+v", placed)
	}

	// Hostile features: the classed dry run checks them as Submit does.
	bad := func(f ...float64) agentsched.TaskSpec {
		return agentsched.TaskSpec{ID: 60, Demand: oneSlot, Duration: 1, Class: class(7), Features: f}
	}
	_, err = d.DryRun(bad(1, 2))
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.DryRun(bad())
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.DryRun(bad(math.NaN()))
	wantErr(t, err, agentsched.ErrInvalidNumber)

	// A classed task that never fits: Submit's error carries the classed dry run's explanation.
	e := wantErr(t, d.Submit(agentsched.TaskSpec{ID: 61, Demand: []uint64{5_000, 1, 0}, Duration: 1, Class: class(7), Features: []float64{1}}), agentsched.ErrNeverFits)
	if e.Explanation == nil || e.Explanation.CouldEverFit || e.Explanation.Task != 61 {
		t.Fatalf("never-fit explanation: %+v", e.Explanation)
	}
}

// Non-finite features are refused with estimation off too (a snapshot could not carry them),
// by Submit and by DryRun; any length is fine while estimation is off.
func TestNonFiniteFeaturesRefusedWithEstimationOff(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1_000, 1_000, 0}, Speed: 1}))
	before, err := d.Snapshot()
	must(t, err)
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		spec := agentsched.TaskSpec{ID: 1, Demand: oneSlot, Duration: 1, Class: class(3), Features: []float64{1, v}}
		wantErr(t, d.Submit(spec), agentsched.ErrInvalidNumber)
		_, err := d.DryRun(spec)
		wantErr(t, err, agentsched.ErrInvalidNumber)
	}
	after, err := d.Snapshot()
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatalf("a failed call changed the state")
	}
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: oneSlot, Duration: 1, Class: class(3), Features: []float64{1, 2, 3}}))
	snap, err := d.Snapshot()
	must(t, err)
	must(t, d.Restore(snap))
}

// SetEstimationPolicy changes learn and the backfill quantile and keeps what the model
// learned; SetEstimation starts over.
func TestSetEstimationPolicyKeepsTheModel(t *testing.T) {
	d := newLearner(t, nil, 1, 1)
	now := 0.0
	for i := 0; i < 6; i++ {
		now = runOne(t, d, now, agentsched.TaskSpec{ID: uint32(10 + i), Demand: oneSlot, Duration: 100, Class: class(7), Features: []float64{1}}, 3)
	}
	q := 0.9
	must(t, d.SetEstimationPolicy(false, &q))
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: oneSlot, Duration: 100, Class: class(7), Features: []float64{1}}))
	e, err := d.TaskRuntime(1)
	must(t, err)
	if e.Source == agentsched.RuntimeDeclared || !approx(e.Duration, 3, 1e-3) || e.Guard < e.Duration {
		t.Fatalf("the model was lost: %+v", e)
	}
	// learn is off: a completion is not learned.
	c0, err := d.Counts()
	must(t, err)
	runOneID := uint32(1)
	placed, err := d.Dispatch()
	must(t, err)
	if len(placed) != 1 || placed[0].Task != runOneID {
		t.Fatalf("placed %+v", placed)
	}
	must(t, d.CompleteMeasured(1, 50))
	c1, err := d.Counts()
	must(t, err)
	if c1.Learned != c0.Learned {
		t.Fatalf("learned with learn off: %+v -> %+v", c0, c1)
	}
	before, err := d.Snapshot()
	must(t, err)
	bad := 0.2
	wantErr(t, d.SetEstimationPolicy(true, &bad), agentsched.ErrInvalidConfig)
	nan := math.NaN()
	wantErr(t, d.SetEstimationPolicy(true, &nan), agentsched.ErrInvalidNumber)
	after, err := d.Snapshot()
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatalf("a failed call changed the state")
	}
	must(t, d.SetEstimation(nil))
	wantErr(t, d.SetEstimationPolicy(true, nil), agentsched.ErrInvalidConfig)
}
