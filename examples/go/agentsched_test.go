package agentsched_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"agentsched.example/agentsched"
)

// cpu in millicores, memory in MiB, gpu in devices.
var dims = []string{"cpu", "memory", "gpu"}

func newDispatcher(t *testing.T, cfg *agentsched.Config) *agentsched.Dispatcher {
	t.Helper()
	d, err := agentsched.NewDispatcher(dims, cfg)
	if err != nil {
		t.Fatalf("NewDispatcher: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err is the sentinel want, as an *Error with a message.
func wantErr(t *testing.T, err error, want *agentsched.Error) *agentsched.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	var e *agentsched.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not an *agentsched.Error", err)
	}
	if e.Status != want.Status {
		t.Fatalf("status %v, want %v", e.Status, want.Status)
	}
	if e.Message == "" {
		t.Fatalf("%v: no message", err)
	}
	return e
}

// The quickstart's pool: two private CPU agents, a private GPU box, two public agents.
func quickstartPool(t *testing.T, d *agentsched.Dispatcher) {
	t.Helper()
	eu := []agentsched.Label{{Key: "region", Value: "eu"}}
	us := agentsched.LabelsFromMap(map[string]string{"region": "us"})
	for _, a := range []agentsched.AgentSpec{
		{ID: 1, Capacity: []uint64{16_000, 65_536, 0}, Labels: eu},
		{ID: 2, Capacity: []uint64{16_000, 65_536, 0}, Labels: eu},
		{ID: 3, Capacity: []uint64{32_000, 262_144, 4}, Speed: 1.5, Labels: eu},
		{ID: 4, Capacity: []uint64{32_000, 131_072, 0}, Tier: agentsched.TierPublic, CostPerTime: 2, Labels: us},
		{ID: 5, Capacity: []uint64{64_000, 524_288, 8}, Tier: agentsched.TierPublic, CostPerTime: 6, Speed: 2, Labels: us},
	} {
		must(t, d.JoinAgent(a))
	}
}

func TestVersion(t *testing.T) {
	v := agentsched.Version()
	want := fmt.Sprintf("%d.%d.%d", agentsched.VersionMajor, agentsched.VersionMinor, agentsched.VersionPatch)
	if v != want {
		t.Fatalf("Version() = %q, header macros say %q", v, want)
	}
}

func TestStatusAndErrorValues(t *testing.T) {
	if got := agentsched.StatusUnknownTask.String(); got != "unknown task" {
		t.Fatalf("StatusUnknownTask.String() = %q", got)
	}
	if got := agentsched.Status(12345).String(); got != "unknown status" {
		t.Fatalf("Status(12345).String() = %q", got)
	}
	e := &agentsched.Error{Status: agentsched.StatusUnknownTask, Message: "unknown task t7"}
	if got := e.Error(); got != "agentsched: unknown task: unknown task t7" {
		t.Fatalf("Error() = %q", got)
	}
	if got := agentsched.ErrNeverFits.Error(); got != "agentsched: never fits" {
		t.Fatalf("sentinel Error() = %q", got)
	}
	wrapped := fmt.Errorf("submitting: %w", e)
	if !errors.Is(wrapped, agentsched.ErrUnknownTask) {
		t.Fatal("errors.Is through a wrap")
	}
	if errors.Is(wrapped, agentsched.ErrUnknownAgent) || errors.Is(wrapped, agentsched.ErrClosed) {
		t.Fatal("errors.Is matched another status")
	}
	// Every sentinel is distinct, and only matches its own status.
	all := []*agentsched.Error{
		agentsched.ErrNullPointer, agentsched.ErrInvalidArgument, agentsched.ErrBufferTooSmall,
		agentsched.ErrPoisoned, agentsched.ErrUnknownTask, agentsched.ErrDuplicateTask,
		agentsched.ErrUnknownAgent, agentsched.ErrDuplicateAgent, agentsched.ErrDimensionMismatch,
		agentsched.ErrInvalidNumber, agentsched.ErrOverflow, agentsched.ErrInvalidConfig,
		agentsched.ErrInvalidSchema, agentsched.ErrTaskState, agentsched.ErrAgentState,
		agentsched.ErrGang, agentsched.ErrNeverFits, agentsched.ErrTimeWentBackwards,
		agentsched.ErrInvalidSnapshot, agentsched.ErrQueue, agentsched.ErrCycle,
		agentsched.ErrInvalidGraph, agentsched.ErrInvalidSchedule, agentsched.ErrTooFewValues,
		agentsched.ErrSingular, agentsched.ErrPanic,
	}
	seen := map[string]bool{}
	for i, a := range all {
		if a.Status.String() == "unknown status" || seen[a.Status.String()] {
			t.Fatalf("sentinel %d: status %d has no distinct text", i, a.Status)
		}
		seen[a.Status.String()] = true
		for j, b := range all {
			if errors.Is(a, b) != (i == j) {
				t.Fatalf("errors.Is(%v, %v) = %v", a, b, !(i == j))
			}
		}
	}
}

func TestDefaultConfig(t *testing.T) {
	c := agentsched.DefaultConfig()
	want := agentsched.Config{
		Scoring:        agentsched.ScoringLeastAllocated,
		Discipline:     agentsched.DisciplinePriorityFIFO,
		Backfill:       true,
		Reservation:    true,
		RejectNeverFit: true,
		Search:         agentsched.SearchIndexed,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("DefaultConfig() = %+v, want %+v", c, want)
	}
}

func TestNewDispatcherErrors(t *testing.T) {
	cases := []struct {
		name string
		dims []string
		cfg  func(*agentsched.Config)
		want *agentsched.Error
	}{
		{"no dimensions", nil, nil, agentsched.ErrInvalidSchema},
		{"empty name", []string{"cpu", ""}, nil, agentsched.ErrInvalidSchema},
		{"repeated name", []string{"cpu", "cpu"}, nil, agentsched.ErrInvalidSchema},
		{"NUL in name", []string{"cpu\x00gpu"}, nil, agentsched.ErrInvalidArgument},
		{"not UTF-8", []string{"cpu\xff"}, nil, agentsched.ErrInvalidArgument},
		{"unknown scoring", dims, func(c *agentsched.Config) { c.Scoring = 77 }, agentsched.ErrInvalidArgument},
		{"unknown discipline", dims, func(c *agentsched.Config) { c.Discipline = 77 }, agentsched.ErrInvalidArgument},
		{"unknown search", dims, func(c *agentsched.Config) { c.Search = 77 }, agentsched.ErrInvalidArgument},
		{"MLFQ without quanta", dims, func(c *agentsched.Config) {
			c.Discipline = agentsched.DisciplineMLFQ
			c.MLFQBoostInterval = 10
		}, nil},
		{"MLFQ NaN quantum", dims, func(c *agentsched.Config) {
			c.Discipline = agentsched.DisciplineMLFQ
			c.MLFQQuanta = []float64{1, math.NaN()}
			c.MLFQBoostInterval = 10
		}, nil},
		{"negative weight", dims, func(c *agentsched.Config) {
			c.Scoring = agentsched.ScoringWeighted
			c.Weights = agentsched.Weights{LeastAllocated: -1}
		}, nil},
		{"infinite aging rate", dims, func(c *agentsched.Config) {
			c.Discipline = agentsched.DisciplineAging
			c.AgingRate = math.Inf(1)
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg *agentsched.Config
			if tc.cfg != nil {
				c := agentsched.DefaultConfig()
				tc.cfg(&c)
				cfg = &c
			}
			d, err := agentsched.NewDispatcher(tc.dims, cfg)
			if err == nil {
				d.Close()
				t.Fatal("NewDispatcher succeeded")
			}
			if d != nil {
				t.Fatal("a dispatcher with an error")
			}
			var e *agentsched.Error
			if !errors.As(err, &e) {
				t.Fatalf("%v is not an *agentsched.Error", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			// Policy numbers are refused as a config or a number error.
			if tc.want == nil && !errors.Is(err, agentsched.ErrInvalidConfig) && !errors.Is(err, agentsched.ErrInvalidNumber) {
				t.Fatalf("got %v, want an invalid config or number", err)
			}
		})
	}
}

// Every policy builds and places the same simple workload without breaking capacity.
func TestEveryPolicy(t *testing.T) {
	var cfgs []agentsched.Config
	for _, s := range []agentsched.Scoring{agentsched.ScoringLeastAllocated, agentsched.ScoringMostAllocated,
		agentsched.ScoringBalanced, agentsched.ScoringDotProduct, agentsched.ScoringLowestCost} {
		c := agentsched.DefaultConfig()
		c.Scoring = s
		cfgs = append(cfgs, c)
	}
	w := agentsched.DefaultConfig()
	w.Scoring = agentsched.ScoringWeighted
	w.Weights = agentsched.Weights{LeastAllocated: 1, MostAllocated: 0.1, Balanced: 0.5, DotProduct: 0.3, LowestCost: 0.2}
	sjf := agentsched.DefaultConfig()
	sjf.Discipline = agentsched.DisciplineSJF
	mlfq := agentsched.DefaultConfig()
	mlfq.Discipline = agentsched.DisciplineMLFQ
	mlfq.MLFQQuanta = []float64{1, 4, 16}
	mlfq.MLFQBoostInterval = 50
	aging := agentsched.DefaultConfig()
	aging.Discipline = agentsched.DisciplineAging
	aging.AgingRate = 0.5
	scan := agentsched.DefaultConfig()
	scan.Search = agentsched.SearchFullScan
	scan.AllowInternalOnPublic = true
	scan.Backfill, scan.Reservation = false, false
	cfgs = append(cfgs, w, sjf, mlfq, aging, scan)

	for i, cfg := range cfgs {
		cfg := cfg
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d := newDispatcher(t, &cfg)
			quickstartPool(t, d)
			for id := uint32(0); id < 12; id++ {
				must(t, d.Submit(agentsched.TaskSpec{ID: id, Demand: []uint64{4_000, 8_192, uint64(id % 2)},
					Priority: int32(id % 3), Duration: float64(1 + id%4), Sensitivity: agentsched.Internal}))
			}
			as, err := d.Dispatch()
			must(t, err)
			if len(as) == 0 {
				t.Fatal("nothing placed")
			}
			used := map[uint32][3]uint64{}
			for _, a := range as {
				u := used[a.Agent]
				u[0] += 4_000
				u[1] += 8_192
				u[2] += uint64(a.Task % 2)
				used[a.Agent] = u
				if a.Start != 0 || a.ExpectedEnd <= a.Start || math.IsNaN(a.Score) {
					t.Fatalf("odd assignment %+v", a)
				}
			}
			caps := map[uint32][3]uint64{1: {16_000, 65_536, 0}, 2: {16_000, 65_536, 0}, 3: {32_000, 262_144, 4}, 4: {32_000, 131_072, 0}, 5: {64_000, 524_288, 8}}
			for a, u := range used {
				for k := range u {
					if u[k] > caps[a][k] {
						t.Fatalf("agent %d over capacity in %s: %v > %v", a, dims[k], u, caps[a])
					}
				}
				if !cfg.AllowInternalOnPublic && (a == 4 || a == 5) {
					t.Fatalf("internal data placed on public agent %d", a)
				}
			}
		})
	}
}

func TestCloseTwiceAndUseAfterClose(t *testing.T) {
	d, err := agentsched.NewDispatcher(dims, nil)
	must(t, err)
	must(t, d.Close())
	must(t, d.Close())
	spec := agentsched.TaskSpec{ID: 1, Demand: []uint64{1, 1, 0}}
	checks := map[string]error{
		"JoinAgent":    d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1, 1, 1}}),
		"DrainAgent":   d.DrainAgent(1),
		"RecoverAgent": d.RecoverAgent(1),
		"Submit":       d.Submit(spec),
		"Cancel":       d.Cancel(1),
		"Complete":     d.Complete(1),
		"Yield":        d.Yield(1, 1),
		"SetPriority":  d.SetPriority(1, 1),
		"Advance":      d.Advance(1),
		"Restore":      d.Restore([]byte("{}")),
	}
	_, checks["FailAgent"] = d.FailAgent(1)
	_, checks["LeaveAgent"] = d.LeaveAgent(1)
	_, _, checks["TaskState"] = d.TaskState(1)
	_, checks["Dispatch"] = d.Dispatch()
	_, checks["Counts"] = d.Counts()
	_, checks["Explain"] = d.Explain(1)
	_, checks["DryRun"] = d.DryRun(spec)
	_, checks["Snapshot"] = d.Snapshot()
	for name, err := range checks {
		if !errors.Is(err, agentsched.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if got := d.Dimensions(); !reflect.DeepEqual(got, dims) {
		t.Fatalf("Dimensions() = %v", got)
	}
}

// Dispatchers dropped without Close are freed by the finalizer (a smoke test: it must not
// crash, and Close after the GC ran on other handles still works).
func TestFinalizerSafetyNet(t *testing.T) {
	for i := 0; i < 50; i++ {
		d, err := agentsched.NewDispatcher(dims, nil)
		must(t, err)
		must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1, 1, 1}}))
	}
	runtime.GC()
	runtime.GC()
	d := newDispatcher(t, nil)
	must(t, d.Close())
}

