package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Algorithms names the list-scheduling algorithms of [Dag.Schedule]: HEFT and CPoP
// (Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002), lookahead HEFT (Bittencourt, Sakellariou
// and Madeira, PDP 2010) and HEFT improved by local search.
var Algorithms = []string{"heft", "cpop", "heft-lookahead", "heft-ls"}

// Delays says whether edges carry a delay on the fixed-duration model of [Dag.Times].
type Delays uint32

// Delays (AGENTSCHED_DELAYS_*).
const (
	// DelaysNone: edges are pure precedence.
	DelaysNone Delays = C.AGENTSCHED_DELAYS_NONE
	// DelaysData: an edge's data size is a delay in time units, as if every edge crossed agents
	// over a link of strength 1.
	DelaysData Delays = C.AGENTSCHED_DELAYS_DATA
)

func (d Delays) String() string {
	switch d {
	case DelaysNone:
		return "none"
	case DelaysData:
		return "data"
	}
	return fmt.Sprintf("Delays(%d)", uint32(d))
}

// FailureModel is what a failed attempt of a task costs.
type FailureModel uint32

// Failure models (AGENTSCHED_FAILURE_MODEL_*).
const (
	// Replacement: a failure is known at once, so a failed attempt costs nothing and the task
	// takes the time of the attempt that succeeds. With one backup that never fails, the
	// expected duration is (1 - f) p + f p_b.
	Replacement FailureModel = C.AGENTSCHED_FAILURE_MODEL_REPLACEMENT
	// SequentialRetry: a failure is found only at the end of an attempt, so the task takes the
	// sum of the times of every attempt made, the successful one included.
	SequentialRetry FailureModel = C.AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY
)

func (m FailureModel) String() string {
	switch m {
	case Replacement:
		return "replacement"
	case SequentialRetry:
		return "sequential retry"
	}
	return fmt.Sprintf("FailureModel(%d)", uint32(m))
}

// MakespanMethod is how a [MakespanEstimate] was computed.
type MakespanMethod uint32

// Methods (AGENTSCHED_MAKESPAN_*).
const (
	// MakespanExact: every scenario enumerated and weighted by its probability.
	MakespanExact MakespanMethod = C.AGENTSCHED_MAKESPAN_EXACT
	// MakespanMonteCarlo: a seeded Monte Carlo simulation.
	MakespanMonteCarlo MakespanMethod = C.AGENTSCHED_MAKESPAN_MONTE_CARLO
)

func (m MakespanMethod) String() string {
	switch m {
	case MakespanExact:
		return "exact"
	case MakespanMonteCarlo:
		return "monte carlo"
	}
	return fmt.Sprintf("MakespanMethod(%d)", uint32(m))
}

// handleError builds the error of a failed call on a handle whose last-error message read
// reads (the caller holds the handle's lock, so the message is this call's). kind names the
// handle in the messages of the statuses that leave no message of their own.
func handleError(st Status, kind string, read func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status) error {
	err := &Error{Status: st}
	switch st {
	case StatusBufferTooSmall:
		// A size probe: the library keeps the previous message, which is not this call's.
		return err
	case StatusPanic:
		err.Message = "a panic was caught at the boundary (a library bug); the " + kind + " is poisoned, only Close works"
		return err
	case StatusPoisoned:
		err.Message = "the " + kind + " is poisoned by an earlier panic; only Close works"
		return err
	}
	msg, mst := readString(read)
	if mst == StatusOK {
		err.Message = msg
	}
	return err
}

// durationMs rounds d up to whole milliseconds; 0 (or less) means no limit.
func durationMs(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// ---- TaskGraph -------------------------------------------------------------------------------

// TaskGraph is a task graph under construction: tasks with durations, edges with data sizes.
// Each insertion is checked on its own and a failed one changes nothing; acyclicity is checked
// by [TaskGraph.Freeze], which copies the graph into a [Dag] and leaves it usable.
//
// It owns a C handle, released by Close (a finalizer is only a safety net); after Close every
// method returns ErrClosed. Calls are serialised with a mutex, so a TaskGraph is safe for
// concurrent use by several goroutines.
type TaskGraph struct {
	mu sync.Mutex
	h  *C.agentsched_task_graph
}

// NewTaskGraph makes an empty task graph.
func NewTaskGraph() (*TaskGraph, error) {
	var h *C.agentsched_task_graph
	if st := Status(C.agentsched_task_graph_new(&h)); st != StatusOK {
		return nil, &Error{Status: st, Message: "new task graph"}
	}
	g := &TaskGraph{h: h}
	runtime.SetFinalizer(g, (*TaskGraph).Close)
	return g, nil
}

// Close frees the C handle; dags frozen from the graph stay valid. It is idempotent and always
// returns nil.
func (g *TaskGraph) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.h != nil {
		C.agentsched_task_graph_free(g.h)
		g.h = nil
		runtime.SetFinalizer(g, nil)
	}
	return nil
}

