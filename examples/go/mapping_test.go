package agentsched_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"agentsched.example/agentsched"
)

// recompute returns the completion times and makespan of assignment, summed in task order
// from the ready times, as the library does (so the comparison is exact).
func recompute(etc, ready []float64, machines int, assignment []int) ([]float64, float64) {
	c := make([]float64, machines)
	copy(c, ready)
	for t, p := range assignment {
		c[p] += etc[t*machines+p]
	}
	ms := 0.0
	for _, v := range c {
		ms = math.Max(ms, v)
	}
	return c, ms
}

func newEtc(t *testing.T, tasks, machines int, etc, ready []float64) *agentsched.Etc {
	t.Helper()
	e, err := agentsched.NewEtc(tasks, machines, etc, ready)
	if err != nil {
		t.Fatalf("NewEtc: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func checkMapping(t *testing.T, what string, m *agentsched.Mapping, etc, ready []float64, tasks, machines int) {
	t.Helper()
	if len(m.Assignment) != tasks {
		t.Fatalf("%s: %d assignments, want %d", what, len(m.Assignment), tasks)
	}
	for _, p := range m.Assignment {
		if p < 0 || p >= machines {
			t.Fatalf("%s: machine %d out of range", what, p)
		}
	}
	c, ms := recompute(etc, ready, machines, m.Assignment)
	if ms != m.Makespan || !reflect.DeepEqual(c, m.Completion) {
		t.Errorf("%s: makespan %v completion %v, recomputed %v %v", what, m.Makespan, m.Completion, ms, c)
	}
}

// The matrix of README's C snippet: Min-Min gives (0, 1, 0) with makespan 7; the optimum is 5.
func TestMinMinByHand(t *testing.T) {
	etc := []float64{2, 4, 3, 1, 5, 6}
	e := newEtc(t, 3, 2, etc, nil)
	m, err := e.Heuristic("min-min")
	must(t, err)
	if !reflect.DeepEqual(m.Assignment, []int{0, 1, 0}) || m.Makespan != 7 || !reflect.DeepEqual(m.Completion, []float64{7, 1}) {
		t.Errorf("min-min: %+v", m)
	}
	best, err := e.Best(agentsched.SearchOptions{MaxIterations: 1000, Seed: 1})
	must(t, err)
	b, err := e.LowerBound(100)
	must(t, err)
	if best.Makespan != 5 || b.Best != 5 || b.LongestTask != 5 {
		t.Errorf("best %v, bounds %+v", best.Makespan, b)
	}
	if tasks, machines := e.Shape(); tasks != 3 || machines != 2 {
		t.Errorf("Shape = %d, %d", tasks, machines)
	}
}

func TestHeuristicsImproveBestAndBound(t *testing.T) {
	const tasks, machines = 20, 4
	etc := make([]float64, tasks*machines)
	for i := range etc {
		etc[i] = 1 + float64((i*7919)%97)/4
	}
	ready := []float64{0, 2.5, 0, 5}
	e := newEtc(t, tasks, machines, etc, ready)
	opts := agentsched.SearchOptions{MaxIterations: 2000, Seed: 3}
	best, err := e.Best(opts)
	must(t, err)
	checkMapping(t, "best", best, etc, ready, tasks, machines)
	b, err := e.LowerBound(200)
	must(t, err)
	if b.Best > best.Makespan || b.Best != math.Max(b.LongestTask, b.Lagrangian) {
		t.Errorf("bounds %+v vs best %v", b, best.Makespan)
	}
	for _, name := range agentsched.Heuristics {
		m, err := e.Heuristic(name)
		must(t, err)
		checkMapping(t, name, m, etc, ready, tasks, machines)
		if best.Makespan > m.Makespan {
			t.Errorf("best %v above %s %v", best.Makespan, name, m.Makespan)
		}
		better, err := e.Improve(m.Assignment, opts)
		must(t, err)
		checkMapping(t, name+" improved", better, etc, ready, tasks, machines)
		if better.Makespan > m.Makespan {
			t.Errorf("improve made %s worse: %v > %v", name, better.Makespan, m.Makespan)
		}
		again, err := e.Improve(m.Assignment, opts)
		must(t, err)
		if !reflect.DeepEqual(again, better) {
			t.Errorf("improve is not deterministic without a time limit")
		}
	}
	timed, err := e.Best(agentsched.SearchOptions{MaxIterations: 1 << 40, TimeLimit: 2 * time.Millisecond})
	must(t, err)
	checkMapping(t, "timed best", timed, etc, ready, tasks, machines)
}

func TestMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		tasks, machines int
		etc, ready      []float64
		want            *agentsched.Error
	}{
		{1, 2, []float64{1, math.NaN()}, nil, agentsched.ErrInvalidNumber},
		{1, 2, []float64{1, math.Inf(1)}, nil, agentsched.ErrInvalidNumber},
		{1, 2, []float64{1, 0}, nil, agentsched.ErrInvalidNumber},
		{1, 2, []float64{1, -2}, nil, agentsched.ErrInvalidNumber},
		{1, 2, []float64{1, 2}, []float64{0, -1}, agentsched.ErrInvalidNumber},
		{1, 2, []float64{1, 2, 3}, nil, agentsched.ErrDimensionMismatch},
		{1, 2, []float64{1, 2}, []float64{0}, agentsched.ErrDimensionMismatch},
		{1, 2, []float64{1, 2}, []float64{}, agentsched.ErrDimensionMismatch},
		{0, 0, nil, nil, agentsched.ErrInvalidConfig},
		{-1, 2, nil, nil, agentsched.ErrInvalidArgument},
	} {
		e, err := agentsched.NewEtc(tc.tasks, tc.machines, tc.etc, tc.ready)
		if e != nil || !errors.Is(err, tc.want) {
			t.Errorf("NewEtc(%d, %d, %v, %v) = %v, want %v", tc.tasks, tc.machines, tc.etc, tc.ready, err, tc.want)
		}
	}

	e := newEtc(t, 2, 2, []float64{1, 2, 2, 1}, nil)
	_, err := e.Heuristic("min_min")
	if got := wantErr(t, err, agentsched.ErrInvalidArgument); got != nil && !strings.Contains(got.Message, "min-min") {
		t.Errorf("message %q does not list the heuristics", got.Message)
	}
	_, err = e.Heuristic("mct\x00")
	wantErr(t, err, agentsched.ErrInvalidArgument)
	_, err = e.Improve([]int{0, 2}, agentsched.SearchOptions{MaxIterations: 10})
	wantErr(t, err, agentsched.ErrInvalidConfig)
	_, err = e.Improve([]int{0}, agentsched.SearchOptions{MaxIterations: 10})
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = e.Improve([]int{0, -1}, agentsched.SearchOptions{MaxIterations: 10})
	wantErr(t, err, agentsched.ErrInvalidArgument)

	// Concurrent use is serialised.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			if _, err := e.Best(agentsched.SearchOptions{MaxIterations: 100, Seed: seed}); err != nil {
				t.Error(err)
			}
			if _, err := e.Heuristic("nope"); !errors.Is(err, agentsched.ErrInvalidArgument) {
				t.Error(err)
			}
		}(uint64(i))
	}
	wg.Wait()

	must(t, e.Close())
	must(t, e.Close())
	if _, err := e.Heuristic("mct"); !errors.Is(err, agentsched.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := e.LowerBound(1); !errors.Is(err, agentsched.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}

	// No tasks: empty mappings, makespan = the latest ready time.
	z := newEtc(t, 0, 2, nil, []float64{1, 3})
	m, err := z.Best(agentsched.SearchOptions{MaxIterations: 10})
	must(t, err)
	if len(m.Assignment) != 0 || m.Makespan != 3 {
		t.Errorf("empty: %+v", m)
	}
}
