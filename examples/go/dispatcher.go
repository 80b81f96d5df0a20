package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
)

// Dispatcher is an online dispatcher: agents join, fail and leave; tasks are submitted,
// dispatched onto agents, completed, cancelled or yielded; the clock only moves forward.
//
// It owns a C handle, released by Close; a finalizer frees it too if Close was forgotten, but
// do not rely on it (call Close, e.g. with defer). After Close every method returns ErrClosed.
//
// The C handle may not be used from two threads at once: a Dispatcher serialises its calls
// with a mutex, so it is safe for concurrent use by several goroutines. A failed call leaves
// the dispatcher as it was.
type Dispatcher struct {
	mu   sync.Mutex
	h    *C.agentsched_dispatcher
	dims []string
}

// NewDispatcher makes a dispatcher over the resource dimensions named by dims (e.g. "cpu",
// "memory", "gpu") with the policy cfg (nil means DefaultConfig()).
//
// Errors: ErrInvalidSchema (no, empty or repeated names), ErrInvalidConfig,
// ErrInvalidNumber, ErrInvalidArgument (an unknown enum value, a name with a NUL byte).
func NewDispatcher(dims []string, cfg *Config) (*Dispatcher, error) {
	var a arena
	defer a.free()
	cdims, err := a.strs("dimension name", dims)
	if err != nil {
		return nil, err
	}
	var ccfg *C.agentsched_config
	if cfg != nil {
		c := a.config(cfg)
		ccfg = &c
	}
	var h *C.agentsched_dispatcher
	if st := Status(C.agentsched_dispatcher_new(cdims, C.size_t(len(dims)), ccfg, &h)); st != StatusOK {
		// No handle, so no message from the library: say what was asked.
		return nil, &Error{Status: st, Message: fmt.Sprintf("new dispatcher over %q", dims)}
	}
	d := &Dispatcher{h: h, dims: append([]string(nil), dims...)}
	runtime.SetFinalizer(d, (*Dispatcher).Close)
	return d, nil
}

// Close frees the C handle. It is idempotent and always returns nil.
func (d *Dispatcher) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h != nil {
		C.agentsched_dispatcher_free(d.h)
		d.h = nil
		runtime.SetFinalizer(d, nil)
	}
	return nil
}

// Dimensions returns the names of the resource dimensions, in order (those of the last
// restored snapshot after Restore).
func (d *Dispatcher) Dimensions() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dims...)
}

// lastError builds the error for a failed call on the handle. The caller holds d.mu, so the
// message read is the one of this call.
func (d *Dispatcher) lastError(st Status) error {
	e := &Error{Status: st}
	switch st {
	case StatusNullPointer, StatusBufferTooSmall, StatusPoisoned, StatusPanic:
		// The library returns these without updating the handle's message; the message
		// there is an earlier call's, so leave it out.
		switch st {
		case StatusPanic:
			e.Message = "a panic was caught at the boundary (a library bug); the dispatcher is poisoned, only Close works"
		case StatusPoisoned:
			e.Message = "poisoned by an earlier panic; only Close works"
		}
		return e
	}
	msg, mst := readString(func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_dispatcher_last_error(d.h, buf, cap, n)
	})
	if mst == StatusOK {
		e.Message = msg
	}
	return e
}

// call runs f on the live handle under the lock and turns its status into an error.
func (d *Dispatcher) call(f func(h *C.agentsched_dispatcher) C.agentsched_status) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return ErrClosed
	}
	if st := Status(f(d.h)); st != StatusOK {
		return d.lastError(st)
	}
	return nil
}

// JoinAgent adds a ready agent to the pool.
//
// Errors: ErrDuplicateAgent, ErrDimensionMismatch, ErrInvalidNumber, ErrInvalidArgument.
func (d *Dispatcher) JoinAgent(spec AgentSpec) error {
	var a arena
	defer a.free()
	c, err := a.agent(&spec)
	if err != nil {
		return err
	}
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_agent_join(h, &c)
	})
}

// DrainAgent makes an agent finish what it runs and take nothing new.
//
// Errors: ErrUnknownAgent, ErrAgentState.
func (d *Dispatcher) DrainAgent(agent uint32) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_agent_drain(h, C.uint32_t(agent))
	})
}

// RecoverAgent makes a draining or down agent ready again.
//
// Errors: ErrUnknownAgent, ErrAgentState.
func (d *Dispatcher) RecoverAgent(agent uint32) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_agent_recover(h, C.uint32_t(agent))
	})
}

// FailAgent marks an agent down; its tasks return to the queue. It returns their ids in
// arrival order.
//
// Errors: ErrUnknownAgent, ErrAgentState.
func (d *Dispatcher) FailAgent(agent uint32) ([]uint32, error) {
	return d.requeueing(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_agent_fail(h, C.uint32_t(agent), nil)
	})
}