func TestAgentEvents(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	c, err := d.Counts()
	must(t, err)
	if c.Agents != 5 {
		t.Fatalf("%d agents", c.Agents)
	}

	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1, 1, 1}}), agentsched.ErrDuplicateAgent)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1}}), agentsched.ErrDimensionMismatch)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1, 1}, Speed: -1}), agentsched.ErrInvalidNumber)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1, 1}, CostPerTime: math.NaN()}), agentsched.ErrInvalidNumber)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1, 1}, Tier: 7}), agentsched.ErrInvalidArgument)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1, 1},
		Labels: []agentsched.Label{{Key: "a\x00b", Value: "c"}}}), agentsched.ErrInvalidArgument)
	wantErr(t, d.JoinAgent(agentsched.AgentSpec{ID: 9, Capacity: []uint64{1, 1, 1},
		Labels: []agentsched.Label{{Key: "a", Value: "\xff"}}}), agentsched.ErrInvalidArgument)
	c2, err := d.Counts()
	must(t, err)
	if c2 != c {
		t.Fatalf("failed joins changed the counts: %+v -> %+v", c, c2)
	}

	for _, op := range []func(uint32) error{d.DrainAgent, d.RecoverAgent} {
		e := wantErr(t, op(42), agentsched.ErrUnknownAgent)
		if !strings.Contains(e.Message, "42") {
			t.Fatalf("message %q does not name the agent", e.Message)
		}
	}
	_, err = d.FailAgent(42)
	wantErr(t, err, agentsched.ErrUnknownAgent)
	_, err = d.LeaveAgent(42)
	wantErr(t, err, agentsched.ErrUnknownAgent)

	wantErr(t, d.RecoverAgent(1), agentsched.ErrAgentState) // ready already
	must(t, d.DrainAgent(1))
	must(t, d.RecoverAgent(1))
	ids, err := d.FailAgent(2)
	must(t, err)
	if len(ids) != 0 {
		t.Fatalf("an idle agent requeued %v", ids)
	}
	_, err = d.FailAgent(2)
	wantErr(t, err, agentsched.ErrAgentState) // down already
	must(t, d.RecoverAgent(2))

	// A draining agent takes nothing new.
	must(t, d.DrainAgent(1))
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{1_000, 1_024, 0},
		Labels: []agentsched.Label{{Key: "region", Value: "eu"}}}))
	must(t, d.DrainAgent(2))
	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 1 || as[0].Agent != 3 {
		t.Fatalf("with 1 and 2 draining, want agent 3: %+v", as)
	}

	ids, err = d.LeaveAgent(3)
	must(t, err)
	if !reflect.DeepEqual(ids, []uint32{1}) {
		t.Fatalf("LeaveAgent requeued %v", ids)
	}
	st, _, err := d.TaskState(1)
	must(t, err)
	if st != agentsched.TaskQueued {
		t.Fatalf("task 1 %v after its agent left", st)
	}
	c, err = d.Counts()
	must(t, err)
	if c.Agents != 4 || c.Requeued != 1 || c.Queued != 1 || c.Running != 0 {
		t.Fatalf("counts %+v", c)
	}
}

