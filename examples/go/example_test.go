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