// call runs f on the live handle under the lock and turns its status into an error.
func (g *TaskGraph) call(f func(h *C.agentsched_task_graph) C.agentsched_status) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.h == nil {
		return ErrClosed
	}
	if st := Status(f(g.h)); st != StatusOK {
		return g.lastError(st)
	}
	return nil
}

// lastError builds the error for a failed call; the caller holds g.mu.
func (g *TaskGraph) lastError(st Status) error {
	return handleError(st, "task graph", func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_task_graph_last_error(g.h, buf, cap, n)
	})
}

// AddTask adds task id with duration (finite, >= 0): its time on the fixed-duration model of
// [Dag.Times], and its cost on related agents, where it runs duration / speed. Its task index
// (the index of every per-task result) is the number of tasks added before it.
//
// Errors: ErrDuplicateTask, ErrInvalidNumber, ErrOverflow.
func (g *TaskGraph) AddTask(id uint32, duration float64) error {
	return g.call(func(h *C.agentsched_task_graph) C.agentsched_status {
		return C.agentsched_task_graph_add_task(h, C.uint32_t(id), C.double(duration))
	})
}

// AddEdge adds the precedence edge from -> to: to may start only after from has finished and
// data units (finite, >= 0) have travelled between their agents (nothing travels between tasks
// on the same agent). A cycle is not detected here but by Freeze.
//
// Errors: ErrUnknownTask (either end; the message names it), ErrInvalidGraph (a self-loop or
// a repeated edge), ErrInvalidNumber, ErrOverflow.
func (g *TaskGraph) AddEdge(from, to uint32, data float64) error {
	return g.call(func(h *C.agentsched_task_graph) C.agentsched_status {
		return C.agentsched_task_graph_add_edge(h, C.uint32_t(from), C.uint32_t(to), C.double(data))
	})
}

// Size returns the number of tasks and edges added so far.
func (g *TaskGraph) Size() (tasks, edges int, err error) {
	var t, e C.size_t
	err = g.call(func(h *C.agentsched_task_graph) C.agentsched_status {
		return C.agentsched_task_graph_counts(h, &t, &e)
	})
	return int(t), int(e), err
}

// Freeze checks that the graph has no cycle and copies it into a [Dag] with a fixed
// topological order. The graph is not changed and stays usable (add to it and freeze again, or
// Close it: the dag does not depend on it). O(V + E) when every edge goes from a lower task
// index to a higher one, O(V log V + E) otherwise.
//
// Errors: ErrCycle (the message names the lowest task id on a cycle, e.g. "the task graph has
// a cycle through task task#3").
func (g *TaskGraph) Freeze() (*Dag, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.h == nil {
		return nil, ErrClosed
	}
	var h *C.agentsched_dag
	if st := Status(C.agentsched_dag_new(g.h, &h)); st != StatusOK {
		return nil, g.lastError(st)
	}
	return newDag(h)
}

// ---- Dag -------------------------------------------------------------------------------------

// Dag is a frozen, acyclic task graph: the input of every computation on graphs. Its tasks are
// addressed by task index, their insertion order (see [Dag.IndexOf] and [Dag.IDs]); every
// per-task result is a slice by task index.
//
// It owns a C handle, released by Close (a finalizer is only a safety net); after Close every
// method returns ErrClosed. The graph never changes, but the handle keeps the message of its
// latest failure, so calls are serialised with a mutex: a Dag is safe for concurrent use by
// several goroutines (to compute on one graph in parallel, freeze it once per goroutine).
// Results are plain Go data.
type Dag struct {
	mu    sync.Mutex
	h     *C.agentsched_dag
	tasks int
	edges int
	ids   []uint32
}

// newDag wraps h, reading its size and ids; it frees h on failure.
func newDag(h *C.agentsched_dag) (*Dag, error) {
	d := &Dag{h: h}
	var t, e C.size_t
	if st := Status(C.agentsched_dag_counts(h, &t, &e)); st != StatusOK {
		err := d.lastError(st)
		C.agentsched_dag_free(h)
		return nil, err
	}
	ids, st := readArray(func(buf *C.uint32_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_dag_ids(h, buf, cap, n)
	})
	if st != StatusOK {
		err := d.lastError(st)
		C.agentsched_dag_free(h)
		return nil, err
	}
	d.tasks, d.edges = int(t), int(e)
	d.ids = make([]uint32, len(ids))
	for i, id := range ids {
		d.ids[i] = uint32(id)
	}
	runtime.SetFinalizer(d, (*Dag).Close)
	return d, nil
}

// Close frees the C handle. It is idempotent and always returns nil.
func (d *Dag) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h != nil {
		C.agentsched_dag_free(d.h)
		d.h = nil
		runtime.SetFinalizer(d, nil)
	}
	return nil
}

// lastError builds the error for a failed call; the caller holds d.mu.
func (d *Dag) lastError(st Status) error {
	return handleError(st, "dag", func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_dag_last_error(d.h, buf, cap, n)
	})
}

// call runs f on the live handle under the lock and turns its status into an error. f may
// make several C calls (a size probe and a read) and returns the status of the last.
func (d *Dag) call(f func(h *C.agentsched_dag) Status) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return ErrClosed
	}
	switch st := f(d.h); st {
	case StatusOK:
		return nil
	case statusClosed:
		return ErrClosed
	default:
		return d.lastError(st)
	}
}

