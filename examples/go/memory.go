package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include <stdlib.h>
// #include "agentsched.h"
import "C"

import (
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// arena holds the C copies of one call's inputs; free releases them all after the call.
// C never sees Go memory that it could keep.
type arena struct {
	ptrs []unsafe.Pointer
}

func (a *arena) alloc(size uintptr) unsafe.Pointer {
	p := C.malloc(C.size_t(size))
	if p == nil {
		panic("agentsched: C.malloc failed")
	}
	a.ptrs = append(a.ptrs, p)
	return p
}

func (a *arena) free() {
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}

// str copies s as a NUL-terminated UTF-8 C string.
func (a *arena) str(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalidArgument("%s %q contains a NUL byte", what, s)
	}
	if !utf8.ValidString(s) {
		return nil, invalidArgument("%s %q is not UTF-8", what, s)
	}
	p := a.alloc(uintptr(len(s)) + 1)
	b := unsafe.Slice((*byte)(p), len(s)+1)
	copy(b, s)
	b[len(s)] = 0
	return (*C.char)(p), nil
}

// strs copies ss as a C array of C strings (NULL when empty).
func (a *arena) strs(what string, ss []string) (**C.char, error) {
	if len(ss) == 0 {
		return nil, nil
	}
	p := a.alloc(uintptr(len(ss)) * unsafe.Sizeof((*C.char)(nil)))
	arr := unsafe.Slice((**C.char)(p), len(ss))
	for i, s := range ss {
		c, err := a.str(what, s)
		if err != nil {
			return nil, err
		}
		arr[i] = c
	}
	return (**C.char)(p), nil
}

// u64s copies v into C memory (NULL when empty).
func (a *arena) u64s(v []uint64) *C.uint64_t {
	if len(v) == 0 {
		return nil
	}
	p := a.alloc(uintptr(len(v)) * 8)
	copy(unsafe.Slice((*uint64)(p), len(v)), v)
	return (*C.uint64_t)(p)
}

// f64s copies v into C memory (NULL when empty).
func (a *arena) f64s(v []float64) *C.double {
	if len(v) == 0 {
		return nil
	}
	p := a.alloc(uintptr(len(v)) * 8)
	copy(unsafe.Slice((*float64)(p), len(v)), v)
	return (*C.double)(p)
}

// bytes copies b into C memory (NULL when empty).
func (a *arena) bytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	p := a.alloc(uintptr(len(b)))
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return (*C.uint8_t)(p)
}

// labels copies ls as a C array of agentsched_label (NULL when empty).
func (a *arena) labels(ls []Label) (*C.agentsched_label, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	p := a.alloc(uintptr(len(ls)) * C.sizeof_agentsched_label)
	arr := unsafe.Slice((*C.agentsched_label)(p), len(ls))
	for i, l := range ls {
		k, err := a.str("label key", l.Key)
		if err != nil {
			return nil, err
		}
		v, err := a.str("label value", l.Value)
		if err != nil {
			return nil, err
		}
		arr[i] = C.agentsched_label{key: k, value: v}
	}
	return (*C.agentsched_label)(p), nil
}

// config converts c; the quanta live in the arena.
func (a *arena) config(c *Config) C.agentsched_config {
	return C.agentsched_config{
		scoring:                  C.uint32_t(c.Scoring),
		weight_least_allocated:   C.double(c.Weights.LeastAllocated),
		weight_most_allocated:    C.double(c.Weights.MostAllocated),
		weight_balanced:          C.double(c.Weights.Balanced),
		weight_dot_product:       C.double(c.Weights.DotProduct),
		weight_lowest_cost:       C.double(c.Weights.LowestCost),
		discipline:               C.uint32_t(c.Discipline),
		mlfq_quanta:              a.f64s(c.MLFQQuanta),
		mlfq_quanta_len:          C.size_t(len(c.MLFQQuanta)),
		mlfq_boost_interval:      C.double(c.MLFQBoostInterval),
		aging_rate:               C.double(c.AgingRate),
		allow_internal_on_public: C.bool(c.AllowInternalOnPublic),
		backfill:                 C.bool(c.Backfill),
		reservation:              C.bool(c.Reservation),
		reject_never_fit:         C.bool(c.RejectNeverFit),
		search:                   C.uint32_t(c.Search),
	}
}

// agent converts s; its arrays live in the arena.
func (a *arena) agent(s *AgentSpec) (C.agentsched_agent_spec, error) {
	labels, err := a.labels(s.Labels)
	if err != nil {
		return C.agentsched_agent_spec{}, err
	}
	speed := s.Speed
	if speed == 0 {
		speed = 1
	}
	return C.agentsched_agent_spec{
		id:            C.uint32_t(s.ID),
		capacity:      a.u64s(s.Capacity),
		capacity_len:  C.size_t(len(s.Capacity)),
		tier:          C.uint32_t(s.Tier),
		cost_per_time: C.double(s.CostPerTime),
		speed:         C.double(speed),
		labels:        labels,
		labels_len:    C.size_t(len(s.Labels)),
	}, nil
}

// task converts s; its arrays live in the arena.
func (a *arena) task(s *TaskSpec) (C.agentsched_task_spec, error) {
	labels, err := a.labels(s.Labels)
	if err != nil {
		return C.agentsched_task_spec{}, err
	}
	c := C.agentsched_task_spec{
		id:          C.uint32_t(s.ID),
		demand:      a.u64s(s.Demand),
		demand_len:  C.size_t(len(s.Demand)),
		priority:    C.int32_t(s.Priority),
		duration:    C.double(s.Duration),
		sensitivity: C.uint32_t(s.Sensitivity),
		labels:      labels,
		labels_len:  C.size_t(len(s.Labels)),
	}
	if s.Gang != nil {
		c.has_gang = true
		c.gang_id = C.uint32_t(s.Gang.ID)
		c.gang_size = C.uint32_t(s.Gang.Size)
	}
	return c, nil
}

// readArray reads a (buf, cap, *out_len) array output: a first call with no buffer learns the
// count (BUFFER_TOO_SMALL), a second fills a Go buffer. Go memory is fine here: C writes it
// during the call and keeps no pointer to it.
func readArray[T any](call func(buf *T, cap C.size_t, n *C.size_t) C.agentsched_status) ([]T, Status) {
	var n C.size_t
	st := Status(call(nil, 0, &n))
	for tries := 0; st == StatusBufferTooSmall && tries < 4; tries++ {
		buf := make([]T, n)
		st = Status(call(&buf[0], n, &n))
		if st == StatusOK {
			return buf[:n], StatusOK
		}
	}
	return nil, st
}

// readString reads a NUL-terminated string output the same way (the capacity must count
// the NUL).
func readString(call func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status) (string, Status) {
	var n C.size_t
	st := Status(call(nil, 0, &n))
	for tries := 0; st == StatusBufferTooSmall && tries < 4; tries++ {
		if uint64(n) >= math.MaxInt32 {
			break
		}
		buf := make([]byte, n+1)
		st = Status(call((*C.char)(unsafe.Pointer(&buf[0])), n+1, &n))
		if st == StatusOK {
			return string(buf[:n]), StatusOK
		}
	}
	return "", st
}