func TestTaskEvents(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	spec := agentsched.TaskSpec{ID: 7, Demand: []uint64{1_000, 2_048, 0}, Priority: 1, Duration: 4}
	must(t, d.Submit(spec))

	wantErr(t, d.Submit(spec), agentsched.ErrDuplicateTask)
	wantErr(t, d.Submit(agentsched.TaskSpec{ID: 8, Demand: []uint64{1, 1}}), agentsched.ErrDimensionMismatch)
	wantErr(t, d.Submit(agentsched.TaskSpec{ID: 8, Demand: []uint64{1, 1, 0}, Duration: math.NaN()}), agentsched.ErrInvalidNumber)
	wantErr(t, d.Submit(agentsched.TaskSpec{ID: 8, Demand: []uint64{1, 1, 0}, Duration: -1}), agentsched.ErrInvalidNumber)
	wantErr(t, d.Submit(agentsched.TaskSpec{ID: 8, Demand: []uint64{1, 1, 0}, Sensitivity: 9}), agentsched.ErrInvalidArgument)
	wantErr(t, d.Submit(agentsched.TaskSpec{ID: 8, Demand: []uint64{1, 1, 0},
		Labels: []agentsched.Label{{Key: "k", Value: "v\x00"}}}), agentsched.ErrInvalidArgument)

	st, agent, err := d.TaskState(7)
	must(t, err)
	if st != agentsched.TaskQueued || agent != 0 {
		t.Fatalf("TaskState = %v, %d", st, agent)
	}
	_, _, err = d.TaskState(8)
	wantErr(t, err, agentsched.ErrUnknownTask)

	wantErr(t, d.Complete(7), agentsched.ErrTaskState) // not running
	wantErr(t, d.Yield(7, 1), agentsched.ErrTaskState) // not running
	wantErr(t, d.Complete(8), agentsched.ErrUnknownTask)
	wantErr(t, d.Cancel(8), agentsched.ErrUnknownTask)
	wantErr(t, d.Yield(8, 1), agentsched.ErrUnknownTask)
	wantErr(t, d.SetPriority(8, 1), agentsched.ErrUnknownTask)
	must(t, d.SetPriority(7, 9))

	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 1 || as[0].Task != 7 {
		t.Fatalf("Dispatch = %+v", as)
	}
	st, agent, err = d.TaskState(7)
	must(t, err)
	if st != agentsched.TaskRunning || agent != as[0].Agent {
		t.Fatalf("TaskState = %v, %d; placed on %d", st, agent, as[0].Agent)
	}
	wantErr(t, d.Yield(7, math.NaN()), agentsched.ErrInvalidNumber)
	must(t, d.Yield(7, 1))
	st, _, err = d.TaskState(7)
	must(t, err)
	if st != agentsched.TaskQueued {
		t.Fatalf("after Yield: %v", st)
	}
	as, err = d.Dispatch()
	must(t, err)
	if len(as) != 1 {
		t.Fatalf("Dispatch after Yield = %+v", as)
	}
	must(t, d.Advance(as[0].ExpectedEnd))
	must(t, d.Complete(7))
	st, _, err = d.TaskState(7)
	must(t, err)
	if st != agentsched.TaskDone {
		t.Fatalf("after Complete: %v", st)
	}
	wantErr(t, d.Complete(7), agentsched.ErrTaskState)
	wantErr(t, d.Cancel(7), agentsched.ErrTaskState)
	wantErr(t, d.SetPriority(7, 1), agentsched.ErrTaskState)
	wantErr(t, d.Submit(spec), agentsched.ErrDuplicateTask) // ids are not reused

	must(t, d.Submit(agentsched.TaskSpec{ID: 9, Demand: []uint64{1, 1, 0}}))
	must(t, d.Cancel(9))
	st, _, err = d.TaskState(9)
	must(t, err)
	if st != agentsched.TaskCancelled {
		t.Fatalf("after Cancel: %v", st)
	}
	as, err = d.Dispatch()
	must(t, err)
	if len(as) != 0 {
		t.Fatalf("nothing to place, got %+v", as)
	}
	c, err := d.Counts()
	must(t, err)
	want := agentsched.Counts{Agents: 5, Submitted: 2, Placed: 2, Completed: 1, Cancelled: 1}
	if c != want {
		t.Fatalf("Counts = %+v, want %+v", c, want)
	}
}