// withPlatform is call with a platform too, held (read-locked) for the call.
func (d *Dag) withPlatform(p *Platform, f func(h *C.agentsched_dag, ph *C.agentsched_platform) Status) error {
	if p == nil {
		return invalidArgument("nil platform")
	}
	return d.call(func(h *C.agentsched_dag) Status {
		p.mu.RLock()
		defer p.mu.RUnlock()
		if p.h == nil {
			return statusClosed
		}
		return f(h, p.h)
	})
}

// statusClosed is a Go-side status (outside the library's range) that Dag.call turns into
// ErrClosed: a closed platform passed to a Dag method.
const statusClosed Status = math.MaxUint32

// Size returns the number of tasks and edges.
func (d *Dag) Size() (tasks, edges int) {
	return d.tasks, d.edges
}

// IDs returns the task ids by task index (the ids in insertion order).
func (d *Dag) IDs() []uint32 {
	return append([]uint32(nil), d.ids...)
}

// IndexOf returns the task index of task id.
//
// Errors: ErrUnknownTask (the message names it).
func (d *Dag) IndexOf(id uint32) (int, error) {
	var i C.size_t
	err := d.call(func(h *C.agentsched_dag) Status {
		return Status(C.agentsched_dag_index_of(h, C.uint32_t(id), &i))
	})
	return int(i), err
}

// TopologicalOrder returns the task indices in topological order: among the tasks whose
// predecessors are all listed, the lowest index comes first (so an insertion order that is
// already topological is kept). Deterministic.
func (d *Dag) TopologicalOrder() ([]int, error) {
	var order []C.size_t
	err := d.call(func(h *C.agentsched_dag) Status {
		var st Status
		order, st = readArray(func(buf *C.size_t, cap C.size_t, n *C.size_t) C.agentsched_status {
			return C.agentsched_dag_topological_order(h, buf, cap, n)
		})
		return st
	})
	if err != nil {
		return nil, err
	}
	return intsOf(order), nil
}

func intsOf(v []C.size_t) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func floatsOf(v []C.double) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Times are the earliest and latest times, slack and a critical path of every task of a dag
// (the critical path method), as plain Go data; every slice is by task index.
type Times struct {
	// EST is each task's earliest start, EFT its earliest finish (EST + duration).
	EST, EFT []float64
	// LST and LFT are the latest start and finish that keep the makespan.
	LST, LFT []float64
	// Slack is LST - EST: how long a task may be delayed without delaying the makespan.
	Slack []float64
	// CriticalPath is one critical path, entry task to exit task, as task indices: found by
	// walking back from the exit task with the largest EFT through, at each step, the
	// predecessor that set the earliest start (ties by the lowest task index).
	CriticalPath []int
	// CriticalTasks are the ascending task indices of zero slack (up to 1e-9 * max(1,
	// Makespan)): the union of all critical paths.
	CriticalTasks []int
	// Makespan is the largest EFT (0 without tasks).
	Makespan float64
}

