package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import (
	"fmt"
	"sort"
)

// Scoring is how agents that can take a task are ranked.
type Scoring uint32

// Scorings (AGENTSCHED_SCORING_*).
const (
	ScoringLeastAllocated Scoring = C.AGENTSCHED_SCORING_LEAST_ALLOCATED // spread load
	ScoringMostAllocated  Scoring = C.AGENTSCHED_SCORING_MOST_ALLOCATED  // bin-pack
	ScoringBalanced       Scoring = C.AGENTSCHED_SCORING_BALANCED        // balanced across dimensions
	ScoringDotProduct     Scoring = C.AGENTSCHED_SCORING_DOT_PRODUCT     // demand/free alignment (Tetris)
	ScoringLowestCost     Scoring = C.AGENTSCHED_SCORING_LOWEST_COST     // cheapest first
	ScoringWeighted       Scoring = C.AGENTSCHED_SCORING_WEIGHTED        // the mix in Config.Weights
)

// Discipline is the order of the queue.
type Discipline uint32

// Queue disciplines (AGENTSCHED_DISCIPLINE_*).
const (
	// DisciplinePriorityFIFO: priority desc, then estimated duration asc, then arrival.
	DisciplinePriorityFIFO Discipline = C.AGENTSCHED_DISCIPLINE_PRIORITY_FIFO
	// DisciplineSJF: shortest job first.
	DisciplineSJF Discipline = C.AGENTSCHED_DISCIPLINE_SJF
	// DisciplineMLFQ: multi-level feedback queue (Config.MLFQQuanta, Config.MLFQBoostInterval).
	DisciplineMLFQ Discipline = C.AGENTSCHED_DISCIPLINE_MLFQ
	// DisciplineAging: priority grows with waiting time (Config.AgingRate).
	DisciplineAging Discipline = C.AGENTSCHED_DISCIPLINE_AGING
)

// Search is how feasible agents are found.
type Search uint32

// Searches (AGENTSCHED_SEARCH_*).
const (
	SearchIndexed  Search = C.AGENTSCHED_SEARCH_INDEXED   // through the fit index
	SearchFullScan Search = C.AGENTSCHED_SEARCH_FULL_SCAN // full scan (the reference)
)

// Tier is where an agent runs.
type Tier uint32

// Tiers (AGENTSCHED_TIER_*).
const (
	TierPrivate Tier = C.AGENTSCHED_TIER_PRIVATE
	TierPublic  Tier = C.AGENTSCHED_TIER_PUBLIC
)

func (t Tier) String() string {
	switch t {
	case TierPrivate:
		return "private"
	case TierPublic:
		return "public"
	}
	return fmt.Sprintf("Tier(%d)", uint32(t))
}

// Sensitivity is the class of a task's data.
type Sensitivity uint32

// Sensitivities (AGENTSCHED_SENSITIVITY_*).
const (
	// Public data may run anywhere.
	Public Sensitivity = C.AGENTSCHED_SENSITIVITY_PUBLIC
	// Internal data runs on public agents only with Config.AllowInternalOnPublic.
	Internal Sensitivity = C.AGENTSCHED_SENSITIVITY_INTERNAL
	// Confidential data never runs on a public agent.
	Confidential Sensitivity = C.AGENTSCHED_SENSITIVITY_CONFIDENTIAL
)

func (s Sensitivity) String() string {
	switch s {
	case Public:
		return "public"
	case Internal:
		return "internal"
	case Confidential:
		return "confidential"
	}
	return fmt.Sprintf("Sensitivity(%d)", uint32(s))
}

// TaskState is where a task is.
type TaskState uint32

// Task states (AGENTSCHED_TASK_*).
const (
	TaskQueued    TaskState = C.AGENTSCHED_TASK_QUEUED
	TaskRunning   TaskState = C.AGENTSCHED_TASK_RUNNING
	TaskDone      TaskState = C.AGENTSCHED_TASK_DONE
	TaskCancelled TaskState = C.AGENTSCHED_TASK_CANCELLED
)

