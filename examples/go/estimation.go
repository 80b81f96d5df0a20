package agentsched

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #include "agentsched.h"
import "C"

import "fmt"

// EstimationConfig is a dispatcher's runtime estimation policy (agentsched_estimation_config).
// Start from DefaultEstimationConfig.
type EstimationConfig struct {
	// Features is the number of numeric features per classed task (the model's dimension;
	// include a constant 1.0 feature for an intercept).
	Features int
	// Forgetting is the forgetting factor, in (0, 1]; 1 means none.
	Forgetting float64
	// Ridge is the ridge regularisation (finite, >= 0).
	Ridge float64
	// MinSamples is how many samples a class needs before its regression is used (its mean
	// before that).
	MinSamples uint64
	// MeanWeight is the smoothing weight of the per-class exponentially weighted mean, in
	// (0, 1].
	MeanWeight float64
	// LogTarget makes the model regress the logarithm of the runtime.
	LogTarget bool
	// Learn makes completions of classed tasks teach the model.
	Learn bool
	// BackfillQuantile is nil for backfill checked against the point estimate, or the
	// quantile of the prediction (in [0.5, 1)) that must end before a reservation's shadow
	// time for a task to be backfilled onto the reserved agent.
	BackfillQuantile *float64
}

// DefaultEstimationConfig is the library's default estimation policy for features features
// per task (agentsched_estimation_config_default): no forgetting, a tiny ridge, learning on,
// point estimates for backfill.
//
// Errors: ErrInvalidArgument (features < 0).
func DefaultEstimationConfig(features int) (EstimationConfig, error) {
	if features < 0 {
		return EstimationConfig{}, invalidArgument("features %d < 0", features)
	}
	var c C.agentsched_estimation_config
	if st := Status(C.agentsched_estimation_config_default(C.size_t(features), &c)); st != StatusOK {
		return EstimationConfig{}, &Error{Status: st, Message: "default estimation config"}
	}
	e := EstimationConfig{
		Features:   int(c.features),
		Forgetting: float64(c.forgetting),
		Ridge:      float64(c.ridge),
		MinSamples: uint64(c.min_samples),
		MeanWeight: float64(c.mean_weight),
		LogTarget:  bool(c.log_target),
		Learn:      bool(c.learn),
	}
	if bool(c.has_backfill_quantile) {
		q := float64(c.backfill_quantile)
		e.BackfillQuantile = &q
	}
	return e, nil
}

// RuntimeSource is where a task's runtime estimate came from.
type RuntimeSource uint32

// Runtime sources (AGENTSCHED_PREDICTION_SOURCE_*).
const (
	// RuntimeDeclared: the task's declared Duration (no class, estimation off, or nothing
	// learned yet).
	RuntimeDeclared RuntimeSource = C.AGENTSCHED_PREDICTION_SOURCE_DECLARED
	// RuntimeRegression: the class's regression on the task's features.
	RuntimeRegression RuntimeSource = C.AGENTSCHED_PREDICTION_SOURCE_REGRESSION
	// RuntimeClassMean: the class's exponentially weighted mean (too few samples for the
	// regression).
	RuntimeClassMean RuntimeSource = C.AGENTSCHED_PREDICTION_SOURCE_CLASS_MEAN
	// RuntimeGlobalMean: the mean over all classes. The dispatcher never schedules by it (a
	// class with no sample keeps its declared duration); it is listed for completeness.
	RuntimeGlobalMean RuntimeSource = C.AGENTSCHED_PREDICTION_SOURCE_GLOBAL_MEAN
)

func (s RuntimeSource) String() string {
	switch s {
	case RuntimeDeclared:
		return "declared"
	case RuntimeRegression:
		return "regression"
	case RuntimeClassMean:
		return "class mean"
	case RuntimeGlobalMean:
		return "global mean"
	}
	return fmt.Sprintf("RuntimeSource(%d)", uint32(s))
}

