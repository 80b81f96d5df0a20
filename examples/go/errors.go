package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import (
	"errors"
	"fmt"
)

// Status is the status of a C ABI call (agentsched_status). StatusOK is never returned as an
// error; every other value is an error kind.
type Status uint32

// The statuses of include/agentsched.h.
const (
	StatusOK                Status = C.AGENTSCHED_STATUS_OK
	StatusNullPointer       Status = C.AGENTSCHED_STATUS_NULL_POINTER
	StatusInvalidArgument   Status = C.AGENTSCHED_STATUS_INVALID_ARGUMENT
	StatusBufferTooSmall    Status = C.AGENTSCHED_STATUS_BUFFER_TOO_SMALL
	StatusPoisoned          Status = C.AGENTSCHED_STATUS_POISONED
	StatusUnknownTask       Status = C.AGENTSCHED_STATUS_UNKNOWN_TASK
	StatusDuplicateTask     Status = C.AGENTSCHED_STATUS_DUPLICATE_TASK
	StatusUnknownAgent      Status = C.AGENTSCHED_STATUS_UNKNOWN_AGENT
	StatusDuplicateAgent    Status = C.AGENTSCHED_STATUS_DUPLICATE_AGENT
	StatusDimensionMismatch Status = C.AGENTSCHED_STATUS_DIMENSION_MISMATCH
	StatusInvalidNumber     Status = C.AGENTSCHED_STATUS_INVALID_NUMBER
	StatusOverflow          Status = C.AGENTSCHED_STATUS_OVERFLOW
	StatusInvalidConfig     Status = C.AGENTSCHED_STATUS_INVALID_CONFIG
	StatusInvalidSchema     Status = C.AGENTSCHED_STATUS_INVALID_SCHEMA
	StatusTaskState         Status = C.AGENTSCHED_STATUS_TASK_STATE
	StatusAgentState        Status = C.AGENTSCHED_STATUS_AGENT_STATE
	StatusGang              Status = C.AGENTSCHED_STATUS_GANG
	StatusNeverFits         Status = C.AGENTSCHED_STATUS_NEVER_FITS
	StatusTimeWentBackwards Status = C.AGENTSCHED_STATUS_TIME_WENT_BACKWARDS
	StatusInvalidSnapshot   Status = C.AGENTSCHED_STATUS_INVALID_SNAPSHOT
	StatusQueue             Status = C.AGENTSCHED_STATUS_QUEUE
	StatusCycle             Status = C.AGENTSCHED_STATUS_CYCLE
	StatusInvalidGraph      Status = C.AGENTSCHED_STATUS_INVALID_GRAPH
	StatusInvalidSchedule   Status = C.AGENTSCHED_STATUS_INVALID_SCHEDULE
	StatusTooFewValues      Status = C.AGENTSCHED_STATUS_TOO_FEW_VALUES
	StatusSingular          Status = C.AGENTSCHED_STATUS_SINGULAR
	StatusPanic             Status = C.AGENTSCHED_STATUS_PANIC
)

// String is the library's description of the status (agentsched_status_str), e.g.
// "unknown task"; unknown values give "unknown status".
func (s Status) String() string {
	return C.GoString(C.agentsched_status_str(C.uint32_t(s)))
}

// Error is a failed call: the status and the library's message for it.
//
// Compare with the sentinels using errors.Is (errors.Is(err, ErrUnknownTask)) and read the
// details with errors.As.
type Error struct {
	// Status is the error kind.
	Status Status
	// Message is the detailed message (from agentsched_dispatcher_last_error when the call
	// had a handle), e.g. "unknown task t7"; empty in the sentinels.
	Message string
	// Explanation is set on ErrNeverFits returned by Dispatcher.Submit: why no agent in the
	// pool could ever hold the task, agent by agent.
	Explanation *Explanation
}

// Error formats the error as "agentsched: <status>: <message>".
func (e *Error) Error() string {
	if e.Message == "" {
		return "agentsched: " + e.Status.String()
	}
	return "agentsched: " + e.Status.String() + ": " + e.Message
}

// Is reports whether target is a sentinel *Error (one without a message) with the same status,
// so that errors.Is(err, ErrUnknownTask) holds for every unknown-task error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Status == e.Status
}

// Sentinel errors, one per status, for errors.Is.
var (
	ErrNullPointer       = &Error{Status: StatusNullPointer}
	ErrInvalidArgument   = &Error{Status: StatusInvalidArgument}
	ErrBufferTooSmall    = &Error{Status: StatusBufferTooSmall}
	ErrPoisoned          = &Error{Status: StatusPoisoned}
	ErrUnknownTask       = &Error{Status: StatusUnknownTask}
	ErrDuplicateTask     = &Error{Status: StatusDuplicateTask}
	ErrUnknownAgent      = &Error{Status: StatusUnknownAgent}
	ErrDuplicateAgent    = &Error{Status: StatusDuplicateAgent}
	ErrDimensionMismatch = &Error{Status: StatusDimensionMismatch}
	ErrInvalidNumber     = &Error{Status: StatusInvalidNumber}
	ErrOverflow          = &Error{Status: StatusOverflow}
	ErrInvalidConfig     = &Error{Status: StatusInvalidConfig}
	ErrInvalidSchema     = &Error{Status: StatusInvalidSchema}
	ErrTaskState         = &Error{Status: StatusTaskState}
	ErrAgentState        = &Error{Status: StatusAgentState}
	ErrGang              = &Error{Status: StatusGang}
	ErrNeverFits         = &Error{Status: StatusNeverFits}
	ErrTimeWentBackwards = &Error{Status: StatusTimeWentBackwards}
	ErrInvalidSnapshot   = &Error{Status: StatusInvalidSnapshot}
	ErrQueue             = &Error{Status: StatusQueue}
	ErrCycle             = &Error{Status: StatusCycle}
	ErrInvalidGraph      = &Error{Status: StatusInvalidGraph}
	ErrInvalidSchedule   = &Error{Status: StatusInvalidSchedule}
	ErrTooFewValues      = &Error{Status: StatusTooFewValues}
	ErrSingular          = &Error{Status: StatusSingular}
	ErrPanic             = &Error{Status: StatusPanic}
)

// ErrClosed is returned by every method of a Dispatcher, an Etc, a TaskGraph, a Dag or a
// Platform after Close (and by a Dag method given a closed Platform).
var ErrClosed = errors.New("agentsched: used after Close")

// invalidArgument is an error found on the Go side before calling C (a string with a NUL
// byte, not UTF-8, ...), reported as StatusInvalidArgument.
func invalidArgument(format string, args ...any) error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, args...)}
}