func (s TaskState) String() string {
	switch s {
	case TaskQueued:
		return "queued"
	case TaskRunning:
		return "running"
	case TaskDone:
		return "done"
	case TaskCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("TaskState(%d)", uint32(s))
}

// ReasonKind is why agents cannot take a task now.
type ReasonKind uint32

// Reason kinds (AGENTSCHED_REASON_*).
const (
	ReasonDown             ReasonKind = C.AGENTSCHED_REASON_DOWN               // the agent is down
	ReasonDraining         ReasonKind = C.AGENTSCHED_REASON_DRAINING           // the agent is draining
	ReasonTierNotAllowed   ReasonKind = C.AGENTSCHED_REASON_TIER_NOT_ALLOWED   // its tier may not hold the data
	ReasonMissingLabel     ReasonKind = C.AGENTSCHED_REASON_MISSING_LABEL      // it lacks Reason.Label
	ReasonCapacityTooSmall ReasonKind = C.AGENTSCHED_REASON_CAPACITY_TOO_SMALL // capacity below demand in Reason.Dimension
	ReasonShort            ReasonKind = C.AGENTSCHED_REASON_SHORT              // free quantity below demand in Reason.Dimension now
	ReasonReserved         ReasonKind = C.AGENTSCHED_REASON_RESERVED           // reserved for a task ahead
)

func (k ReasonKind) String() string {
	switch k {
	case ReasonDown:
		return "down"
	case ReasonDraining:
		return "draining"
	case ReasonTierNotAllowed:
		return "tier not allowed"
	case ReasonMissingLabel:
		return "missing label"
	case ReasonCapacityTooSmall:
		return "capacity too small"
	case ReasonShort:
		return "short"
	case ReasonReserved:
		return "reserved"
	}
	return fmt.Sprintf("ReasonKind(%d)", uint32(k))
}

// The library version of the header this package was compiled against.
const (
	VersionMajor = C.AGENTSCHED_VERSION_MAJOR
	VersionMinor = C.AGENTSCHED_VERSION_MINOR
	VersionPatch = C.AGENTSCHED_VERSION_PATCH
)

// Version is the version of the linked library, e.g. "0.1.0" (agentsched_version).
func Version() string {
	return C.GoString(C.agentsched_version())
}

// Weights is the mix used by ScoringWeighted (each finite and >= 0).
type Weights struct {
	LeastAllocated float64
	MostAllocated  float64
	Balanced       float64
	DotProduct     float64
	LowestCost     float64
}

// Config is a dispatcher's policy. Start from DefaultConfig: the zero value turns backfill,
// reservation and never-fit rejection off.
type Config struct {
	Scoring Scoring
	// Weights is used with ScoringWeighted only.
	Weights    Weights
	Discipline Discipline
	// MLFQQuanta is, with DisciplineMLFQ, the time a task may consume at each level before
	// demotion (1 to 16 values, each finite and > 0).
	MLFQQuanta []float64
	// MLFQBoostInterval is, with DisciplineMLFQ, how often all tasks return to the top level
	// (finite, > 0).
	MLFQBoostInterval float64
	// AgingRate is, with DisciplineAging, the priority levels gained per unit of waiting time
	// (finite, >= 0).
	AgingRate float64
	// AllowInternalOnPublic lets internal data run on public agents.
	AllowInternalOnPublic bool
	// Backfill lets tasks behind a blocked task be placed.
	Backfill bool
	// Reservation makes the first blocked task hold a reservation (EASY backfill).
	Reservation bool
	// RejectNeverFit makes Submit reject a task no agent could ever hold (ErrNeverFits).
	RejectNeverFit bool
	Search         Search
}

// DefaultConfig is the library's default policy (agentsched_config_default): least-allocated
// scoring, priority-FIFO queue, backfill and reservation on, never-fit tasks rejected,
// internal data kept private, indexed search.
func DefaultConfig() Config {
	var c C.agentsched_config
	if st := Status(C.agentsched_config_default(&c)); st != StatusOK {
		panic("agentsched: agentsched_config_default failed: " + st.String())
	}
	return Config{
		Scoring: Scoring(c.scoring),
		Weights: Weights{
			LeastAllocated: float64(c.weight_least_allocated),
			MostAllocated:  float64(c.weight_most_allocated),
			Balanced:       float64(c.weight_balanced),
			DotProduct:     float64(c.weight_dot_product),
			LowestCost:     float64(c.weight_lowest_cost),
		},
		Discipline:            Discipline(c.discipline),
		MLFQBoostInterval:     float64(c.mlfq_boost_interval),
		AgingRate:             float64(c.aging_rate),
		AllowInternalOnPublic: bool(c.allow_internal_on_public),
		Backfill:              bool(c.backfill),
		Reservation:           bool(c.reservation),
		RejectNeverFit:        bool(c.reject_never_fit),
		Search:                Search(c.search),
	}
}

// Label is a key=value label: agents carry them, tasks require them.
type Label struct {
	Key   string
	Value string
}

func (l Label) String() string { return l.Key + "=" + l.Value }

// LabelsFromMap turns a map into labels sorted by key, for AgentSpec.Labels and
// TaskSpec.Labels.
func LabelsFromMap(m map[string]string) []Label {
	ls := make([]Label, 0, len(m))
	for k, v := range m {
		ls = append(ls, Label{Key: k, Value: v})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Key < ls[j].Key })
	return ls
}