func TestClock(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.Advance(10))
	must(t, d.Advance(10))
	e := wantErr(t, d.Advance(5), agentsched.ErrTimeWentBackwards)
	if !strings.Contains(e.Message, "5") {
		t.Fatalf("message %q does not give the time", e.Message)
	}
	wantErr(t, d.Advance(math.NaN()), agentsched.ErrInvalidNumber)
	wantErr(t, d.Advance(math.Inf(1)), agentsched.ErrInvalidNumber)
	// The message belongs to the last failed call.
	e2 := wantErr(t, d.Advance(1), agentsched.ErrTimeWentBackwards)
	if e2.Message == e.Message {
		t.Fatalf("stale message %q", e2.Message)
	}
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{4, 4, 0}}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{1, 1, 0}, Duration: 3}))
	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 1 || as[0].Start != 10 || as[0].ExpectedEnd != 13 {
		t.Fatalf("placed at the clock's time: %+v", as)
	}
}

func TestNeverFits(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	// 16 GPUs: only agent 5 has 8, and it is public.
	spec := agentsched.TaskSpec{ID: 999, Demand: []uint64{1_000, 1_024, 16}, Sensitivity: agentsched.Confidential}
	err := d.Submit(spec)
	e := wantErr(t, err, agentsched.ErrNeverFits)
	x := e.Explanation
	if x == nil {
		t.Fatal("ErrNeverFits without an explanation")
	}
	if x.Task != 999 || x.CouldEverFit || x.Feasible != 0 || x.Agents != 5 || x.Best != nil {
		t.Fatalf("explanation %+v", x)
	}
	if !strings.Contains(e.Message, x.Text) {
		t.Fatalf("message %q does not carry the explanation %q", e.Message, x.Text)
	}
	var total uint64
	kinds := map[agentsched.ReasonKind]uint64{}
	for _, r := range x.Reasons {
		total += r.Agents
		kinds[r.Kind] += r.Agents
		if r.Kind == agentsched.ReasonCapacityTooSmall && r.DimensionName != "gpu" {
			t.Fatalf("capacity too small in %q (%d)", r.DimensionName, r.Dimension)
		}
	}
	if total != 5 || kinds[agentsched.ReasonTierNotAllowed] != 2 || kinds[agentsched.ReasonCapacityTooSmall] != 3 {
		t.Fatalf("reasons %+v", x.Reasons)
	}
	if !strings.Contains(x.Text, "can never fit") || x.String() != x.Text {
		t.Fatalf("text %q", x.Text)
	}
	// Rejected: the task is not in the dispatcher.
	_, _, err = d.TaskState(999)
	wantErr(t, err, agentsched.ErrUnknownTask)

	// Without rejection it waits, and Explain says the same.
	cfg := agentsched.DefaultConfig()
	cfg.RejectNeverFit = false
	d2 := newDispatcher(t, &cfg)
	quickstartPool(t, d2)
	must(t, d2.Submit(spec))
	as, err := d2.Dispatch()
	must(t, err)
	if len(as) != 0 {
		t.Fatalf("placed a task that never fits: %+v", as)
	}
	x2, err := d2.Explain(999)
	must(t, err)
	if x2.CouldEverFit || x2.Text != x.Text {
		t.Fatalf("Explain = %q, Submit said %q", x2.Text, x.Text)
	}
}

