package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Heuristics names the constructive mapping heuristics of [Etc.Heuristic], in the library's
// order (the order [Etc.Best] breaks ties in).
var Heuristics = []string{"olb", "met", "mct", "min-min", "max-min", "duplex", "sufferage", "lpt"}

// Mapping is a mapping of every task of an [Etc] matrix to a machine, as plain Go data.
type Mapping struct {
	// Assignment holds the machine of each task, in task order.
	Assignment []int
	// Completion holds each machine's completion time: its ready time plus its tasks' times.
	Completion []float64
	// Makespan is the largest completion time.
	Makespan float64
}

// Bounds are lower bounds on the optimal makespan of an [Etc] matrix.
type Bounds struct {
	// LongestTask is max(latest ready time, max over tasks of the best completion alone).
	LongestTask float64
	// Lagrangian is the Lagrangian dual of the assignment LP relaxation.
	Lagrangian float64
	// Best is the larger of the two: no mapping's makespan is below it.
	Best float64
}

// SearchOptions is the budget of [Etc.Improve] and [Etc.Best].
type SearchOptions struct {
	// MaxIterations bounds the improvement steps and perturbations.
	MaxIterations uint64
	// TimeLimit bounds the wall-clock time (rounded up to a millisecond); 0 means none, and
	// then the result is deterministic for a given Seed.
	TimeLimit time.Duration
	// Seed drives the perturbations.
	Seed uint64
}

func (o SearchOptions) timeLimitMs() C.uint64_t {
	if o.TimeLimit <= 0 {
		return 0
	}
	return C.uint64_t((o.TimeLimit + time.Millisecond - 1) / time.Millisecond)
}

// Etc is an expected-time-to-compute matrix: the time of every task on every machine, and
// each machine's ready time, validated once by [NewEtc].
//
// It owns a C handle, released by Close (a finalizer is only a safety net); after Close every
// method returns ErrClosed. Calls are serialised with a mutex, so an Etc is safe for
// concurrent use by several goroutines. Results are plain Go data.
type Etc struct {
	mu       sync.Mutex
	h        *C.agentsched_etc
	tasks    int
	machines int
}

// NewEtc makes a matrix of tasks x machines times in row-major order (etc[t*machines+p] is
// task t's time on machine p, finite and > 0) with the machines' ready times (finite, >= 0;
// nil means all 0).
//
// Errors: ErrInvalidNumber, ErrDimensionMismatch, ErrInvalidConfig (no machines, or more than
// 2^24), ErrOverflow, ErrInvalidArgument (a negative count).
func NewEtc(tasks, machines int, etc []float64, ready []float64) (*Etc, error) {
	if tasks < 0 || machines < 0 {
		return nil, invalidArgument("negative size %dx%d", tasks, machines)
	}
	var a arena
	defer a.free()
	cready := a.f64s(ready)
	if ready != nil && len(ready) == 0 {
		// An explicit empty ready list is a (wrong) list, not "all 0".
		cready = (*C.double)(a.alloc(8))
	}
	var h *C.agentsched_etc
	st := Status(C.agentsched_etc_new(C.size_t(tasks), C.size_t(machines), a.f64s(etc),
		C.size_t(len(etc)), cready, C.size_t(len(ready)), &h))
	if st != StatusOK {
		// No handle, so no message from the library: say what was asked.
		return nil, &Error{Status: st, Message: fmt.Sprintf("new %dx%d ETC matrix from %d times and %d ready times",
			tasks, machines, len(etc), len(ready))}
	}
	e := &Etc{h: h, tasks: tasks, machines: machines}
	runtime.SetFinalizer(e, (*Etc).Close)
	return e, nil
}

// Close frees the C handle. It is idempotent and always returns nil.
func (e *Etc) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h != nil {
		C.agentsched_etc_free(e.h)
		e.h = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

// Shape returns the number of tasks and machines.
func (e *Etc) Shape() (tasks, machines int) {
	return e.tasks, e.machines
}

// lastError builds the error for a failed call; the caller holds e.mu.
func (e *Etc) lastError(st Status) error {
	err := &Error{Status: st}
	switch st {
	case StatusBufferTooSmall, StatusPoisoned, StatusPanic:
		if st == StatusPanic {
			err.Message = "a panic was caught at the boundary (a library bug); the matrix is poisoned, only Close works"
		}
		return err
	}
	msg, mst := readString(func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_etc_last_error(e.h, buf, cap, n)
	})
	if mst == StatusOK {
		err.Message = msg
	}
	return err
}

