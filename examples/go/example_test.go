package agentsched_test

import (
	"errors"
	"fmt"
	"log"

	"agentsched.example/agentsched"
)

// An agent fails mid-run: its task returns to the queue, and a request no agent could ever
// hold is rejected with the reason.
func Example() {
	d, err := agentsched.NewDispatcher([]string{"cpu", "memory", "gpu"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	for _, a := range []agentsched.AgentSpec{
		{ID: 1, Capacity: []uint64{16_000, 65_536, 0}},
		{ID: 2, Capacity: []uint64{32_000, 262_144, 4}, Speed: 1.5},
		{ID: 3, Capacity: []uint64{64_000, 524_288, 8}, Tier: agentsched.TierPublic, CostPerTime: 6},
	} {
		if err := d.JoinAgent(a); err != nil {
			log.Fatal(err)
		}
	}
	tasks := []agentsched.TaskSpec{
		{ID: 10, Demand: []uint64{1_000, 2_048, 0}, Priority: 5, Duration: 4},
		{ID: 11, Demand: []uint64{8_000, 65_536, 2}, Duration: 30, Sensitivity: agentsched.Confidential},
	}
	for _, t := range tasks {
		if err := d.Submit(t); err != nil {
			log.Fatal(err)
		}
	}
	placed, _ := d.Dispatch()
	for _, a := range placed {
		fmt.Printf("task %d -> agent %d until %.1f\n", a.Task, a.Agent, a.ExpectedEnd)
	}

	_ = d.Advance(10)
	requeued, _ := d.FailAgent(2)
	fmt.Println("agent 2 failed, requeued", requeued)
	x, _ := d.Explain(11)
	fmt.Println("why task 11 waits:", x)

	err = d.Submit(agentsched.TaskSpec{ID: 12, Demand: []uint64{1_000, 1_024, 16}, Sensitivity: agentsched.Confidential})
	var e *agentsched.Error
	if errors.Is(err, agentsched.ErrNeverFits) && errors.As(err, &e) {
		fmt.Println("task 12 rejected:", e.Explanation)
	}
	// Output:
	// task 10 -> agent 1 until 4.0
	// task 11 -> agent 2 until 20.0
	// agent 2 failed, requeued [11]
	// why task 11 waits: 0/3 agents: 1 down, 1 public tier not allowed for confidential data, 1 capacity too small in gpu
	// task 12 rejected: 0/3 agents: 1 down, 1 public tier not allowed for confidential data, 1 capacity too small in gpu; can never fit in this pool
}

// A task graph of four agent steps: its critical path, schedules on two related agents, and
// the expected makespan when the coding step may fail over to a slower backup. By hand: HEFT
// takes code first (mean time 6 > 4.5), both on the fast agent 1 after plan; search then ends
// soonest on agent 0 (1 to 7, no data from plan); review on agent 1 waits for search's data
// (7 + 0.5 / 1) and ends at 7.5 + 3 / 2 = 9. The bound is the critical path at speed 2:
// (2 + 8 + 3) / 2. The expected makespan is 0.8 * 13 + 0.2 * 17.
func ExampleDag() {
	g, err := agentsched.NewTaskGraph()
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	names := map[uint32]string{1: "plan", 2: "search", 3: "code", 4: "review"}
	for _, t := range []struct {
		id       uint32
		duration float64
	}{{1, 2}, {2, 6}, {3, 8}, {4, 3}} {
		if err := g.AddTask(t.id, t.duration); err != nil {
			log.Fatal(err)
		}
	}
	for _, e := range [][3]float64{{1, 2, 0}, {1, 3, 1}, {2, 4, 0.5}, {3, 4, 2}} { // from, to, data
		if err := g.AddEdge(uint32(e[0]), uint32(e[1]), e[2]); err != nil {
			log.Fatal(err)
		}
	}
	d, err := g.Freeze()
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	tm, _ := d.Times(agentsched.DelaysNone)
	path := []string{}
	for _, i := range tm.CriticalPath {
		path = append(path, names[d.IDs()[i]])
	}
	fmt.Println("critical path:", path, "makespan", tm.Makespan, "slack of search", tm.Slack[1])

	// Two agents, the second twice as fast; moving data between them takes data / 1.
	p, err := agentsched.NewRelatedPlatform([]float64{1, 2}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	slots, makespan, _ := d.Schedule(p, "heft")
	for i, s := range slots {
		fmt.Printf("%-6s on agent %d, %4.1f to %4.1f\n", names[d.IDs()[i]], s.Agent, s.Start, s.Finish)
	}
	_, best, algorithm, _ := d.ScheduleBest(p, 0)
	bound, _ := d.LowerBound(p)
	fmt.Printf("heft %.1f, best %.1f (%s), lower bound %.1f\n", makespan, best, algorithm, bound)

	// Coding fails one time in five; a backup then takes 12: (1 - 0.2) 8 + 0.2 12 = 8.8.
	specs := make([]agentsched.FaultSpec, 4)
	specs[2] = agentsched.FaultSpec{Failure: 0.2, Backups: []agentsched.Backup{{Time: 12}}}
	durations, _ := d.ExpectedDurations(specs, agentsched.Replacement)
	e, _ := d.ExpectedMakespan(specs, agentsched.Replacement, agentsched.DelaysNone, nil)
	noBackup, _ := d.NoBackupProbability(specs)
	fmt.Printf("expected code %.1f, expected makespan %.1f (%s), no backup %.1f\n",
		durations[2], e.Mean, e.Method, noBackup)
	// Output:
	// critical path: [plan code review] makespan 13 slack of search 2
	// plan   on agent 1,  0.0 to  1.0
	// search on agent 0,  1.0 to  7.0
	// code   on agent 1,  1.0 to  5.0
	// review on agent 1,  7.5 to  9.0
	// heft 9.0, best 9.0 (heft), lower bound 6.5
	// expected code 8.8, expected makespan 13.8 (exact), no backup 0.8
}

// Runtime estimation: the dispatcher learns how long each class of tool call takes and
// schedules by that rather than by what the caller declared. A build (class 1) declared at 1
// but learned at 8 waits behind a search (class 0) declared at 30 but learned at 1.
func ExampleDispatcher_SetEstimation() {
	cfg := agentsched.DefaultConfig()
	cfg.Discipline = agentsched.DisciplineSJF
	d, err := agentsched.NewDispatcher([]string{"cpu"}, &cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	if err := d.JoinAgent(agentsched.AgentSpec{ID: 1, Capacity: []uint64{1}}); err != nil {
		log.Fatal(err)
	}
	ec, _ := agentsched.DefaultEstimationConfig(1) // one feature: a constant 1 (the intercept)
	if err := d.SetEstimation(&ec); err != nil {
		log.Fatal(err)
	}
	class := func(c uint32) *uint32 { return &c }
	one := []float64{1}

	// Past runs teach the model: searches take 1, builds take 8.
	now := 0.0
	for i := uint32(0); i < 8; i++ {
		c, took := i%2, 1.0
		if c == 1 {
			took = 8
		}
		_ = d.Submit(agentsched.TaskSpec{ID: 100 + i, Demand: []uint64{1}, Duration: 5, Class: class(c), Features: one})
		_, _ = d.Dispatch()
		now += took
		_ = d.Advance(now)
		_ = d.Complete(100 + i)
	}

	_ = d.Submit(agentsched.TaskSpec{ID: 1, Demand: []uint64{1}, Duration: 1, Class: class(1), Features: one})
	_ = d.Submit(agentsched.TaskSpec{ID: 2, Demand: []uint64{1}, Duration: 30, Class: class(0), Features: one})
	for _, id := range []uint32{1, 2} {
		e, _ := d.TaskRuntime(id)
		fmt.Printf("task %d: estimate %.1f (%s)\n", id, e.Duration, e.Source)
	}
	placed, _ := d.Dispatch()
	fmt.Println("first:", placed[0].Task)
	c, _ := d.Counts()
	fmt.Println("learned from", c.Learned, "completions")
	// Output:
	// task 1: estimate 8.0 (regression)
	// task 2: estimate 1.0 (regression)
	// first: 2
	// learned from 8 completions
}