func TestExplainAndDryRun(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	// Fill agent 3's GPUs.
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{1_000, 1_024, 4}, Sensitivity: agentsched.Confidential, Duration: 10}))
	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 1 || as[0].Agent != 3 {
		t.Fatalf("Dispatch = %+v", as)
	}

	before, err := d.Counts()
	must(t, err)
	snapBefore, err := d.Snapshot()
	must(t, err)

	// A private GPU task: agent 3 is short of gpu now, 1 and 2 have none, 4 and 5 are public.
	x, err := d.DryRun(agentsched.TaskSpec{ID: 2, Demand: []uint64{1_000, 1_024, 1}, Sensitivity: agentsched.Confidential})
	must(t, err)
	if x.Task != 2 || x.Feasible != 0 || !x.CouldEverFit || x.Best != nil || len(x.Candidates) != 0 {
		t.Fatalf("dry run %+v", x)
	}
	if len(x.ShortByDimension) != len(dims) || x.ShortByDimension[2] == 0 {
		t.Fatalf("ShortByDimension = %v", x.ShortByDimension)
	}
	var short *agentsched.Reason
	for i := range x.Reasons {
		if x.Reasons[i].Kind == agentsched.ReasonShort {
			short = &x.Reasons[i]
		}
	}
	if short == nil || short.Agents != 1 || short.Dimension != 2 || short.DimensionName != "gpu" {
		t.Fatalf("reasons %+v", x.Reasons)
	}
	if len(x.Closest) == 0 || x.Closest[0].Agent != 3 || !reflect.DeepEqual(x.Closest[0].Missing, []uint64{0, 0, 1}) {
		t.Fatalf("closest %+v", x.Closest)
	}

	// A label no agent has.
	x, err = d.DryRun(agentsched.TaskSpec{ID: 2, Demand: []uint64{1_000, 1_024, 0},
		Labels: agentsched.LabelsFromMap(map[string]string{"region": "ap"})})
	must(t, err)
	if len(x.Reasons) != 1 || x.Reasons[0].Kind != agentsched.ReasonMissingLabel ||
		x.Reasons[0].Label != "region=ap" || x.Reasons[0].Agents != 5 || x.CouldEverFit {
		t.Fatalf("reasons %+v", x.Reasons)
	}

	// A public task fits everywhere: candidates best first.
	x, err = d.DryRun(agentsched.TaskSpec{ID: 2, Demand: []uint64{1_000, 1_024, 0}})
	must(t, err)
	if x.Feasible != 5 || x.Best == nil || len(x.Candidates) == 0 || x.Candidates[0] != *x.Best {
		t.Fatalf("dry run %+v", x)
	}
	for i := 1; i < len(x.Candidates); i++ {
		if x.Candidates[i].Score > x.Candidates[i-1].Score {
			t.Fatalf("candidates not best first: %+v", x.Candidates)
		}
	}
	if !strings.HasPrefix(x.Text, "5/5 agents") {
		t.Fatalf("text %q", x.Text)
	}

	// A dry run changes nothing.
	after, err := d.Counts()
	must(t, err)
	snapAfter, err := d.Snapshot()
	must(t, err)
	if after != before || !bytes.Equal(snapAfter, snapBefore) {
		t.Fatal("DryRun changed the dispatcher")
	}

	_, err = d.DryRun(agentsched.TaskSpec{ID: 2, Demand: []uint64{1}})
	wantErr(t, err, agentsched.ErrDimensionMismatch)
	_, err = d.DryRun(agentsched.TaskSpec{ID: 2, Demand: []uint64{1, 1, 1}, Duration: math.Inf(1)})
	wantErr(t, err, agentsched.ErrInvalidNumber)

	// Explain a running task, then a finished one.
	x, err = d.Explain(1)
	must(t, err)
	if x.Task != 1 || x.Agents != 5 {
		t.Fatalf("Explain(1) = %+v", x)
	}
	_, err = d.Explain(77)
	wantErr(t, err, agentsched.ErrUnknownTask)
	must(t, d.Complete(1))
	_, err = d.Explain(1)
	wantErr(t, err, agentsched.ErrTaskState)
}