// readTimes copies t into Go and frees it.
func readTimes(t *C.agentsched_times) (*Times, error) {
	defer C.agentsched_times_free(t)
	fail := func(what string, st Status) error {
		return &Error{Status: st, Message: "reading times' " + what}
	}
	var ms C.double
	if st := Status(C.agentsched_times_makespan(t, &ms)); st != StatusOK {
		return nil, fail("makespan", st)
	}
	out := &Times{Makespan: float64(ms)}
	for _, v := range []struct {
		which C.uint32_t
		dst   *[]float64
		name  string
	}{
		{C.AGENTSCHED_TIMES_EST, &out.EST, "earliest starts"},
		{C.AGENTSCHED_TIMES_EFT, &out.EFT, "earliest finishes"},
		{C.AGENTSCHED_TIMES_LST, &out.LST, "latest starts"},
		{C.AGENTSCHED_TIMES_LFT, &out.LFT, "latest finishes"},
		{C.AGENTSCHED_TIMES_SLACK, &out.Slack, "slack"},
	} {
		vals, st := readArray(func(buf *C.double, cap C.size_t, n *C.size_t) C.agentsched_status {
			return C.agentsched_times_values(t, v.which, buf, cap, n)
		})
		if st != StatusOK {
			return nil, fail(v.name, st)
		}
		*v.dst = floatsOf(vals)
	}
	path, st := readArray(func(buf *C.size_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_times_critical_path(t, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("critical path", st)
	}
	out.CriticalPath = intsOf(path)
	crit, st := readArray(func(buf *C.size_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_times_critical_tasks(t, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("critical tasks", st)
	}
	out.CriticalTasks = intsOf(crit)
	return out, nil
}

// times runs f, which makes C times, under the lock and copies them into Go.
func (d *Dag) times(f func(h *C.agentsched_dag, out **C.agentsched_times) C.agentsched_status) (*Times, error) {
	var t *C.agentsched_times
	if err := d.call(func(h *C.agentsched_dag) Status { return Status(f(h, &t)) }); err != nil {
		return nil, err
	}
	return readTimes(t)
}

// Times computes the earliest and latest times, slack and a critical path of every task with
// its own duration (the critical path method). Deterministic, O(V + E).
//
// Errors: ErrInvalidArgument (an unknown delays value).
func (d *Dag) Times(delays Delays) (*Times, error) {
	return d.times(func(h *C.agentsched_dag, out **C.agentsched_times) C.agentsched_status {
		return C.agentsched_dag_times(h, C.uint32_t(delays), out)
	})
}

// TimesWith is Times with other durations, by task index (finite, >= 0), e.g. expected times
// or one agent's times.
//
// Errors: ErrDimensionMismatch (not one duration per task), ErrInvalidNumber,
// ErrInvalidArgument.
func (d *Dag) TimesWith(durations []float64, delays Delays) (*Times, error) {
	var a arena
	defer a.free()
	cd := a.f64s(durations)
	return d.times(func(h *C.agentsched_dag, out **C.agentsched_times) C.agentsched_status {
		return C.agentsched_dag_times_with(h, cd, C.size_t(len(durations)), C.uint32_t(delays), out)
	})
}

// ---- Platform --------------------------------------------------------------------------------

// Platform is the agents a task graph runs on: how long each task runs on each agent (related
// speeds or a per-task time matrix) and the link strengths between agents.
//
// It owns a C handle, released by Close (a finalizer is only a safety net); after Close, Dag
// methods given it return ErrClosed. The platform is immutable: it may be used by several
// calls at once, from several goroutines, and with several dags.
type Platform struct {
	// mu is read-locked by every call that uses h and locked by Close.
	mu     sync.RWMutex
	h      *C.agentsched_platform
	agents int
	tasks  int // -1 for related agents
}

// maxUnitLinks bounds the agents for which nil links are made here (agents^2 float64s).
const maxUnitLinks = 1 << 14

// unitLinks is links of strength 1 between distinct agents (0, unused, on the diagonal).
func unitLinks(agents int) ([]float64, error) {
	if agents > maxUnitLinks {
		return nil, invalidArgument("nil links with %d agents: pass the links (unit links are made for at most %d agents)",
			agents, maxUnitLinks)
	}
	if agents <= 0 {
		return nil, nil
	}
	l := make([]float64, agents*agents)
	for p := 0; p < agents; p++ {
		for q := 0; q < agents; q++ {
			if p != q {
				l[p*agents+q] = 1
			}
		}
	}
	return l, nil
}

// NewRelatedPlatform makes a platform of related agents: task t runs duration(t) / speeds[p]
// on agent p. speeds holds one finite positive speed per agent (at least one); links holds
// agents x agents link strengths in row-major order (moving data from agent p to agent q != p
// takes data / links[p*agents+q]; off the diagonal finite and > 0, on it finite, >= 0 and
// unused). nil links means strength 1 between every two agents.
//
// Errors: ErrInvalidConfig (no agent), ErrDimensionMismatch (links' length),
// ErrInvalidNumber, ErrOverflow.
func NewRelatedPlatform(speeds, links []float64) (*Platform, error) {
	if links == nil {
		var err error
		if links, err = unitLinks(len(speeds)); err != nil {
			return nil, err
		}
	}
	var a arena
	defer a.free()
	var h *C.agentsched_platform
	st := Status(C.agentsched_platform_related(a.f64s(speeds), C.size_t(len(speeds)),
		a.f64s(links), C.size_t(len(links)), &h))
	if st != StatusOK {
		// No handle, so no message from the library: say what was asked.
		return nil, &Error{Status: st, Message: fmt.Sprintf("new related platform from %d speeds and %d links",
			len(speeds), len(links))}
	}
	return newPlatform(h, len(speeds), -1), nil
}

// NewMatrixPlatform makes a platform with a general time matrix: times[t*agents+p] (finite,
// >= 0) is task index t's time on agent p; links as in [NewRelatedPlatform] (nil: strength 1).
// It fits only dags with exactly tasks tasks.
//
// Errors: ErrInvalidConfig (no agent), ErrDimensionMismatch (times' or links' length),
// ErrInvalidNumber, ErrOverflow, ErrInvalidArgument (a negative count).
func NewMatrixPlatform(tasks, agents int, times, links []float64) (*Platform, error) {
	if tasks < 0 || agents < 0 {
		return nil, invalidArgument("negative size %dx%d", tasks, agents)
	}
	if links == nil {
		var err error
		if links, err = unitLinks(agents); err != nil {
			return nil, err
		}
	}
	var a arena
	defer a.free()
	var h *C.agentsched_platform
	st := Status(C.agentsched_platform_matrix(C.size_t(tasks), C.size_t(agents), a.f64s(times),
		C.size_t(len(times)), a.f64s(links), C.size_t(len(links)), &h))
	if st != StatusOK {
		return nil, &Error{Status: st, Message: fmt.Sprintf("new %dx%d matrix platform from %d times and %d links",
			tasks, agents, len(times), len(links))}
	}
	return newPlatform(h, agents, tasks), nil
}

func newPlatform(h *C.agentsched_platform, agents, tasks int) *Platform {
	p := &Platform{h: h, agents: agents, tasks: tasks}
	runtime.SetFinalizer(p, (*Platform).Close)
	return p
}

// Agents returns the number of agents.
func (p *Platform) Agents() int { return p.agents }

// Close frees the C handle, waiting for the calls using it. It is idempotent and always
// returns nil.
func (p *Platform) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil {
		C.agentsched_platform_free(p.h)
		p.h = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

// ---- schedules -------------------------------------------------------------------------------

// Slot is where and when one task runs; a schedule is a []Slot by task index.
type Slot struct {
	// Agent is the agent's index on the platform.
	Agent int
	// Start and Finish are the task's times; Finish is Start + its time on Agent.
	Start, Finish float64
}

// slots copies slots into C memory (NULL when empty).
func (a *arena) slots(slots []Slot) (*C.agentsched_slot, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	p := a.alloc(uintptr(len(slots)) * C.sizeof_agentsched_slot)
	arr := unsafe.Slice((*C.agentsched_slot)(p), len(slots))
	for i, s := range slots {
		if s.Agent < 0 || int64(s.Agent) > math.MaxUint32 {
			return nil, invalidArgument("slot %d: agent %d out of range", i, s.Agent)
		}
		arr[i] = C.agentsched_slot{agent: C.uint32_t(s.Agent), start: C.double(s.Start), finish: C.double(s.Finish)}
	}
	return (*C.agentsched_slot)(p), nil
}

func slotsOf(v []C.agentsched_slot) []Slot {
	out := make([]Slot, len(v))
	for i, s := range v {
		out[i] = Slot{Agent: int(s.agent), Start: float64(s.start), Finish: float64(s.finish)}
	}
	return out
}

// schedule runs f, which writes a schedule (slots, capacity, *len, *makespan), on the dag and
// platform, learning the size first, and copies the slots into Go.
func (d *Dag) schedule(p *Platform, f func(h *C.agentsched_dag, ph *C.agentsched_platform,
	buf *C.agentsched_slot, cap C.size_t, n *C.size_t, ms *C.double) C.agentsched_status) ([]Slot, float64, error) {
	var slots []C.agentsched_slot
	var ms C.double
	err := d.withPlatform(p, func(h *C.agentsched_dag, ph *C.agentsched_platform) Status {
		var st Status
		slots, st = readArray(func(buf *C.agentsched_slot, cap C.size_t, n *C.size_t) C.agentsched_status {
			return f(h, ph, buf, cap, n, &ms)
		})
		return st
	})
	if err != nil {
		return nil, 0, err
	}
	return slotsOf(slots), float64(ms), nil
}

// Schedule schedules every task on p with the list-scheduling algorithm called algorithm (one
// of [Algorithms]) and returns the slots by task index and the makespan (the largest finish):
// a schedule [Dag.Validate] accepts. Ties break by the lowest task index, then the lowest
// agent; deterministic.
//
// Errors: ErrInvalidArgument (an unknown name; the message lists the known ones),
// ErrDimensionMismatch (a matrix platform made for another number of tasks).
func (d *Dag) Schedule(p *Platform, algorithm string) ([]Slot, float64, error) {
	var a arena
	defer a.free()
	name, err := a.str("algorithm name", algorithm)
	if err != nil {
		return nil, 0, err
	}
	return d.schedule(p, func(h *C.agentsched_dag, ph *C.agentsched_platform, buf *C.agentsched_slot,
		cap C.size_t, n *C.size_t, ms *C.double) C.agentsched_status {
		return C.agentsched_dag_schedule(h, ph, name, buf, cap, n, ms)
	})
}

// ScheduleBest returns the library's strongest schedule within limit: HEFT, CPoP and (when it
// fits in half the time left) lookahead HEFT, then local search on the best of them for the
// rest of the time. The makespan is never above HEFT's or CPoP's. algorithm names the method
// that found it: "heft", "cpop" or "heft-lookahead", followed by "+ls" when the search lowered
// its makespan.
//
// limit 0 means none: everything runs with a budget that depends only on the graph's size,
// and the result is deterministic. A positive limit is rounded up to a millisecond; HEFT and
// CPoP always run, so a tiny limit is exceeded by their time.
//
// Errors: ErrDimensionMismatch (a matrix platform made for another number of tasks).
func (d *Dag) ScheduleBest(p *Platform, limit time.Duration) (slots []Slot, makespan float64, algorithm string, err error) {
	var name *C.char
	slots, makespan, err = d.schedule(p, func(h *C.agentsched_dag, ph *C.agentsched_platform, buf *C.agentsched_slot,
		cap C.size_t, n *C.size_t, ms *C.double) C.agentsched_status {
		return C.agentsched_dag_schedule_best(h, ph, durationMs(limit), buf, cap, n, ms, &name)
	})
	if err != nil {
		return nil, 0, "", err
	}
	// The name is a static C string: copy it, keep no pointer to it.
	return slots, makespan, C.GoString(name), nil
}

// Improve improves the valid schedule start (slots by task index) by iterated local search
// (the neighbourhood of Wu, Shu and Gu, IEEE TPDS 12(6), 2001); the result's makespan is never
// above start's. opts.MaxIterations bounds the re-timings of the graph; with no TimeLimit the
// result is deterministic for opts.Seed.
//
// Errors: ErrInvalidSchedule (start is not valid: the message names the task and the rule),
// ErrDimensionMismatch (not one slot per task, or a matrix platform made for another number
// of tasks), ErrInvalidArgument (a negative agent).
func (d *Dag) Improve(p *Platform, start []Slot, opts SearchOptions) ([]Slot, float64, error) {
	var a arena
	defer a.free()
	cstart, err := a.slots(start)
	if err != nil {
		return nil, 0, err
	}
	return d.schedule(p, func(h *C.agentsched_dag, ph *C.agentsched_platform, buf *C.agentsched_slot,
		cap C.size_t, n *C.size_t, ms *C.double) C.agentsched_status {
		return C.agentsched_dag_improve(h, ph, cstart, C.size_t(len(start)), C.uint64_t(opts.MaxIterations),
			durationMs(opts.TimeLimit), C.uint64_t(opts.Seed), buf, cap, n, ms)
	})
}

// Validate checks the schedule slots (by task index) with reported makespan from first
// principles and returns the makespan it recomputes. Rules: every slot on an existing agent;
// finite, non-negative start; finish = start + the execution time; every task starts no
// earlier than each predecessor's finish plus the communication time between their agents;
// no two tasks of positive length overlap on an agent; makespan = the largest finish. Times
// are compared with a tolerance of 1e-9 * max(1, makespan).
//
// Errors: ErrInvalidSchedule (the message names the first task breaking a rule, the rule and
// the numbers), ErrDimensionMismatch (not one slot per task, or a matrix platform made for
// another number of tasks), ErrInvalidArgument (a negative agent).
func (d *Dag) Validate(p *Platform, slots []Slot, makespan float64) (float64, error) {
	var a arena
	defer a.free()
	cs, err := a.slots(slots)
	if err != nil {
		return 0, err
	}
	var ms C.double
	err = d.withPlatform(p, func(h *C.agentsched_dag, ph *C.agentsched_platform) Status {
		return Status(C.agentsched_dag_validate(h, ph, cs, C.size_t(len(slots)), C.double(makespan), &ms))
	})
	if err != nil {
		return 0, err
	}
	return float64(ms), nil
}

// LowerBound returns a lower bound on the makespan of every schedule on p: the larger of the
// critical path with every task at its fastest agent and no communication, and the work bound
// (related agents: total duration / total speed; a time matrix: the sum of the fastest times
// / agents). 0 without tasks. O(V m + E).
//
// Errors: ErrDimensionMismatch (a matrix platform made for another number of tasks).
func (d *Dag) LowerBound(p *Platform) (float64, error) {
	var lb C.double
	err := d.withPlatform(p, func(h *C.agentsched_dag, ph *C.agentsched_platform) Status {
		return Status(C.agentsched_dag_lower_bound(h, ph, &lb))
	})
	if err != nil {
		return 0, err
	}
	return float64(lb), nil
}

// ranks reads per-task ranks with f.
func (d *Dag) ranks(p *Platform, f func(h *C.agentsched_dag, ph *C.agentsched_platform,
	buf *C.double, cap C.size_t, n *C.size_t) C.agentsched_status) ([]float64, error) {
	var r []C.double
	err := d.withPlatform(p, func(h *C.agentsched_dag, ph *C.agentsched_platform) Status {
		var st Status
		r, st = readArray(func(buf *C.double, cap C.size_t, n *C.size_t) C.agentsched_status {
			return f(h, ph, buf, cap, n)
		})
		return st
	})
	if err != nil {
		return nil, err
	}
	return floatsOf(r), nil
}

// UpwardRanks returns HEFT's priority of every task, by task index: rank_u(i) = mean_w(i) +
// max over successors j of (mean_c(i, j) + rank_u(j)) (Topcuoglu, Hariri and Wu 2002, eq. 5),
// with mean_w a task's mean time over the agents and mean_c an edge's data times the mean of
// 1 / link over the ordered pairs of distinct agents.
//
// Errors: ErrDimensionMismatch (a matrix platform made for another number of tasks).
func (d *Dag) UpwardRanks(p *Platform) ([]float64, error) {
	return d.ranks(p, func(h *C.agentsched_dag, ph *C.agentsched_platform, buf *C.double, cap C.size_t,
		n *C.size_t) C.agentsched_status {
		return C.agentsched_dag_upward_ranks(h, ph, buf, cap, n)
	})
}

// DownwardRanks returns rank_d of every task, by task index, with the mean costs of
// [Dag.UpwardRanks]: rank_d(i) = max over predecessors j of (rank_d(j) + mean_w(j) + mean_c(j,
// i)), 0 for an entry task (eq. 6). CPoP's priority is rank_u + rank_d.
//
// Errors: ErrDimensionMismatch (a matrix platform made for another number of tasks).
func (d *Dag) DownwardRanks(p *Platform) ([]float64, error) {
	return d.ranks(p, func(h *C.agentsched_dag, ph *C.agentsched_platform, buf *C.double, cap C.size_t,
		n *C.size_t) C.agentsched_status {
		return C.agentsched_dag_downward_ranks(h, ph, buf, cap, n)
	})
}

// ---- fault tolerance -------------------------------------------------------------------------

// Backup is one backup attempt of a task, tried when every earlier attempt has failed.
type Backup struct {
	// Time is how long the attempt takes (finite, >= 0).
	Time float64
	// Failure is the probability that the attempt fails, in [0, 1].
	Failure float64
}

// FaultSpec is how one task may fail and what takes over. The zero value is a task that never
// fails, runs the dag's duration and has no backup.
type FaultSpec struct {
	// Failure is the probability that the primary attempt fails, in [0, 1].
	Failure float64
	// HasTime makes the primary attempt take Time (finite, >= 0) instead of the task's
	// duration in the dag; without it Time is ignored.
	HasTime bool
	Time    float64
	// Backups are tried in this order (sort them fastest first for the "min over backups"
	// of the formula).
	Backups []Backup
}

// faultSpecs copies specs, and every backups array, into C memory (NULL when empty): the C
// structs hold pointers, which must not point into Go memory.
func (a *arena) faultSpecs(specs []FaultSpec) *C.agentsched_fault_spec {
	if len(specs) == 0 {
		return nil
	}
	p := a.alloc(uintptr(len(specs)) * C.sizeof_agentsched_fault_spec)
	arr := unsafe.Slice((*C.agentsched_fault_spec)(p), len(specs))
	for i, s := range specs {
		var backups *C.agentsched_backup
		if len(s.Backups) > 0 {
			bp := a.alloc(uintptr(len(s.Backups)) * C.sizeof_agentsched_backup)
			barr := unsafe.Slice((*C.agentsched_backup)(bp), len(s.Backups))
			for k, b := range s.Backups {
				barr[k] = C.agentsched_backup{time: C.double(b.Time), failure: C.double(b.Failure)}
			}
			backups = (*C.agentsched_backup)(bp)
		}
		arr[i] = C.agentsched_fault_spec{
			failure:     C.double(s.Failure),
			has_time:    C.bool(s.HasTime),
			time:        C.double(s.Time),
			backups:     backups,
			backups_len: C.size_t(len(s.Backups)),
		}
	}
	return (*C.agentsched_fault_spec)(p)
}

// ExpectedDurations returns each task's expected duration under model, by task index,
// conditional on the task completing; specs holds one spec per task by task index. With one
// backup that never fails and Replacement this is (1 - f) p + f p_b, with exactly those
// floating-point operations.
//
// Errors: ErrDimensionMismatch (not one spec per task), ErrInvalidNumber (the message names
// the lowest task index with a bad probability or time and the field; or a task whose every
// attempt fails with probability 1), ErrInvalidArgument (an unknown model).
func (d *Dag) ExpectedDurations(specs []FaultSpec, model FailureModel) ([]float64, error) {
	var a arena
	defer a.free()
	cs := a.faultSpecs(specs)
	var v []C.double
	err := d.call(func(h *C.agentsched_dag) Status {
		var st Status
		v, st = readArray(func(buf *C.double, cap C.size_t, n *C.size_t) C.agentsched_status {
			return C.agentsched_dag_expected_durations(h, cs, C.size_t(len(specs)), C.uint32_t(model), buf, cap, n)
		})
		return st
	})
	if err != nil {
		return nil, err
	}
	return floatsOf(v), nil
}

// ExpectedTimes computes the critical path method's times on the expected durations of
// [Dag.ExpectedDurations]. Their makespan and earliest times are lower bounds on the
// expectations of the random ones (Jensen's inequality; [Dag.ExpectedMakespan] gives the true
// expected makespan).
//
// Errors: as ExpectedDurations, and ErrInvalidArgument for an unknown delays value.
func (d *Dag) ExpectedTimes(specs []FaultSpec, model FailureModel, delays Delays) (*Times, error) {
	var a arena
	defer a.free()
	cs := a.faultSpecs(specs)
	return d.times(func(h *C.agentsched_dag, out **C.agentsched_times) C.agentsched_status {
		return C.agentsched_dag_expected_times(h, cs, C.size_t(len(specs)), C.uint32_t(model), C.uint32_t(delays), out)
	})
}

// probability runs a probability query on specs.
func (d *Dag) probability(specs []FaultSpec, f func(h *C.agentsched_dag, cs *C.agentsched_fault_spec,
	n C.size_t, out *C.double) C.agentsched_status) (float64, error) {
	var a arena
	defer a.free()
	cs := a.faultSpecs(specs)
	var pr C.double
	if err := d.call(func(h *C.agentsched_dag) Status {
		return Status(f(h, cs, C.size_t(len(specs)), &pr))
	}); err != nil {
		return 0, err
	}
	return float64(pr), nil
}

// NoBackupProbability returns the probability that the whole graph completes without using
// any backup: the product of (1 - Failure) over the tasks, multiplied in task-index order.
// A task whose attempts all fail is not an error here.
//
// Errors: ErrDimensionMismatch, ErrInvalidNumber (the message names the task and the field).
func (d *Dag) NoBackupProbability(specs []FaultSpec) (float64, error) {
	return d.probability(specs, func(h *C.agentsched_dag, cs *C.agentsched_fault_spec, n C.size_t,
		out *C.double) C.agentsched_status {
		return C.agentsched_dag_no_backup_probability(h, cs, n, out)
	})
}

// CompletionProbability returns the probability that every task completes, the product over
// the tasks of (1 - the probability that every attempt fails): the condition of every
// expectation here.
//
// Errors: as NoBackupProbability.
func (d *Dag) CompletionProbability(specs []FaultSpec) (float64, error) {
	return d.probability(specs, func(h *C.agentsched_dag, cs *C.agentsched_fault_spec, n C.size_t,
		out *C.double) C.agentsched_status {
		return C.agentsched_dag_completion_probability(h, cs, n, out)
	})
}

// MakespanOptions are the options of [Dag.ExpectedMakespan]; start from
// DefaultMakespanOptions.
type MakespanOptions struct {
	// MaxScenarios: enumerate every scenario when there are at most this many (the product
	// over tasks of the outcomes each can have), simulate otherwise; 0 always simulates.
	MaxScenarios uint64
	// Samples is the number of Monte Carlo samples (at least 2 when the simulation runs).
	Samples uint64
	// Seed drives the simulation: same seed, same estimate.
	Seed uint64
}

// DefaultMakespanOptions are the library's defaults (agentsched_makespan_options_default):
// enumerate up to 65536 scenarios, otherwise simulate 10000 samples with seed 0.
func DefaultMakespanOptions() MakespanOptions {
	var o C.agentsched_makespan_options
	if st := Status(C.agentsched_makespan_options_default(&o)); st != StatusOK {
		panic("agentsched: agentsched_makespan_options_default failed: " + st.String())
	}
	return MakespanOptions{MaxScenarios: uint64(o.max_scenarios), Samples: uint64(o.samples), Seed: uint64(o.seed)}
}

// MakespanEstimate is the expected makespan under a fault model, conditional on the graph
// completing.
type MakespanEstimate struct {
	// Mean is the expected makespan (exact, or the sample mean).
	Mean float64
	// StdDev is the standard deviation of the makespan itself.
	StdDev float64
	// StdError is the standard error of Mean: 0 when exact.
	StdError float64
	// Low and High are the 95% interval Mean -/+ 1.96 StdError.
	Low, High float64
	Method    MakespanMethod
	// Evaluated is the number of scenarios enumerated or samples drawn.
	Evaluated uint64
	// Seed is the simulation's seed (0 when exact).
	Seed uint64
	// LowerBound is the makespan of the expected durations (Jensen's inequality); a simulated
	// Mean may fall below it by sampling error.
	LowerBound float64
	// UpperBound is the makespan with every task at its longest possible time.
	UpperBound float64
	// CompletionProbability is the probability that every task completes.
	CompletionProbability float64
}

// ExpectedMakespan returns the expected makespan under model, conditional on the graph
// completing: exact when the scenarios number at most opts.MaxScenarios, a seeded Monte Carlo
// estimate otherwise. opts nil means DefaultMakespanOptions(). Deterministic.
//
// Errors: as ExpectedTimes, and ErrInvalidConfig (the simulation runs with fewer than 2
// samples).
func (d *Dag) ExpectedMakespan(specs []FaultSpec, model FailureModel, delays Delays, opts *MakespanOptions) (MakespanEstimate, error) {
	var a arena
	defer a.free()
	cs := a.faultSpecs(specs)
	var copts *C.agentsched_makespan_options
	if opts != nil {
		// A Go struct without pointers, read during the call only (as Config in NewDispatcher).
		copts = &C.agentsched_makespan_options{
			max_scenarios: C.uint64_t(opts.MaxScenarios),
			samples:       C.uint64_t(opts.Samples),
			seed:          C.uint64_t(opts.Seed),
		}
	}
	var e C.agentsched_makespan_estimate
	if err := d.call(func(h *C.agentsched_dag) Status {
		return Status(C.agentsched_dag_expected_makespan(h, cs, C.size_t(len(specs)), C.uint32_t(model),
			C.uint32_t(delays), copts, &e))
	}); err != nil {
		return MakespanEstimate{}, err
	}
	return MakespanEstimate{
		Mean:                  float64(e.mean),
		StdDev:                float64(e.std_dev),
		StdError:              float64(e.std_error),
		Low:                   float64(e.low),
		High:                  float64(e.high),
		Method:                MakespanMethod(e.method),
		Evaluated:             uint64(e.evaluated),
		Seed:                  uint64(e.seed),
		LowerBound:            float64(e.lower_bound),
		UpperBound:            float64(e.upper_bound),
		CompletionProbability: float64(e.completion_probability),
	}, nil
}
