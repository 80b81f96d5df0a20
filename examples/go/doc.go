// Package agentsched is a Go host for the C ABI of the Rust crate agentsched, the scheduling
// core for AI-agent platforms: an online dispatcher that places tasks (resource demands,
// priorities, data sensitivity, required labels, gangs) on a pool of agents, explains its
// decisions, and snapshots its state; batch mapping of independent tasks onto machines
// from an expected-time-to-compute matrix ([Etc]: heuristics, local search, lower bounds); and
// task graphs ([TaskGraph] frozen into a [Dag]: critical-path times, list schedules such as
// HEFT and CPoP on a [Platform], validation, lower bounds, and expectations under failures).
//
// The package is a thin, idiomatic wrapper over include/agentsched.h: C handles become
// [Dispatcher], [Etc], [TaskGraph], [Dag] and [Platform] values freed by Close (a finalizer is
// a safety net only), status codes become [*Error] values that work with [errors.Is] and
// [errors.As] (for example errors.Is(err, ErrUnknownTask)), and (ptr, capacity, *out_len)
// buffers become Go slices.
//
// # Linking
//
// The link flags come from CGO_LDFLAGS, set by the caller after `cargo build --release` at
// the repository root:
//
//	# static (recommended: there is no ABI stability promise before 1.0)
//	CGO_LDFLAGS="$PWD/target/release/libagentsched.a -lm -ldl -lpthread" go test ./...
//	# shared
//	CGO_LDFLAGS="-L$PWD/target/release -lagentsched -Wl,-rpath,$PWD/target/release" go test ./...
//
// # Memory
//
// C never keeps a Go pointer: every input slice and string is copied into C memory for the
// duration of one call and freed when it returns, and every output is copied into Go memory
// before the call returns. Explanations are read into plain Go structs at once and the C
// explanation handle is freed, so an [Explanation] needs no Close.
//
// # Concurrency
//
// The C handle must not be used from two threads at once. A [Dispatcher] serialises its calls
// with a mutex, so it is safe for concurrent use by several goroutines, and it reads the
// handle's last-error message under the same lock as the failed call (Go moves goroutines
// between OS threads, which is why the library keeps messages on the handle, not in a
// thread-local). Different dispatchers are independent.
package agentsched