// LeaveAgent removes an agent from the pool; its tasks return to the queue. It returns their
// ids in arrival order.
//
// Errors: ErrUnknownAgent.
func (d *Dispatcher) LeaveAgent(agent uint32) ([]uint32, error) {
	return d.requeueing(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_agent_leave(h, C.uint32_t(agent), nil)
	})
}

func (d *Dispatcher) requeueing(f func(h *C.agentsched_dispatcher) C.agentsched_status) ([]uint32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return nil, ErrClosed
	}
	if st := Status(f(d.h)); st != StatusOK {
		return nil, d.lastError(st)
	}
	ids, st := readArray(func(buf *C.uint32_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_dispatcher_requeued(d.h, buf, cap, n)
	})
	if st != StatusOK {
		return nil, d.lastError(st)
	}
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out, nil
}

// Submit queues a task until the next Dispatch. A task with a Class goes through
// agentsched_task_submit_classed: with estimation enabled it is scheduled by its class's
// predicted runtime (see SetEstimation).
//
// Errors: ErrDuplicateTask, ErrDimensionMismatch (also: Features not of the model's length),
// ErrInvalidNumber (also: a feature not finite), ErrInvalidConfig (gang size 0), ErrGang,
// ErrInvalidArgument, and ErrNeverFits when no agent in the pool could ever hold the task and
// Config.RejectNeverFit is set: then the *Error's Explanation says why.
func (d *Dispatcher) Submit(spec TaskSpec) error {
	var a arena
	defer a.free()
	c, err := a.task(&spec)
	if err != nil {
		return err
	}
	var feats *C.double
	if spec.Class != nil {
		feats = a.f64s(spec.Features)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return ErrClosed
	}
	var st Status
	if spec.Class != nil {
		st = Status(C.agentsched_task_submit_classed(d.h, &c, C.uint32_t(*spec.Class), feats, C.size_t(len(spec.Features))))
	} else {
		st = Status(C.agentsched_task_submit(d.h, &c))
	}
	if st == StatusOK {
		return nil
	}
	e := d.lastError(st)
	if st == StatusNeverFits {
		// The C ABI carries the explanation in the message only; a dry run of the same spec
		// (which changes nothing) gives it as data.
		var x *C.agentsched_explanation
		if d.dryRun(&c, spec.Class, feats, len(spec.Features), &x) == StatusOK {
			if ex, xerr := readExplanation(x, d.dims); xerr == nil {
				e.(*Error).Explanation = ex
			}
		}
	}
	return e
}

// Cancel cancels a queued or running task.
//
// Errors: ErrUnknownTask, ErrTaskState.
func (d *Dispatcher) Cancel(task uint32) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_cancel(h, C.uint32_t(task))
	})
}

// Complete marks a running task done and releases its resources.
//
// Errors: ErrUnknownTask, ErrTaskState.
func (d *Dispatcher) Complete(task uint32) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_complete(h, C.uint32_t(task))
	})
}

// Yield returns a running task to the queue after it ran for used (MLFQ demotes by it).
//
// Errors: ErrUnknownTask, ErrTaskState, ErrInvalidNumber.
func (d *Dispatcher) Yield(task uint32, used float64) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_yield(h, C.uint32_t(task), C.double(used))
	})
}

// SetPriority changes a live task's priority.
//
// Errors: ErrUnknownTask, ErrTaskState.
func (d *Dispatcher) SetPriority(task uint32, priority int32) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_set_priority(h, C.uint32_t(task), C.int32_t(priority))
	})
}

// TaskState tells where a task is, and on which agent when it is running (0 otherwise).
//
// Errors: ErrUnknownTask.
func (d *Dispatcher) TaskState(task uint32) (state TaskState, agent uint32, err error) {
	var s, ag C.uint32_t
	err = d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_state(h, C.uint32_t(task), &s, &ag)
	})
	return TaskState(s), uint32(ag), err
}

// Advance moves the dispatcher's clock to now.
//
// Errors: ErrTimeWentBackwards, ErrInvalidNumber.
func (d *Dispatcher) Advance(now float64) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_dispatcher_advance(h, C.double(now))
	})
}