func TestGang(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	g := &agentsched.Gang{ID: 100, Size: 3}
	member := func(id uint32) agentsched.TaskSpec {
		return agentsched.TaskSpec{ID: id, Demand: []uint64{8_000, 8_192, 0}, Duration: 5, Gang: g}
	}
	must(t, d.Submit(member(1)))
	must(t, d.Submit(member(2)))
	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 0 {
		t.Fatalf("a partial gang was placed: %+v", as)
	}
	x, err := d.Explain(1)
	must(t, err)
	if x.Gang == nil || *x.Gang != (agentsched.GangProgress{ID: 100, Members: 2, Size: 3}) {
		t.Fatalf("gang progress %+v", x.Gang)
	}
	if !strings.Contains(x.Text, "2/3 members") {
		t.Fatalf("text %q", x.Text)
	}

	bad := member(3)
	bad.Gang = &agentsched.Gang{ID: 100, Size: 4}
	wantErr(t, d.Submit(bad), agentsched.ErrGang)
	zero := member(3)
	zero.Gang = &agentsched.Gang{ID: 101, Size: 0}
	wantErr(t, d.Submit(zero), agentsched.ErrInvalidConfig)

	must(t, d.Submit(member(3)))
	as, err = d.Dispatch()
	must(t, err)
	if len(as) != 3 {
		t.Fatalf("the whole gang at once: %+v", as)
	}
	wantErr(t, d.Submit(member(4)), agentsched.ErrGang) // full
}

func TestBackfillAndReservation(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{8, 8, 0}}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{6, 6, 0}, Duration: 10}))
	_, err := d.Dispatch()
	must(t, err)
	// Task 2 needs the whole agent: it blocks and reserves it; task 3 is small and short.
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: []uint64{8, 8, 0}, Priority: 5, Duration: 10}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 3, Demand: []uint64{2, 2, 0}, Duration: 1}))
	as, err := d.Dispatch()
	must(t, err)
	x, err := d.Explain(2)
	must(t, err)
	if x.Reservation == nil || x.Reservation.Task != 2 || x.Reservation.Agent != 1 {
		t.Fatalf("reservation %+v (%s)", x.Reservation, x.Text)
	}
	if len(as) != 1 || as[0].Task != 3 || !as[0].Backfilled {
		t.Fatalf("want task 3 backfilled: %+v", as)
	}
	c, err := d.Counts()
	must(t, err)
	if c.Backfilled != 1 {
		t.Fatalf("counts %+v", c)
	}
}

// The quickstart's story: a stream of agent tasks on a mixed pool; the private GPU box fails
// mid-run and its tasks return to the queue in arrival order; nothing confidential ever runs
// on a public agent; everything completes once the box recovers.
func TestQuickstartScenario(t *testing.T) {
	cfg := agentsched.DefaultConfig()
	cfg.Scoring = agentsched.ScoringWeighted
	cfg.Weights = agentsched.Weights{LeastAllocated: 1, LowestCost: 0.2}
	d := newDispatcher(t, &cfg)
	quickstartPool(t, d)
	public := map[uint32]bool{4: true, 5: true}

	type kind struct {
		name     string
		demand   []uint64
		duration float64
	}
	kinds := []kind{
		{"plan", []uint64{1_000, 2_048, 0}, 4},
		{"tool-call", []uint64{500, 1_024, 0}, 2},
		{"rag-index", []uint64{4_000, 16_384, 0}, 20},
		{"llm-infer", []uint64{8_000, 65_536, 2}, 30},
	}
	type arrival struct {
		at   float64
		spec agentsched.TaskSpec
	}
	var stream []arrival
	sens := map[uint32]agentsched.Sensitivity{}
	for i := uint32(0); i < 40; i++ {
		k := kinds[(int(i)*7+int(i)/3)%len(kinds)]
		s := agentsched.Public
		switch {
		case k.name == "llm-infer" || i%5 == 0:
			s = agentsched.Confidential
		case i%5 == 1 || i%5 == 2:
			s = agentsched.Internal
		}
		prio := int32(i % 3)
		if k.name == "plan" {
			prio = 5
		}
		sens[i] = s
		stream = append(stream, arrival{float64(i) * 1.5, agentsched.TaskSpec{ID: i, Demand: k.demand, Priority: prio, Duration: k.duration, Sensitivity: s}})
	}

	running := map[uint32]agentsched.Assignment{}
	submittedAt := map[uint32]int{} // arrival order
	next, finished := 0, 0
	failed, recovered := false, false
	var requeued []uint32
	for now := 0.0; finished < len(stream); now += 0.5 {
		if now > 2_000 {
			t.Fatalf("not finished by t=%v: %d/%d", now, finished, len(stream))
		}
		must(t, d.Advance(now))
		var done []uint32
		for id, a := range running {
			if a.ExpectedEnd <= now {
				done = append(done, id)
			}
		}
		sort.Slice(done, func(i, j int) bool { return done[i] < done[j] })
		for _, id := range done {
			must(t, d.Complete(id))
			delete(running, id)
			finished++
		}
		for next < len(stream) && stream[next].at <= now {
			submittedAt[stream[next].spec.ID] = next
			must(t, d.Submit(stream[next].spec))
			next++
		}
		if !failed && now >= 30 {
			failed = true
			var onThree []uint32
			for id, a := range running {
				if a.Agent == 3 {
					onThree = append(onThree, id)
				}
			}
			ids, err := d.FailAgent(3)
			must(t, err)
			requeued = ids
			if len(ids) == 0 || len(ids) != len(onThree) {
				t.Fatalf("FailAgent(3) requeued %v, it ran %v", ids, onThree)
			}
			for i, id := range ids {
				if a, ok := running[id]; !ok || a.Agent != 3 {
					t.Fatalf("requeued %d which was not running on 3", id)
				}
				if i > 0 && submittedAt[ids[i-1]] > submittedAt[id] {
					t.Fatalf("requeued %v not in arrival order", ids)
				}
				delete(running, id)
				st, _, err := d.TaskState(id)
				must(t, err)
				if st != agentsched.TaskQueued {
					t.Fatalf("requeued task %d is %v", id, st)
				}
			}
			// A confidential GPU task has nowhere to go now: it may never land on public 5.
			for _, id := range ids {
				if sens[id] == agentsched.Confidential {
					x, err := d.Explain(id)
					must(t, err)
					if x.Feasible != 0 || !x.CouldEverFit {
						t.Fatalf("explain %d: %+v", id, x)
					}
				}
			}
		}
		as, err := d.Dispatch()
		must(t, err)
		for _, a := range as {
			if public[a.Agent] && sens[a.Task] != agentsched.Public {
				t.Fatalf("%v task %d placed on public agent %d", sens[a.Task], a.Task, a.Agent)
			}
			if failed && !recovered && a.Agent == 3 {
				t.Fatalf("task %d placed on the failed agent", a.Task)
			}
			if a.Start != now {
				t.Fatalf("assignment %+v at t=%v", a, now)
			}
			running[a.Task] = a
		}
		if failed && !recovered && now >= 90 {
			recovered = true
			must(t, d.RecoverAgent(3))
		}
	}
	c, err := d.Counts()
	must(t, err)
	if c.Submitted != 40 || c.Completed != 40 || c.Requeued != uint64(len(requeued)) || c.Queued != 0 || c.Running != 0 ||
		c.Placed != 40+uint64(len(requeued)) {
		t.Fatalf("counts %+v (requeued %v)", c, requeued)
	}
}

