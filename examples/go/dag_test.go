package agentsched_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"agentsched.example/agentsched"
)

// edge is an edge by task index.
type edge struct {
	from, to int
	data     float64
}

// instance is a task graph and its platform as plain Go data: what checkSchedule reads.
type instance struct {
	ids   []uint32
	dur   []float64
	edges []edge
	// exec[t*agents+p] is task index t's time on agent p.
	exec   []float64
	agents int
	links  []float64
}

func newGraph(t *testing.T) *agentsched.TaskGraph {
	t.Helper()
	g, err := agentsched.NewTaskGraph()
	must(t, err)
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// dag builds and freezes in's graph.
func (in *instance) dag(t *testing.T) *agentsched.Dag {
	t.Helper()
	g := newGraph(t)
	for i, id := range in.ids {
		must(t, g.AddTask(id, in.dur[i]))
	}
	for _, e := range in.edges {
		must(t, g.AddEdge(in.ids[e.from], in.ids[e.to], e.data))
	}
	d, err := g.Freeze()
	must(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func (in *instance) matrix(t *testing.T) *agentsched.Platform {
	t.Helper()
	p, err := agentsched.NewMatrixPlatform(len(in.ids), in.agents, in.exec, in.links)
	must(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// checkSchedule checks slots from first principles: agents exist, finish = start + execution
// time exactly (the library adds the same two doubles), data arrives before a task starts, no
// two tasks of positive length overlap on an agent, and makespan = the largest finish.
func checkSchedule(t *testing.T, what string, in *instance, slots []agentsched.Slot, makespan float64) {
	t.Helper()
	n, m := len(in.ids), in.agents
	if len(slots) != n {
		t.Fatalf("%s: %d slots for %d tasks", what, len(slots), n)
	}
	tol := 1e-9 * math.Max(1, makespan)
	largest := 0.0
	for i, s := range slots {
		if s.Agent < 0 || s.Agent >= m {
			t.Fatalf("%s: task %d on agent %d of %d", what, i, s.Agent, m)
		}
		if !(s.Start >= 0) || math.IsInf(s.Start, 0) || s.Finish != s.Start+in.exec[i*m+s.Agent] {
			t.Errorf("%s: task %d: slot %+v, execution time %v", what, i, s, in.exec[i*m+s.Agent])
		}
		largest = math.Max(largest, s.Finish)
	}
	if largest != makespan {
		t.Errorf("%s: makespan %v, largest finish %v", what, makespan, largest)
	}
	for _, e := range in.edges {
		a, b := slots[e.from], slots[e.to]
		comm := 0.0
		if a.Agent != b.Agent {
			comm = e.data / in.links[a.Agent*m+b.Agent]
		}
		if b.Start < a.Finish+comm-tol {
			t.Errorf("%s: task %d starts at %v before %d's data arrives at %v", what, e.to, b.Start, e.from, a.Finish+comm)
		}
	}
	for i := range slots {
		for j := i + 1; j < n; j++ {
			a, b := slots[i], slots[j]
			if a.Agent == b.Agent && a.Finish > a.Start && b.Finish > b.Start &&
				a.Start < b.Finish-tol && b.Start < a.Finish-tol {
				t.Errorf("%s: tasks %d %+v and %d %+v overlap", what, i, a, j, b)
			}
		}
	}
}

// paper is the example of Topcuoglu, Hariri and Wu (IEEE TPDS 13(3), 2002, Fig. 2): tasks
// n1..n10 (ids 1..10, task index = id - 1), three processors, unit links.
func paper() *instance {
	w := [10][3]float64{{14, 16, 9}, {13, 19, 18}, {11, 13, 19}, {13, 8, 17}, {12, 13, 10},
		{13, 16, 9}, {7, 15, 11}, {5, 11, 14}, {18, 12, 20}, {21, 7, 16}}
	edges := [15][2]int{{1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {2, 8}, {2, 9}, {3, 7}, {4, 8},
		{4, 9}, {5, 9}, {6, 8}, {7, 10}, {8, 10}, {9, 10}}
	data := [15]float64{18, 12, 9, 11, 14, 19, 16, 23, 27, 23, 13, 15, 17, 11, 13}
	in := &instance{agents: 3, links: []float64{0, 1, 1, 1, 0, 1, 1, 1, 0}}
	for i := 0; i < 10; i++ {
		in.ids = append(in.ids, uint32(i+1))
		in.dur = append(in.dur, 0) // unused with a time matrix
		in.exec = append(in.exec, w[i][:]...)
	}
	for k, e := range edges {
		in.edges = append(in.edges, edge{e[0] - 1, e[1] - 1, data[k]})
	}
	return in
}

func TestTopcuoglu2002(t *testing.T) {
	in := paper()
	d := in.dag(t)
	p := in.matrix(t)
	if tasks, edges := d.Size(); tasks != 10 || edges != 15 || p.Agents() != 3 {
		t.Fatalf("size %d %d, agents %d", tasks, edges, p.Agents())
	}

	makespans := map[string]float64{}
	schedules := map[string][]agentsched.Slot{}
	for _, algo := range agentsched.Algorithms {
		slots, ms, err := d.Schedule(p, algo)
		must(t, err)
		checkSchedule(t, algo, in, slots, ms)
		got, err := d.Validate(p, slots, ms)
		must(t, err)
		if got != ms {
			t.Errorf("%s: Validate recomputes %v, want %v", algo, got, ms)
		}
		again, ms2, err := d.Schedule(p, algo)
		must(t, err)
		if ms2 != ms || !reflect.DeepEqual(again, slots) {
			t.Errorf("%s is not deterministic", algo)
		}
		makespans[algo], schedules[algo] = ms, slots
	}
	// The paper's results: HEFT 80 with the schedule of Fig. 4a, CPoP 86.
	if makespans["heft"] != 80 || makespans["cpop"] != 86 || makespans["heft-ls"] > 80 {
		t.Errorf("makespans %v", makespans)
	}
	fig4a := []agentsched.Slot{{2, 0, 9}, {0, 27, 40}, {2, 9, 28}, {1, 18, 26}, {2, 28, 38},
		{1, 26, 42}, {2, 38, 49}, {0, 57, 62}, {1, 56, 68}, {1, 73, 80}}
	if !reflect.DeepEqual(schedules["heft"], fig4a) {
		t.Errorf("HEFT:\n got %v\nwant %v (Fig. 4a)", schedules["heft"], fig4a)
	}
	// CPoP puts the critical path n1 n2 n9 n10 on P2, the processor that runs it fastest.
	for _, i := range []int{0, 1, 8, 9} {
		if schedules["cpop"][i].Agent != 1 {
			t.Errorf("CPoP: critical task n%d on P%d", i+1, schedules["cpop"][i].Agent+1)
		}
	}

	// The ranks as printed in the paper (rank_u) and by hand (rank_d).
	rankU := []float64{108, 77, 80, 80, 69, 190.0 / 3, 128.0 / 3, 107.0 / 3, 133.0 / 3, 44.0 / 3}
	rankD := []float64{0, 31, 25, 22, 24, 27, 187.0 / 3, 200.0 / 3, 191.0 / 3, 280.0 / 3}
	up, err := d.UpwardRanks(p)
	must(t, err)
	down, err := d.DownwardRanks(p)
	must(t, err)
	for i := range rankU {
		if math.Abs(up[i]-rankU[i]) > 1e-9 || math.Abs(down[i]-rankD[i]) > 1e-9 {
			t.Errorf("n%d: rank_u %v rank_d %v, want %v %v", i+1, up[i], down[i], rankU[i], rankD[i])
		}
	}

	// The lower bound: n1 n2 n9 n10 at their fastest, 9 + 13 + 12 + 7 = 41 (above the work
	// bound 91 / 3).
	lb, err := d.LowerBound(p)
	must(t, err)
	if lb != 41 {
		t.Errorf("lower bound %v, want 41", lb)
	}

	// The best: deterministic without a limit, never above HEFT or CPoP, named consistently.
	best, ms, name, err := d.ScheduleBest(p, 0)
	must(t, err)
	checkSchedule(t, "best", in, best, ms)
	best2, ms2, name2, err := d.ScheduleBest(p, 0)
	must(t, err)
	if ms2 != ms || name2 != name || !reflect.DeepEqual(best2, best) {
		t.Errorf("best is not deterministic without a limit: %v %q vs %v %q", ms, name, ms2, name2)
	}
	base := strings.TrimSuffix(name, "+ls")
	if base == "heft-ls" || makespans[base] == 0 {
		t.Errorf("best named %q", name)
	} else if strings.HasSuffix(name, "+ls") && ms >= makespans[base] || !strings.HasSuffix(name, "+ls") && ms != makespans[base] {
		t.Errorf("best %v named %q, %s gave %v", ms, name, base, makespans[base])
	}
	if ms > 80 || ms < lb {
		t.Errorf("best %v outside [%v, 80]", ms, lb)
	}
	timed, tms, _, err := d.ScheduleBest(p, 20*time.Millisecond)
	must(t, err)
	checkSchedule(t, "timed best", in, timed, tms)
	if tms > 80 {
		t.Errorf("timed best %v above HEFT", tms)
	}

	// Local search from HEFT: no worse, valid, deterministic for a seed.
	opts := agentsched.SearchOptions{MaxIterations: 500, Seed: 7}
	imp, ims, err := d.Improve(p, schedules["heft"], opts)
	must(t, err)
	checkSchedule(t, "improved", in, imp, ims)
	imp2, ims2, err := d.Improve(p, schedules["heft"], opts)
	must(t, err)
	if ims > 80 || ims < lb || ims2 != ims || !reflect.DeepEqual(imp2, imp) {
		t.Errorf("improve: %v then %v", ims, ims2)
	}
}

// The related-speeds case by hand: tasks 1 (duration 4) and 2 (duration 2), independent, on
// agents of speeds 1 and 2. HEFT: task 1 first (mean time 3 > 1.5), on agent 1 (finish 2 < 4);
// task 2 on agent 0 (finish 2 < 2 + 1). The bound is 2 = 6 / 3 (work) = 4 / 2 (the longest
// task at its fastest).
func TestRelatedByHand(t *testing.T) {
	in := &instance{ids: []uint32{1, 2}, dur: []float64{4, 2}, agents: 2,
		exec: []float64{4, 2, 2, 1}, links: []float64{0, 1, 1, 0}}
	d := in.dag(t)
	p, err := agentsched.NewRelatedPlatform([]float64{1, 2}, nil)
	must(t, err)
	defer p.Close()
	slots, ms, err := d.Schedule(p, "heft")
	must(t, err)
	checkSchedule(t, "heft", in, slots, ms)
	if want := []agentsched.Slot{{1, 0, 2}, {0, 0, 2}}; ms != 2 || !reflect.DeepEqual(slots, want) {
		t.Errorf("heft: %v %v, want %v 2", slots, ms, want)
	}
	lb, err := d.LowerBound(p)
	must(t, err)
	if lb != 2 {
		t.Errorf("lower bound %v", lb)
	}
}

func TestValidateRejectsOverlap(t *testing.T) {
	in := &instance{ids: []uint32{1, 2}, dur: []float64{4, 2}, agents: 2,
		exec: []float64{4, 2, 2, 1}, links: []float64{0, 1, 1, 0}}
	d := in.dag(t)
	p, err := agentsched.NewRelatedPlatform([]float64{1, 2}, []float64{0, 1, 1, 0})
	must(t, err)
	defer p.Close()

	good := []agentsched.Slot{{0, 0, 4}, {1, 0, 1}}
	ms, err := d.Validate(p, good, 4)
	must(t, err)
	if ms != 4 {
		t.Errorf("makespan %v", ms)
	}
	// Task 2 at 2..4 on agent 0, under task 1 at 0..4.
	_, err = d.Validate(p, []agentsched.Slot{{0, 0, 4}, {0, 2, 4}}, 4)
	if e := wantErr(t, err, agentsched.ErrInvalidSchedule); e != nil && !strings.Contains(e.Message, "overlap") {
		t.Errorf("message %q does not name the overlap", e.Message)
	}
	// A wrong reported makespan, a wrong finish, an unknown agent, a negative one, a length.
	_, err = d.Validate(p, good, 5)
	wantErr(t, err, agentsched.ErrInvalidSchedule)
	_, err = d.Validate(p, []agentsched.Slot{{0, 0, 4}, {1, 0, 2}}, 4)
	wantErr(t, err, agentsched.ErrInvalidSchedule)
	_, err = d.Validate(p, []agentsched.Slot{{0, 0, 4}, {2, 0, 1}}, 4)
	wantErr(t, err, agentsched.ErrInvalidSchedule)
	_, err = d.Validate(p, []agentsched.Slot{{0, 0, 4}, {-1, 0, 1}}, 4)
	wantErr(t, err, agentsched.ErrInvalidArgument)
	_, err = d.Validate(p, good[:1], 4)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	// Improve refuses an invalid start the same way.
	_, _, err = d.Improve(p, []agentsched.Slot{{0, 0, 4}, {0, 2, 4}}, agentsched.SearchOptions{MaxIterations: 10})
	wantErr(t, err, agentsched.ErrInvalidSchedule)
}

// A small network, by hand. Tasks A (id 10, duration 3), B (20, 2), C (30, 4), D (40, 1),
// added in the order D, B, A, C (task indices 0..3), edges A->B (data 1), A->C (2), B->D (5),
// C->D (0).
//
//	No delays:   EST A 0, B 3, C 3, D max(5, 7) = 7; makespan 8. LFT D 8, B 7, C 7,
//	             A min(7 - 2, 7 - 4) = 3. Slack B 2, others 0. Critical path A C D.
//	Data delays: EST A 0, B 3 + 1 = 4, C 3 + 2 = 5, D max(6 + 5, 9 + 0) = 11; makespan 12.
//	             LST D 11, B 11 - 5 - 2 = 4, C 11 - 0 - 4 = 7, A min(4 - 1, 7 - 2) - 3 = 0.
//	             Slack C 2, others 0. Critical path A B D.
func TestTimesByHand(t *testing.T) {
	const D, B, A, C = 0, 1, 2, 3
	g := newGraph(t)
	for _, task := range []struct {
		id  uint32
		dur float64
	}{{40, 1}, {20, 2}, {10, 3}, {30, 4}} {
		must(t, g.AddTask(task.id, task.dur))
	}
	must(t, g.AddEdge(10, 20, 1))
	must(t, g.AddEdge(10, 30, 2))
	must(t, g.AddEdge(20, 40, 5))
	must(t, g.AddEdge(30, 40, 0))
	if tasks, edges, err := g.Size(); err != nil || tasks != 4 || edges != 4 {
		t.Fatalf("graph size %d %d %v", tasks, edges, err)
	}
	d, err := g.Freeze()
	must(t, err)
	defer d.Close()

	if ids := d.IDs(); !reflect.DeepEqual(ids, []uint32{40, 20, 10, 30}) {
		t.Errorf("IDs %v", ids)
	}
	if i, err := d.IndexOf(10); err != nil || i != A {
		t.Errorf("IndexOf(10) = %d, %v", i, err)
	}
	// Among the ready tasks, the lowest index first: A, then B before C, then D.
	order, err := d.TopologicalOrder()
	must(t, err)
	if !reflect.DeepEqual(order, []int{A, B, C, D}) {
		t.Errorf("topological order %v", order)
	}

	by := func(a, b, c, dd float64) []float64 {
		v := make([]float64, 4)
		v[A], v[B], v[C], v[D] = a, b, c, dd
		return v
	}
	for _, tc := range []struct {
		delays                 agentsched.Delays
		est, eft, lst, lft, sl []float64
		path, critical         []int
		makespan               float64
	}{
		{agentsched.DelaysNone, by(0, 3, 3, 7), by(3, 5, 7, 8), by(0, 5, 3, 7), by(3, 7, 7, 8), by(0, 2, 0, 0),
			[]int{A, C, D}, []int{D, A, C}, 8},
		{agentsched.DelaysData, by(0, 4, 5, 11), by(3, 6, 9, 12), by(0, 4, 7, 11), by(3, 6, 11, 12), by(0, 0, 2, 0),
			[]int{A, B, D}, []int{D, B, A}, 12},
	} {
		tm, err := d.Times(tc.delays)
		must(t, err)
		sort.Ints(tc.critical)
		want := &agentsched.Times{EST: tc.est, EFT: tc.eft, LST: tc.lst, LFT: tc.lft, Slack: tc.sl,
			CriticalPath: tc.path, CriticalTasks: tc.critical, Makespan: tc.makespan}
		if !reflect.DeepEqual(tm, want) {
			t.Errorf("delays %v:\n got %+v\nwant %+v", tc.delays, tm, want)
		}
	}

	// Every duration 1, no delays: A 0-1, B and C 1-2, D 2-3, all critical; walking back from
	// D, B and C tie and the lower index, B, is taken.
	tm, err := d.TimesWith([]float64{1, 1, 1, 1}, agentsched.DelaysNone)
	must(t, err)
	if tm.Makespan != 3 || !reflect.DeepEqual(tm.CriticalPath, []int{A, B, D}) ||
		!reflect.DeepEqual(tm.CriticalTasks, []int{0, 1, 2, 3}) || !reflect.DeepEqual(tm.Slack, []float64{0, 0, 0, 0}) {
		t.Errorf("unit durations: %+v", tm)
	}
}

func TestCycle(t *testing.T) {
	// 1 -> 2 -> 3 -> 4 -> 2: the cycle {2, 3, 4} is named by its lowest id, 2.
	g := newGraph(t)
	for id := uint32(1); id <= 4; id++ {
		must(t, g.AddTask(id, 1))
	}
	for _, e := range [][2]uint32{{1, 2}, {2, 3}, {3, 4}, {4, 2}} {
		must(t, g.AddEdge(e[0], e[1], 0))
	}
	d, err := g.Freeze()
	if d != nil {
		t.Fatal("a dag from a cyclic graph")
	}
	if e := wantErr(t, err, agentsched.ErrCycle); e != nil && !strings.Contains(e.Message, "task#2") {
		t.Errorf("message %q does not name task 2", e.Message)
	}
	// The graph stays usable: still a cycle after another task.
	must(t, g.AddTask(5, 1))
	must(t, g.AddEdge(4, 5, 0))
	_, err = g.Freeze()
	wantErr(t, err, agentsched.ErrCycle)
}

func TestDagErrors(t *testing.T) {
	g := newGraph(t)
	must(t, g.AddTask(1, 2))
	must(t, g.AddTask(2, 3))
	must(t, g.AddEdge(1, 2, 4))
	for _, tc := range []struct {
		err  error
		want *agentsched.Error
		text string
	}{
		{g.AddTask(1, 1), agentsched.ErrDuplicateTask, "1"},
		{g.AddTask(3, math.NaN()), agentsched.ErrInvalidNumber, ""},
		{g.AddTask(3, -1), agentsched.ErrInvalidNumber, ""},
		{g.AddTask(3, math.Inf(1)), agentsched.ErrInvalidNumber, ""},
		{g.AddEdge(1, 9, 0), agentsched.ErrUnknownTask, "9"},
		{g.AddEdge(1, 1, 0), agentsched.ErrInvalidGraph, ""},
		{g.AddEdge(1, 2, 1), agentsched.ErrInvalidGraph, ""},
		{g.AddEdge(2, 1, -1), agentsched.ErrInvalidNumber, ""},
	} {
		if e := wantErr(t, tc.err, tc.want); e != nil && !strings.Contains(e.Message, tc.text) {
			t.Errorf("message %q does not mention %q", e.Message, tc.text)
		}
	}
	// Failed insertions changed nothing.
	if tasks, edges, err := g.Size(); err != nil || tasks != 2 || edges != 1 {
		t.Errorf("size %d %d %v", tasks, edges, err)
	}
	d, err := g.Freeze()
	must(t, err)
	defer d.Close()

	_, err = d.IndexOf(7)
	if e := wantErr(t, err, agentsched.ErrUnknownTask); e != nil && !strings.Contains(e.Message, "7") {
		t.Errorf("message %q", e.Message)
	}
	_, err = d.Times(agentsched.Delays(7))
	wantErr(t, err, agentsched.ErrInvalidArgument)
	_, err = d.TimesWith([]float64{1}, agentsched.DelaysNone)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.TimesWith([]float64{1, math.NaN()}, agentsched.DelaysNone)
	wantErr(t, err, agentsched.ErrInvalidNumber)

	// Platforms: no handle, so the message says what was asked.
	for _, tc := range []struct {
		speeds, links []float64
		want          *agentsched.Error
	}{
		{nil, nil, agentsched.ErrInvalidConfig},
		{[]float64{1, 0}, nil, agentsched.ErrInvalidNumber},
		{[]float64{1, math.NaN()}, nil, agentsched.ErrInvalidNumber},
		{[]float64{1, 2}, []float64{0, 1, 1}, agentsched.ErrDimensionMismatch},
		{[]float64{1, 2}, []float64{}, agentsched.ErrDimensionMismatch},
		{[]float64{1, 2}, []float64{0, 0, 1, 0}, agentsched.ErrInvalidNumber},
	} {
		p, err := agentsched.NewRelatedPlatform(tc.speeds, tc.links)
		if p != nil {
			t.Errorf("NewRelatedPlatform(%v, %v) made a platform", tc.speeds, tc.links)
		}
		wantErr(t, err, tc.want)
	}
	_, err = agentsched.NewMatrixPlatform(2, 2, []float64{1, 2, 3}, nil)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = agentsched.NewMatrixPlatform(2, 2, []float64{1, 2, 3, -4}, nil)
	wantErr(t, err, agentsched.ErrInvalidNumber)
	_, err = agentsched.NewMatrixPlatform(-1, 2, nil, nil)
	wantErr(t, err, agentsched.ErrInvalidArgument)
	_, err = agentsched.NewMatrixPlatform(1, 1<<20, nil, nil)
	wantErr(t, err, agentsched.ErrInvalidArgument)

	p, err := agentsched.NewRelatedPlatform([]float64{1, 2}, nil)
	must(t, err)
	defer p.Close()
	_, _, err = d.Schedule(p, "HEFT")
	if e := wantErr(t, err, agentsched.ErrInvalidArgument); e != nil && !strings.Contains(e.Message, "cpop") {
		t.Errorf("message %q does not list the algorithms", e.Message)
	}
	_, _, err = d.Schedule(p, "heft\x00")
	wantErr(t, err, agentsched.ErrInvalidArgument)
	_, _, err = d.Schedule(nil, "heft")
	wantErr(t, err, agentsched.ErrInvalidArgument)
	// A matrix platform made for another number of tasks.
	m3, err := agentsched.NewMatrixPlatform(3, 1, []float64{1, 1, 1}, nil)
	must(t, err)
	defer m3.Close()
	_, _, err = d.Schedule(m3, "heft")
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, _, _, err = d.ScheduleBest(m3, 0)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.LowerBound(m3)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.UpwardRanks(m3)
	wantErr(t, err, agentsched.ErrDimensionMismatch)

	// The dag still works after its failures, and fails alike when closed.
	slots, ms, err := d.Schedule(p, "heft")
	must(t, err)
	if len(slots) != 2 || ms <= 0 {
		t.Errorf("after failures: %v %v", slots, ms)
	}
	must(t, p.Close())
	must(t, p.Close())
	_, _, err = d.Schedule(p, "heft")
	if !errors.Is(err, agentsched.ErrClosed) {
		t.Errorf("closed platform: %v", err)
	}
	must(t, d.Close())
	must(t, d.Close())
	for _, err := range []error{
		func() error { _, err := d.Times(agentsched.DelaysNone); return err }(),
		func() error { _, err := d.IndexOf(1); return err }(),
		func() error { _, _, err := d.Schedule(m3, "heft"); return err }(),
		func() error { _, err := d.CompletionProbability(nil); return err }(),
	} {
		if !errors.Is(err, agentsched.ErrClosed) {
			t.Errorf("closed dag: %v", err)
		}
	}
	must(t, g.Close())
	must(t, g.Close())
	if _, err := g.Freeze(); !errors.Is(err, agentsched.ErrClosed) {
		t.Errorf("closed graph: %v", err)
	}
	if err := g.AddTask(9, 1); !errors.Is(err, agentsched.ErrClosed) {
		t.Errorf("closed graph: %v", err)
	}
}

// expected is the formula, each product rounded on its own (no fused multiply-add),
// as the library computes it.
func expected(p, f, pb float64) float64 {
	return float64((1-f)*p) + float64(f*pb)
}

func TestFaultFormula(t *testing.T) {
	// Five independent tasks of durations p, each with failure f and one backup of time p_b
	// that never fails: (1 - f) p + f p_b. By hand: 0.8 * 10 + 0.2 * 15 = 11; 0.5 * 4 + 0.5 *
	// 8 = 6; 0.9 * 3 + 0.1 * 5 = 3.2; f = 0 keeps p; f = 1 gives p_b.
	p := []float64{10, 4, 3, 2, 2}
	f := []float64{0.2, 0.5, 0.1, 0.0, 1.0}
	pb := []float64{15, 8, 5, 100, 7}
	byHand := []float64{11, 6, 3.2, 2, 7}
	in := &instance{}
	specs := make([]agentsched.FaultSpec, 5)
	for i := range p {
		in.ids = append(in.ids, uint32(i+1))
		in.dur = append(in.dur, p[i])
		specs[i] = agentsched.FaultSpec{Failure: f[i], Backups: []agentsched.Backup{{Time: pb[i]}}}
	}
	d := in.dag(t)
	e, err := d.ExpectedDurations(specs, agentsched.Replacement)
	must(t, err)
	for i := range p {
		if e[i] != expected(p[i], f[i], pb[i]) || math.Abs(e[i]-byHand[i]) > 1e-15 {
			t.Errorf("task %d: %v, formula %v, by hand %v", i, e[i], expected(p[i], f[i], pb[i]), byHand[i])
		}
	}
	// Independent tasks: the expected times' makespan is the largest expected duration.
	tm, err := d.ExpectedTimes(specs, agentsched.Replacement, agentsched.DelaysNone)
	must(t, err)
	if tm.Makespan != 11 || !reflect.DeepEqual(tm.EFT, e) {
		t.Errorf("expected times %+v", tm)
	}
	// A primary time of its own replaces the dag's: 0.8 * 4 + 0.2 * 15 = 6.2.
	specs[0].HasTime, specs[0].Time = true, 4
	e, err = d.ExpectedDurations(specs, agentsched.Replacement)
	must(t, err)
	if e[0] != expected(4, 0.2, 15) || math.Abs(e[0]-6.2) > 1e-15 {
		t.Errorf("own time: %v", e[0])
	}
	// Sequential retry: the failed primary's time is spent too: 10 + 0.2 * 15 = 13; always
	// failing: 2 + 7.
	specs[0].HasTime = false
	e, err = d.ExpectedDurations(specs, agentsched.SequentialRetry)
	must(t, err)
	if math.Abs(e[0]-13) > 1e-15 || e[3] != 2 || math.Abs(e[4]-9) > 1e-15 {
		t.Errorf("sequential retry: %v", e)
	}
	// No backup used: 0.8 * 0.5 * 0.9 * 1 * 0, in task order; every task completes.
	nb, err := d.NoBackupProbability(specs)
	must(t, err)
	cp, err := d.CompletionProbability(specs)
	must(t, err)
	if nb != 0 || cp != 1 {
		t.Errorf("no backup %v, completion %v", nb, cp)
	}
	// The zero spec never fails and runs the dag's duration.
	e, err = d.ExpectedDurations(make([]agentsched.FaultSpec, 5), agentsched.Replacement)
	must(t, err)
	if !reflect.DeepEqual(e, p) {
		t.Errorf("zero specs: %v", e)
	}

	// Bad specs: the message names the task and the field.
	bad := make([]agentsched.FaultSpec, 5)
	bad[2].Backups = []agentsched.Backup{{Time: 1, Failure: 1.5}}
	_, err = d.ExpectedDurations(bad, agentsched.Replacement)
	if e := wantErr(t, err, agentsched.ErrInvalidNumber); e != nil && !strings.Contains(e.Message, "backups[0].failure") {
		t.Errorf("message %q does not name the field", e.Message)
	}
	_, err = d.NoBackupProbability(bad)
	wantErr(t, err, agentsched.ErrInvalidNumber)
	_, err = d.ExpectedDurations(bad[:4], agentsched.Replacement)
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.ExpectedDurations(specs, agentsched.FailureModel(9))
	wantErr(t, err, agentsched.ErrInvalidArgument)
	always := make([]agentsched.FaultSpec, 5)
	always[1].Failure = 1
	_, err = d.ExpectedDurations(always, agentsched.Replacement)
	wantErr(t, err, agentsched.ErrInvalidNumber)
	cp, err = d.CompletionProbability(always)
	must(t, err)
	if cp != 0 {
		t.Errorf("completion with a task that always fails: %v", cp)
	}
}

// A chain 1 -> 2 -> 3 (durations 4, 3, 2): task 2 fails with probability 1/2 and has a certain
// backup of time 5. A chain's makespan is the sum of its durations: 9 or 11 with probability
// 1/2 each, so the expected makespan is 10 (= 4 + (0.5 * 3 + 0.5 * 5) + 2), the standard
// deviation 1, the bounds 10 and 11. Task 3's last attempt may fail: primary f = 1/2, backup
// f = 1/2 complete it with probability 3/4.
func TestExpectedMakespan(t *testing.T) {
	in := &instance{ids: []uint32{1, 2, 3}, dur: []float64{4, 3, 2},
		edges: []edge{{0, 1, 0}, {1, 2, 0}}}
	d := in.dag(t)
	specs := []agentsched.FaultSpec{{}, {Failure: 0.5, Backups: []agentsched.Backup{{Time: 5}}}, {}}
	if o := agentsched.DefaultMakespanOptions(); o != (agentsched.MakespanOptions{MaxScenarios: 65536, Samples: 10000}) {
		t.Errorf("default options %+v", o)
	}
	exact, err := d.ExpectedMakespan(specs, agentsched.Replacement, agentsched.DelaysNone, nil)
	must(t, err)
	want := agentsched.MakespanEstimate{Mean: 10, StdDev: 1, Low: 10, High: 10, Method: agentsched.MakespanExact,
		Evaluated: 2, LowerBound: 10, UpperBound: 11, CompletionProbability: 1}
	if exact != want {
		t.Errorf("exact:\n got %+v\nwant %+v", exact, want)
	}

	// Always simulate: same seed, same estimate, within a few standard errors of 10.
	opts := &agentsched.MakespanOptions{MaxScenarios: 0, Samples: 2000, Seed: 7}
	mc, err := d.ExpectedMakespan(specs, agentsched.Replacement, agentsched.DelaysNone, opts)
	must(t, err)
	mc2, err := d.ExpectedMakespan(specs, agentsched.Replacement, agentsched.DelaysNone, opts)
	must(t, err)
	if mc != mc2 || mc.Method != agentsched.MakespanMonteCarlo || mc.Evaluated != 2000 || mc.Seed != 7 ||
		math.Abs(mc.Mean-10) > 5*mc.StdError || mc.StdError <= 0 || mc.Low >= mc.High {
		t.Errorf("monte carlo %+v, again %+v", mc, mc2)
	}
	_, err = d.ExpectedMakespan(specs, agentsched.Replacement, agentsched.DelaysNone,
		&agentsched.MakespanOptions{Samples: 1})
	if e := wantErr(t, err, agentsched.ErrInvalidConfig); e != nil && !strings.Contains(e.Message, "samples") {
		t.Errorf("message %q", e.Message)
	}

	specs[2] = agentsched.FaultSpec{Failure: 0.5, Backups: []agentsched.Backup{{Time: 4, Failure: 0.5}}}
	cp, err := d.CompletionProbability(specs)
	must(t, err)
	nb, err := d.NoBackupProbability(specs)
	must(t, err)
	if cp != 0.75 || nb != 0.25 {
		t.Errorf("completion %v, no backup %v", cp, nb)
	}
}

func TestEmptyDag(t *testing.T) {
	d := (&instance{}).dag(t)
	tm, err := d.Times(agentsched.DelaysData)
	must(t, err)
	if tm.Makespan != 0 || len(tm.EST) != 0 || len(tm.CriticalPath) != 0 {
		t.Errorf("empty times %+v", tm)
	}
	p, err := agentsched.NewRelatedPlatform([]float64{1}, nil)
	must(t, err)
	defer p.Close()
	slots, ms, err := d.Schedule(p, "cpop")
	must(t, err)
	if len(slots) != 0 || ms != 0 {
		t.Errorf("empty schedule %v %v", slots, ms)
	}
	_, ms, name, err := d.ScheduleBest(p, time.Millisecond)
	must(t, err)
	if ms != 0 || name == "" {
		t.Errorf("empty best %v %q", ms, name)
	}
	order, err := d.TopologicalOrder()
	must(t, err)
	if len(order) != 0 {
		t.Errorf("order %v", order)
	}
}

// One dag and one platform shared by goroutines: calls are serialised and give the same
// schedules as alone.
func TestDagConcurrent(t *testing.T) {
	in := paper()
	d := in.dag(t)
	p := in.matrix(t)
	want := map[string][]agentsched.Slot{}
	for _, algo := range agentsched.Algorithms {
		slots, _, err := d.Schedule(p, algo)
		must(t, err)
		want[algo] = slots
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			algo := agentsched.Algorithms[i%len(agentsched.Algorithms)]
			slots, _, err := d.Schedule(p, algo)
			if err != nil || !reflect.DeepEqual(slots, want[algo]) {
				t.Errorf("%s concurrently: %v %v", algo, slots, err)
			}
			// The message read is this call's: it names this goroutine's name.
			name := fmt.Sprintf("nope-%d", i)
			_, _, err = d.Schedule(p, name)
			var e *agentsched.Error
			if !errors.Is(err, agentsched.ErrInvalidArgument) || !errors.As(err, &e) || !strings.Contains(e.Message, name) {
				t.Errorf("%s: %v", name, err)
			}
		}(i)
	}
	wg.Wait()
}

// Graphs, dags and platforms dropped without Close are freed by their finalizers (a smoke
// test: it must not crash), and a dag outlives the graph it was frozen from.
func TestDagFinalizersAndLifetimes(t *testing.T) {
	for i := 0; i < 50; i++ {
		g, err := agentsched.NewTaskGraph()
		must(t, err)
		must(t, g.AddTask(1, 1))
		_, err = g.Freeze()
		must(t, err)
		_, err = agentsched.NewRelatedPlatform([]float64{1, 2}, nil)
		must(t, err)
	}
	runtime.GC()
	runtime.GC()

	g := newGraph(t)
	must(t, g.AddTask(1, 3))
	d, err := g.Freeze()
	must(t, err)
	defer d.Close()
	must(t, g.Close())
	runtime.GC()
	tm, err := d.Times(agentsched.DelaysNone)
	must(t, err)
	if tm.Makespan != 3 {
		t.Errorf("makespan %v", tm.Makespan)
	}
}
