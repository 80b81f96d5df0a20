package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import "fmt"

// readExplanation copies an explanation into Go memory and frees it (also on error).
func readExplanation(x *C.agentsched_explanation, dims []string) (*Explanation, error) {
	defer C.agentsched_explanation_free(x)
	fail := func(what string, st Status) error {
		return &Error{Status: st, Message: "reading an explanation's " + what}
	}

	var s C.agentsched_explanation_summary
	if st := Status(C.agentsched_explanation_get_summary(x, &s)); st != StatusOK {
		return nil, fail("summary", st)
	}
	e := &Explanation{
		Task:         uint32(s.task),
		Agents:       uint64(s.agents),
		Feasible:     uint64(s.feasible),
		CouldEverFit: bool(s.could_ever_fit),
	}
	if s.has_best {
		e.Best = &Candidate{Agent: uint32(s.best_agent), Score: float64(s.best_score)}
	}
	if s.has_gang {
		e.Gang = &GangProgress{ID: uint32(s.gang_id), Members: uint32(s.gang_members), Size: uint32(s.gang_size)}
	}
	if s.has_reservation {
		e.Reservation = &Reservation{Task: uint32(s.reserved_task), Agent: uint32(s.reserved_agent)}
	}

	reasons, st := readArray(func(buf *C.agentsched_reason, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_explanation_reasons(x, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("reasons", st)
	}
	for i, r := range reasons {
		reason := Reason{Kind: ReasonKind(r.kind), Agents: uint64(r.agents)}
		switch reason.Kind {
		case ReasonCapacityTooSmall, ReasonShort:
			reason.Dimension = int(r.dimension)
			reason.DimensionName = dimName(dims, reason.Dimension)
		case ReasonMissingLabel:
			idx := C.size_t(i)
			label, st := readString(func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
				return C.agentsched_explanation_reason_label(x, idx, buf, cap, n)
			})
			if st != StatusOK {
				return nil, fail("missing label", st)
			}
			reason.Label = label
		}
		e.Reasons = append(e.Reasons, reason)
	}

	cands, st := readArray(func(buf *C.agentsched_candidate, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_explanation_candidates(x, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("candidates", st)
	}
	for _, c := range cands {
		e.Candidates = append(e.Candidates, Candidate{Agent: uint32(c.agent), Score: float64(c.score)})
	}

	short, st := readArray(func(buf *C.uint64_t, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_explanation_short_by_dimension(x, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("short-by-dimension counts", st)
	}
	e.ShortByDimension = make([]uint64, len(short))
	for i, v := range short {
		e.ShortByDimension[i] = uint64(v)
	}

	var nc C.size_t
	if st := Status(C.agentsched_explanation_closest_count(x, &nc)); st != StatusOK {
		return nil, fail("closest count", st)
	}
	for i := C.size_t(0); i < nc; i++ {
		var agent C.uint32_t
		missing, st := readArray(func(buf *C.uint64_t, cap C.size_t, n *C.size_t) C.agentsched_status {
			return C.agentsched_explanation_closest(x, i, &agent, buf, cap, n)
		})
		if st != StatusOK {
			return nil, fail("closest agents", st)
		}
		ca := ClosestAgent{Agent: uint32(agent), Missing: make([]uint64, len(missing))}
		for j, v := range missing {
			ca.Missing[j] = uint64(v)
		}
		e.Closest = append(e.Closest, ca)
	}

	text, st := readString(func(buf *C.char, cap C.size_t, n *C.size_t) C.agentsched_status {
		return C.agentsched_explanation_text(x, buf, cap, n)
	})
	if st != StatusOK {
		return nil, fail("text", st)
	}
	e.Text = text
	return e, nil
}

func dimName(dims []string, i int) string {
	if i >= 0 && i < len(dims) {
		return dims[i]
	}
	return fmt.Sprintf("dimension %d", i)
}