// Dispatch places what can be placed now and returns the decisions, in order.
func (d *Dispatcher) Dispatch() ([]Assignment, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return nil, ErrClosed
	}
	var n C.size_t
	if st := Status(C.agentsched_dispatch(d.h, &n)); st != StatusOK {
		return nil, d.lastError(st)
	}
	if n == 0 {
		return nil, nil
	}
	buf := make([]C.agentsched_assignment, n)
	if st := Status(C.agentsched_dispatcher_assignments(d.h, &buf[0], n, &n)); st != StatusOK {
		return nil, d.lastError(st)
	}
	out := make([]Assignment, n)
	for i, c := range buf[:n] {
		out[i] = Assignment{
			Task:        uint32(c.task),
			Agent:       uint32(c.agent),
			Score:       float64(c.score),
			Start:       float64(c.start),
			ExpectedEnd: float64(c.expected_end),
			Backfilled:  bool(c.backfilled),
		}
	}
	return out, nil
}

// Counts returns the dispatcher's counters.
func (d *Dispatcher) Counts() (Counts, error) {
	var c C.agentsched_counts
	err := d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_dispatcher_counts(h, &c)
	})
	if err != nil {
		return Counts{}, err
	}
	return Counts{
		Agents:        uint64(c.agents),
		Queued:        uint64(c.queued),
		Running:       uint64(c.running),
		Submitted:     uint64(c.submitted),
		Placed:        uint64(c.placed),
		Backfilled:    uint64(c.backfilled),
		Completed:     uint64(c.completed),
		Cancelled:     uint64(c.cancelled),
		Requeued:      uint64(c.requeued),
		Learned:       uint64(c.learned),
		LearnRejected: uint64(c.learn_rejected),
	}, nil
}

// Explain says why a live (queued or running) task is, or is not, placeable now.
//
// Errors: ErrUnknownTask, ErrTaskState.
func (d *Dispatcher) Explain(task uint32) (*Explanation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return nil, ErrClosed
	}
	var x *C.agentsched_explanation
	if st := Status(C.agentsched_explain(d.h, C.uint32_t(task), &x)); st != StatusOK {
		return nil, d.lastError(st)
	}
	return readExplanation(x, d.dims)
}

// DryRun says where a task would go now and why, without changing anything. A task with a
// Class is dry-run as Submit would queue it (agentsched_dry_run_classed): with estimation
// enabled, the backfill check uses its class's predicted runtime, as the real dispatch will.
//
// Errors: ErrDimensionMismatch (also: Features not of the model's length), ErrInvalidNumber
// (also: a feature not finite), ErrInvalidArgument.
func (d *Dispatcher) DryRun(spec TaskSpec) (*Explanation, error) {
	var a arena
	defer a.free()
	c, err := a.task(&spec)
	if err != nil {
		return nil, err
	}
	var feats *C.double
	if spec.Class != nil {
		feats = a.f64s(spec.Features)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return nil, ErrClosed
	}
	var x *C.agentsched_explanation
	if st := d.dryRun(&c, spec.Class, feats, len(spec.Features), &x); st != StatusOK {
		return nil, d.lastError(st)
	}
	return readExplanation(x, d.dims)
}

// dryRun calls the classed or the plain dry run; d.mu must be held.
func (d *Dispatcher) dryRun(c *C.agentsched_task_spec, class *uint32, feats *C.double, n int, x **C.agentsched_explanation) Status {
	if class != nil {
		return Status(C.agentsched_dry_run_classed(d.h, c, C.uint32_t(*class), feats, C.size_t(n), x))
	}
	return Status(C.agentsched_dry_run(d.h, c, x))
}

// Snapshot serialises the dispatcher's whole state (JSON) for Restore.
func (d *Dispatcher) Snapshot() ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return nil, ErrClosed
	}
	b, st := readArray(func(buf *C.uint8_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_dispatcher_snapshot(d.h, buf, cap, n)
	})
	if st != StatusOK {
		return nil, d.lastError(st)
	}
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = byte(c)
	}
	return out, nil
}

// Restore replaces the dispatcher's state (agents, tasks, clock, policy and dimensions) with
// a snapshot made by Snapshot. On failure the dispatcher is unchanged.
//
// Errors: ErrInvalidSnapshot, or the specific validation error.
func (d *Dispatcher) Restore(snapshot []byte) error {
	var a arena
	defer a.free()
	p := a.bytes(snapshot)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.h == nil {
		return ErrClosed
	}
	if st := Status(C.agentsched_dispatcher_restore(d.h, p, C.size_t(len(snapshot)))); st != StatusOK {
		return d.lastError(st)
	}
	// The snapshot carries the schema; keep the dimension names in step (best effort: the
	// library accepted the bytes, so this only fails if the format moves the names).
	var s struct {
		Schema struct {
			Names []string `json:"names"`
		} `json:"schema"`
	}
	if json.Unmarshal(snapshot, &s) == nil && len(s.Schema.Names) > 0 {
		d.dims = s.Schema.Names
	}
	return nil
}