// AgentSpec is an agent joining the pool.
type AgentSpec struct {
	ID uint32
	// Capacity has one value per dimension, in the host's units (millicores, MiB, devices).
	Capacity []uint64
	Tier     Tier
	// CostPerTime is the cost per unit time (finite, >= 0).
	CostPerTime float64
	// Speed is the relative speed (finite, > 0); 0 means 1.
	Speed  float64
	Labels []Label
}

// Gang makes a task one of Size tasks that are placed all at once or not at all.
type Gang struct {
	ID   uint32
	Size uint32 // >= 1
}

// TaskSpec is a task.
type TaskSpec struct {
	ID uint32
	// Demand has one value per dimension.
	Demand []uint64
	// Priority: higher runs first.
	Priority int32
	// Duration is the estimated duration on a speed-1 agent (finite, >= 0).
	Duration    float64
	Sensitivity Sensitivity
	// Labels are required of the agent (see LabelsFromMap).
	Labels []Label
	// Gang is nil for a task on its own.
	Gang *Gang
	// Class is the task's runtime class, nil for none. With estimation enabled
	// (Dispatcher.SetEstimation) a classed task is scheduled by its class's predicted runtime
	// instead of Duration, and teaches the model when it completes.
	Class *uint32
	// Features are the classed task's numeric features (exactly EstimationConfig.Features
	// finite values while estimation is enabled); ignored when Class is nil.
	Features []float64
}

// Assignment is one placement decision.
type Assignment struct {
	Task  uint32
	Agent uint32
	// Score is the agent's score for the task.
	Score float64
	// Start is the dispatcher's time at placement.
	Start float64
	// ExpectedEnd is Start + Duration / speed.
	ExpectedEnd float64
	// Backfilled tells whether it was placed past a blocked task.
	Backfilled bool
}

// Counts are a dispatcher's counters.
type Counts struct {
	Agents     uint64 // agents in the pool
	Queued     uint64 // queued tasks
	Running    uint64 // running tasks
	Submitted  uint64 // tasks accepted by Submit
	Placed     uint64 // placement decisions
	Backfilled uint64 // of those, placed past a blocked task
	Completed  uint64 // tasks completed
	Cancelled  uint64 // tasks cancelled
	Requeued   uint64 // tasks requeued by agent failure or departure
	// Learned counts the completions the runtime estimator learned from.
	Learned uint64
	// LearnRejected counts the completions the estimator refused (the update would overflow);
	// those tasks still completed.
	LearnRejected uint64
}

// Candidate is an agent and its score (higher is better).
type Candidate struct {
	Agent uint32
	Score float64
}

// GangProgress is a gang's progress.
type GangProgress struct {
	ID      uint32
	Members uint32 // members submitted
	Size    uint32
}

// Reservation is a backfill reservation: Agent is held for Task.
type Reservation struct {
	Task  uint32
	Agent uint32
}

// Reason is how many agents fail a task for one reason.
type Reason struct {
	Kind ReasonKind
	// Dimension is the dimension's index for ReasonCapacityTooSmall and ReasonShort (0
	// otherwise), DimensionName its name.
	Dimension     int
	DimensionName string
	// Label is the missing label as "key=value" for ReasonMissingLabel.
	Label  string
	Agents uint64
}

// ClosestAgent is an agent close to taking a task and what it lacks.
type ClosestAgent struct {
	Agent uint32
	// Missing is, per dimension, the quantity it lacks (0 where enough is free).
	Missing []uint64
}

// Explanation says why a task is, or is not, placeable now. It is plain Go data.
type Explanation struct {
	Task     uint32
	Agents   uint64 // agents in the pool
	Feasible uint64 // agents that could take the task now
	// Best is the best agent now, nil when none.
	Best *Candidate
	// CouldEverFit tells whether some agent in the pool could hold the task once idle.
	CouldEverFit bool
	// Gang is nil unless the task is a gang member.
	Gang *GangProgress
	// Reservation is nil unless a backfill reservation exists.
	Reservation *Reservation
	// Reasons are the per-reason agent counts, most frequent first.
	Reasons []Reason
	// Candidates are the best agents now, best first (at most 3).
	Candidates []Candidate
	// Closest are the agents closest to taking the task (at most 3).
	Closest []ClosestAgent
	// ShortByDimension is, per dimension, how many agents lack free quantity there.
	ShortByDimension []uint64
	// Text is the explanation as one line, e.g. "0/5 agents: 3 short of gpu, 1 down".
	Text string
}

func (e *Explanation) String() string { return e.Text }