// Confidential data never lands on a public agent, whatever else is free.
func TestConfidentialNeverOnPublic(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{2_000, 4_096, 0}}))
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 2, Capacity: []uint64{64_000, 524_288, 8}, Tier: agentsched.TierPublic}))
	for id := uint32(1); id <= 6; id++ {
		must(t, d.Submit(agentsched.TaskSpec{ID: id, Demand: []uint64{1_000, 1_024, 0}, Sensitivity: agentsched.Confidential, Duration: 1}))
	}
	as, err := d.Dispatch()
	must(t, err)
	if len(as) != 2 {
		t.Fatalf("want 2 on the private agent: %+v", as)
	}
	for _, a := range as {
		if a.Agent != 1 {
			t.Fatalf("confidential task on agent %d", a.Agent)
		}
	}
	x, err := d.Explain(3)
	must(t, err)
	kinds := map[agentsched.ReasonKind]uint64{}
	for _, r := range x.Reasons {
		kinds[r.Kind] = r.Agents
	}
	if kinds[agentsched.ReasonTierNotAllowed] != 1 || kinds[agentsched.ReasonShort] != 1 {
		t.Fatalf("reasons %+v", x.Reasons)
	}
	// Internal data stays private too, unless allowed; public data may go anywhere.
	must(t, d.Submit(agentsched.TaskSpec{ID: 10, Demand: []uint64{1_000, 1_024, 0}, Sensitivity: agentsched.Internal}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 11, Demand: []uint64{1_000, 1_024, 0}, Sensitivity: agentsched.Public}))
	as, err = d.Dispatch()
	must(t, err)
	if len(as) != 1 || as[0].Task != 11 || as[0].Agent != 2 {
		t.Fatalf("want only the public task, on agent 2: %+v", as)
	}
}