// mapping runs f, which makes a C mapping, under the lock and copies the result into Go.
func (e *Etc) mapping(f func(h *C.agentsched_etc, out **C.agentsched_mapping) C.agentsched_status) (*Mapping, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h == nil {
		return nil, ErrClosed
	}
	var m *C.agentsched_mapping
	if st := Status(f(e.h, &m)); st != StatusOK {
		return nil, e.lastError(st)
	}
	defer C.agentsched_mapping_free(m)
	fail := func(what string, st Status) error {
		return &Error{Status: st, Message: "reading a mapping's " + what}
	}
	var makespan C.double
	if st := Status(C.agentsched_mapping_makespan(m, &makespan)); st != StatusOK {
		return nil, fail("makespan", st)
	}
	out := &Mapping{Makespan: float64(makespan), Assignment: []int{}, Completion: []float64{}}
	if e.tasks > 0 {
		assign, st := readArray(func(buf *C.size_t, cap C.size_t, n *C.size_t) C.agentsched_status {
			return C.agentsched_mapping_assignment(m, buf, cap, n)
		})
		if st != StatusOK {
			return nil, fail("assignment", st)
		}
		out.Assignment = make([]int, len(assign))
		for i, p := range assign {
			out.Assignment[i] = int(p)
		}
	}
	completion, st := readArray(func(buf *C.double, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_mapping_completion(m, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("completion times", st)
	}
	out.Completion = make([]float64, len(completion))
	for i, c := range completion {
		out.Completion[i] = float64(c)
	}
	return out, nil
}

// Heuristic maps every task with the constructive heuristic called name (one of
// [Heuristics]). Deterministic.
//
// Errors: ErrInvalidArgument (an unknown name; the message lists the known ones).
func (e *Etc) Heuristic(name string) (*Mapping, error) {
	var a arena
	defer a.free()
	cname, err := a.str("heuristic name", name)
	if err != nil {
		return nil, err
	}
	return e.mapping(func(h *C.agentsched_etc, out **C.agentsched_mapping) C.agentsched_status {
		return C.agentsched_map_heuristic(h, cname, out)
	})
}

// Improve improves the mapping start (a machine per task) by local search; the result's
// makespan is never above start's.
//
// Errors: ErrDimensionMismatch (not one machine per task), ErrInvalidConfig (a machine out of
// range).
func (e *Etc) Improve(start []int, opts SearchOptions) (*Mapping, error) {
	var a arena
	defer a.free()
	var cstart *C.size_t
	if len(start) > 0 {
		p := a.alloc(uintptr(len(start)) * unsafe.Sizeof(C.size_t(0)))
		arr := unsafe.Slice((*C.size_t)(p), len(start))
		for i, m := range start {
			if m < 0 {
				return nil, invalidArgument("start[%d] = %d is negative", i, m)
			}
			arr[i] = C.size_t(m)
		}
		cstart = (*C.size_t)(p)
	}
	return e.mapping(func(h *C.agentsched_etc, out **C.agentsched_mapping) C.agentsched_status {
		return C.agentsched_map_improve(h, cstart, C.size_t(len(start)), C.uint64_t(opts.MaxIterations),
			opts.timeLimitMs(), C.uint64_t(opts.Seed), out)
	})
}

// Best runs every heuristic and improves the best of them by local search within opts: the
// library's strongest method. Its makespan is never above any heuristic's.
func (e *Etc) Best(opts SearchOptions) (*Mapping, error) {
	return e.mapping(func(h *C.agentsched_etc, out **C.agentsched_mapping) C.agentsched_status {
		return C.agentsched_map_best(h, C.uint64_t(opts.MaxIterations), opts.timeLimitMs(),
			C.uint64_t(opts.Seed), out)
	})
}

// LowerBound returns lower bounds on the optimal makespan, the Lagrangian one maximised for
// iterations ascent steps (each O(tasks x machines); every count gives a valid bound).
func (e *Etc) LowerBound(iterations int) (Bounds, error) {
	if iterations < 0 {
		return Bounds{}, invalidArgument("negative iteration count %d", iterations)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h == nil {
		return Bounds{}, ErrClosed
	}
	var b C.agentsched_bounds
	if st := Status(C.agentsched_map_lower_bound(e.h, C.size_t(iterations), &b)); st != StatusOK {
		return Bounds{}, e.lastError(st)
	}
	return Bounds{LongestTask: float64(b.longest_task), Lagrangian: float64(b.lagrangian), Best: float64(b.best)}, nil
}