// RuntimeEstimate is the runtime a live task is scheduled with (agentsched_task_runtime).
type RuntimeEstimate struct {
	// Duration is the point estimate on a speed-1 agent: queue order, expected ends and
	// shadow times use it.
	Duration float64
	// Guard is what backfill checks against a reservation (>= Duration; the
	// EstimationConfig.BackfillQuantile of the prediction when set).
	Guard float64
	// Source is where the estimate came from.
	Source RuntimeSource
}

// SetEstimation enables runtime estimation with a fresh model (cfg non-nil, copied during the
// call), or disables it (cfg nil). Live tasks keep their estimates until RefreshEstimates.
//
// Errors: ErrInvalidNumber, ErrInvalidConfig, ErrInvalidArgument (Features < 0). Nothing
// changes on error.
func (d *Dispatcher) SetEstimation(cfg *EstimationConfig) error {
	var cp *C.agentsched_estimation_config
	if cfg != nil {
		if cfg.Features < 0 {
			return invalidArgument("estimation features %d < 0", cfg.Features)
		}
		c := C.agentsched_estimation_config{
			features:    C.size_t(cfg.Features),
			forgetting:  C.double(cfg.Forgetting),
			ridge:       C.double(cfg.Ridge),
			min_samples: C.uint64_t(cfg.MinSamples),
			mean_weight: C.double(cfg.MeanWeight),
			log_target:  C.bool(cfg.LogTarget),
			learn:       C.bool(cfg.Learn),
		}
		if cfg.BackfillQuantile != nil {
			c.has_backfill_quantile = true
			c.backfill_quantile = C.double(*cfg.BackfillQuantile)
		}
		cp = &c
	}
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_dispatcher_set_estimation(h, cp)
	})
}

// SetEstimationPolicy changes whether completions teach the runtime model (learn) and the
// backfill quantile (nil: the point estimate), keeping the learned model, which SetEstimation
// would replace with a fresh one. Live tasks keep their guards until RefreshEstimates.
//
// Errors: ErrInvalidConfig (estimation is off, or a quantile outside [0.5, 1)),
// ErrInvalidNumber (a NaN or infinite quantile). Nothing changes on error.
func (d *Dispatcher) SetEstimationPolicy(learn bool, backfillQuantile *float64) error {
	has, q := false, 0.0
	if backfillQuantile != nil {
		has, q = true, *backfillQuantile
	}
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_dispatcher_set_estimation_policy(h, C.bool(learn), C.bool(has), C.double(q))
	})
}

// CompleteMeasured marks a running task done after runtime (wall time on its agent, as the
// host measured it, finite and >= 0); the model learns that instead of the dispatcher's
// clock.
//
// Errors: ErrUnknownTask, ErrTaskState, ErrInvalidNumber. Nothing changes on error.
func (d *Dispatcher) CompleteMeasured(task uint32, runtime float64) error {
	return d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_complete_measured(h, C.uint32_t(task), C.double(runtime))
	})
}

// TaskRuntime returns the runtime a live (queued or running) task is scheduled with.
//
// Errors: ErrUnknownTask (unknown or finished).
func (d *Dispatcher) TaskRuntime(task uint32) (RuntimeEstimate, error) {
	var c C.agentsched_task_runtime
	err := d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_task_estimate(h, C.uint32_t(task), &c)
	})
	if err != nil {
		return RuntimeEstimate{}, err
	}
	return RuntimeEstimate{
		Duration: float64(c.duration),
		Guard:    float64(c.guard),
		Source:   RuntimeSource(c.source),
	}, nil
}

// RefreshEstimates re-predicts every live classed task from the model as it is now, reorders
// the queue, and returns how many estimates changed.
func (d *Dispatcher) RefreshEstimates() (uint64, error) {
	var n C.uint64_t
	err := d.call(func(h *C.agentsched_dispatcher) C.agentsched_status {
		return C.agentsched_dispatcher_refresh_estimates(h, &n)
	})
	return uint64(n), err
}