// Events applied after a snapshot give the same decisions on the original and on a restored
// copy; and the copy's snapshot is byte-identical.
func TestSnapshotRoundTrip(t *testing.T) {
	cfg := agentsched.DefaultConfig()
	cfg.Discipline = agentsched.DisciplineMLFQ
	cfg.MLFQQuanta = []float64{2, 8}
	cfg.MLFQBoostInterval = 40
	a := newDispatcher(t, &cfg)
	quickstartPool(t, a)
	for id := uint32(0); id < 30; id++ {
		must(t, a.Submit(agentsched.TaskSpec{ID: id, Demand: []uint64{uint64(2_000 + 500*(id%5)), 8_192, uint64(id % 3 / 2)},
			Priority: int32(id % 4), Duration: float64(3 + id%7), Sensitivity: agentsched.Sensitivity(id % 3)}))
	}
	_, err := a.Dispatch()
	must(t, err)
	must(t, a.Advance(5))
	_, err = a.FailAgent(2)
	must(t, err)
	// Dispatch after Advance before the snapshot: see TestSnapshotAfterAdvanceWithoutDispatch.
	_, err = a.Dispatch()
	must(t, err)

	snap, err := a.Snapshot()
	must(t, err)
	// A dispatcher with other dimensions and another policy takes the snapshot's.
	b, err := agentsched.NewDispatcher([]string{"x"}, nil)
	must(t, err)
	defer b.Close()
	must(t, b.Restore(snap))
	if got := b.Dimensions(); !reflect.DeepEqual(got, dims) {
		t.Fatalf("Dimensions after Restore = %v", got)
	}
	snapB, err := b.Snapshot()
	must(t, err)
	if !bytes.Equal(snap, snapB) {
		t.Fatal("restored snapshot differs")
	}

	run := func(d *agentsched.Dispatcher) (log []string) {
		ids, err := d.FailAgent(3)
		must(t, err)
		log = append(log, fmt.Sprint("requeued ", ids))
		must(t, d.RecoverAgent(2))
		for now := 6.0; now < 60; now += 1 {
			must(t, d.Advance(now))
			as, err := d.Dispatch()
			must(t, err)
			for _, x := range as {
				log = append(log, fmt.Sprintf("%+v", x))
				if x.Task%4 == 0 {
					must(t, d.Yield(x.Task, 1))
				} else {
					must(t, d.Complete(x.Task))
				}
			}
			if now == 20 {
				must(t, d.RecoverAgent(3))
			}
		}
		c, err := d.Counts()
		must(t, err)
		return append(log, fmt.Sprintf("%+v", c))
	}
	la, lb := run(a), run(b)
	if len(la) < 10 {
		t.Fatalf("too few decisions to compare: %v", la)
	}
	if !reflect.DeepEqual(la, lb) {
		t.Fatalf("decisions differ after restore:\n%v\n%v", la, lb)
	}
	sa, err := a.Snapshot()
	must(t, err)
	sb, err := b.Snapshot()
	must(t, err)
	if !bytes.Equal(sa, sb) {
		t.Fatal("final snapshots differ")
	}
}

// Known library issue (reported, not fixed here): when the clock passes a backfill
// reservation's shadow time and no Dispatch follows, Snapshot writes the reservation with
// shadow < now and Restore rejects it ("reservation must be held ... until a finite time not
// before the clock"). The test skips while the library has the issue and passes once fixed.
func TestSnapshotAfterAdvanceWithoutDispatch(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{8, 8, 0}}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{6, 6, 0}, Duration: 2}))
	must(t, d.Submit(agentsched.TaskSpec{ID: 2, Demand: []uint64{8, 8, 0}, Duration: 2}))
	_, err := d.Dispatch() // task 1 runs until 2; task 2 reserves agent 1 from 2
	must(t, err)
	must(t, d.Advance(5)) // task 1 overruns; no Dispatch yet
	snap, err := d.Snapshot()
	must(t, err)
	b := newDispatcher(t, nil)
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	sb, err := b.Snapshot()
	must(t, err)
	if !bytes.Equal(snap, sb) {
		t.Fatal("restored snapshot differs")
	}
}

func TestRestoreInvalid(t *testing.T) {
	d := newDispatcher(t, nil)
	quickstartPool(t, d)
	must(t, d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{1, 1, 0}}))
	before, err := d.Snapshot()
	must(t, err)

	valid := string(before)
	for name, b := range map[string][]byte{
		"empty":        nil,
		"garbage":      []byte("not json \x00\xff"),
		"truncated":    before[:len(before)/2],
		"wrong format": []byte(strings.Replace(valid, `"agentsched-dispatcher/1"`, `"agentsched-dispatcher/999"`, 1)),
		"empty object": []byte("{}"),
	} {
		err := d.Restore(b)
		if err == nil {
			t.Fatalf("%s: Restore succeeded", name)
		}
		var e *agentsched.Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Fatalf("%s: %v", name, err)
		}
		if name != "wrong format" && !errors.Is(err, agentsched.ErrInvalidSnapshot) {
			t.Fatalf("%s: %v, want ErrInvalidSnapshot", name, err)
		}
	}
	after, err := d.Snapshot()
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed Restore changed the dispatcher")
	}
	if got := d.Dimensions(); !reflect.DeepEqual(got, dims) {
		t.Fatalf("Dimensions after failed Restore = %v", got)
	}
}

// The mutex makes a Dispatcher safe for concurrent use.
func TestConcurrentUse(t *testing.T) {
	d := newDispatcher(t, nil)
	must(t, d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1 << 40, 1 << 40, 0}}))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				id := uint32(g*1000 + i)
				if err := d.Submit(agentsched.TaskSpec{ID: id, Demand: []uint64{1, 1, 0}}); err != nil {
					t.Error(err)
					return
				}
				if _, err := d.Dispatch(); err != nil {
					t.Error(err)
					return
				}
				if err := d.Advance(-1); !errors.Is(err, agentsched.ErrInvalidNumber) {
					t.Errorf("Advance(-1) = %v", err)
					return
				}
				if _, _, err := d.TaskState(id + 500); !errors.Is(err, agentsched.ErrUnknownTask) {
					t.Errorf("TaskState(%d) = %v", id+500, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	c, err := d.Counts()
	must(t, err)
	if c.Submitted != 200 || c.Placed != 200 || c.Running != 200 {
		t.Fatalf("counts %+v", c)
	}
}

func TestLabelsFromMap(t *testing.T) {
	got := agentsched.LabelsFromMap(map[string]string{"zone": "b", "region": "eu", "gpu": "a100"})
	want := []agentsched.Label{{Key: "gpu", Value: "a100"}, {Key: "region", Value: "eu"}, {Key: "zone", Value: "b"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LabelsFromMap = %v", got)
	}
	if want[1].String() != "region=eu" {
		t.Fatal(want[1].String())
	}
	if agentsched.TaskRunning.String() != "running" || agentsched.ReasonShort.String() != "short" ||
		agentsched.Confidential.String() != "confidential" || agentsched.TierPublic.String() != "public" {
		t.Fatal("String methods")
	}
}
