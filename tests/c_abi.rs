//! The C ABI, from C: builds the C test suites (`tests/c/abi_test.c` for the dispatcher,
//! `tests/c/mapping_test.c` for batch mapping, `tests/c/dag_test.c` for task graphs,
//! `tests/c/dag_fault_test.c` for their fault-tolerant expectations,
//! `tests/c/dag_schedule_test.c` for their list schedules, `tests/c/consolidate_test.c` for
//! consolidation plans, `tests/c/fair_test.c` for fair sharing, `tests/c/hybrid_test.c` for
//! hybrid-cloud placement, `tests/c/cover_test.c` for renting nodes, `tests/c/vbp_test.c` for vector bin
//! packing, `tests/c/estimate_forecast_test.c` for demand forecasting,
//! `tests/c/estimate_runtime_test.c` for runtime estimation, `tests/c/dispatch_estimate_test.c`
//! for the dispatcher's learned runtimes), the C quickstart (`examples/c/quickstart.c`) and the
//! header (as C11,
//! and as C++17 in `tests/c/header_check.cpp`)
//! with the system's compilers against the static and the shared library that cargo built for
//! this very test run, runs them, and checks the exported-symbol list.
//!
//! Needs `cc` (override with `CC`) and `g++` (override with `CXX`); without them the affected
//! tests say "SKIPPED" on stderr and pass. `.ci/c.sh` runs the same programs under valgrind and
//! the sanitizers.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TMP: &str = env!("CARGO_TARGET_TMPDIR");
const C_FLAGS: &[&str] = &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"];

/// Prints past the test harness's output capture, so that a skip is visible.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn root(rel: &str) -> PathBuf {
    Path::new(ROOT).join(rel)
}

/// The compiler named by `var` (or `default`), if it runs.
fn compiler(var: &str, default: &str) -> Option<String> {
    let name = std::env::var(var).unwrap_or_else(|_| default.to_string());
    let ok = Command::new(&name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(name)
}

fn cc(test: &str) -> Option<String> {
    let c = compiler("CC", "cc");
    if c.is_none() {
        say(&format!(
            "SKIPPED c_abi::{test}: no C compiler (`cc`, or $CC) found; install gcc to test the C ABI"
        ));
    }
    c
}

/// The directory holding the `libagentsched.a` and `libagentsched.so` built with this test.
///
/// The test executable is `<target>/<profile>/deps/c_abi-<hash>`. During `cargo test` cargo
/// builds the library's staticlib and cdylib into `<target>/<profile>/deps` and does *not* copy
/// them up to `<target>/<profile>` (only `cargo build` does), so the copies there may be stale:
/// the nearest directory wins. Falls back to `$CARGO_TARGET_DIR/<profile>`, then
/// `target/<profile>`.
fn lib_dir() -> PathBuf {
    let has_libs =
        |d: &Path| d.join("libagentsched.a").is_file() && d.join("libagentsched.so").is_file();
    let exe = std::env::current_exe().expect("the test executable's path");
    if let Some(d) = exe.ancestors().skip(1).take(3).find(|d| has_libs(d)) {
        return d.to_path_buf();
    }
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root("target"));
    let d = target.join(profile);
    assert!(
        has_libs(&d),
        "libagentsched.a/.so not found near {} nor in {} (the lib's crate-type must include \
         staticlib and cdylib)",
        exe.display(),
        d.display()
    );
    d
}

/// The native libraries a static link needs, from `agentsched.pc.in` (which `.ci/c.sh` checks
/// against `cargo rustc -- --print native-static-libs`).
fn native_static_libs() -> Vec<String> {
    let pc = std::fs::read_to_string(root("agentsched.pc.in")).expect("agentsched.pc.in");
    let line = pc
        .lines()
        .find_map(|l| l.strip_prefix("native_static_libs="))
        .expect("a native_static_libs= line in agentsched.pc.in");
    line.split_whitespace().map(str::to_string).collect()
}

#[derive(Clone, Copy, Debug)]
enum Link {
    Static,
    Shared,
}

fn link_args(link: Link) -> Vec<String> {
    let dir = lib_dir();
    match link {
        Link::Static => {
            let mut v = vec![dir.join("libagentsched.a").display().to_string()];
            v.extend(native_static_libs());
            v
        }
        Link::Shared => vec![
            format!("-L{}", dir.display()),
            "-lagentsched".to_string(),
            format!("-Wl,-rpath,{}", dir.display()),
        ],
    }
}

fn show(o: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs a built program. Without `LD_LIBRARY_PATH` (cargo sets it for tests, listing
/// `<target>/<profile>` with its possibly stale library, and it takes precedence over the
/// program's RUNPATH).
fn run_program(exe: &Path) -> String {
    run(Command::new(exe).env_remove("LD_LIBRARY_PATH"))
}

/// Runs `cmd`, asserts it succeeded, returns its stdout.
fn run(cmd: &mut Command) -> String {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?} failed\n{}", show(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn out_path(name: &str) -> PathBuf {
    let dir = Path::new(TMP).join("c_abi");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(name)
}

/// Compiles one C source against the library and returns the executable.
fn build_c(cc: &str, src: &str, link: Link) -> PathBuf {
    let stem = Path::new(src).file_stem().unwrap().to_string_lossy();
    let exe = out_path(&format!("{stem}_{link:?}").to_lowercase());
    run(Command::new(cc)
        .args(C_FLAGS)
        .arg(format!("-I{}", root("include").display()))
        .arg(root(src))
        .args(link_args(link))
        .arg("-o")
        .arg(&exe));
    exe
}

/// The C test suites; together they call every export.
const SUITES: &[&str] = &[
    "tests/c/abi_test.c",
    "tests/c/mapping_test.c",
    "tests/c/dag_test.c",
    "tests/c/dag_fault_test.c",
    "tests/c/dag_schedule_test.c",
    "tests/c/consolidate_test.c",
    "tests/c/fair_test.c",
    "tests/c/hybrid_test.c",
    "tests/c/cover_test.c",
    "tests/c/vbp_test.c",
    "tests/c/dispatch_estimate_test.c",
    "tests/c/estimate_forecast_test.c",
    "tests/c/estimate_runtime_test.c",
];

fn c_suite(test: &str, src: &str, link: Link) {
    let Some(cc) = cc(test) else { return };
    let exe = build_c(&cc, src, link);
    let out = run_program(&exe);
    assert!(out.contains(" 0 failed: ok"), "unexpected summary:\n{out}");
}

fn quickstart(test: &str, link: Link) {
    let Some(cc) = cc(test) else { return };
    let exe = build_c(&cc, "examples/c/quickstart.c", link);
    let out = run_program(&exe);
    for expected in [
        "!! agent#3 failed; requeued 2 task(s)",
        "why task#7 (llm-infer, confidential) waits:",
        "reason: 1 agent(s) down",
        "== rejected at submit (never fits)",
        "submitted 40  placed 42  backfilled 4  completed 40  requeued 2",
        "same counters, same snapshot",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn c_suite_static() {
    c_suite("c_suite_static", "tests/c/abi_test.c", Link::Static);
}

#[test]
fn c_suite_shared() {
    c_suite("c_suite_shared", "tests/c/abi_test.c", Link::Shared);
}

#[test]
fn c_dispatch_estimate_suite_static() {
    c_suite(
        "c_dispatch_estimate_suite_static",
        "tests/c/dispatch_estimate_test.c",
        Link::Static,
    );
}

#[test]
fn c_dispatch_estimate_suite_shared() {
    c_suite(
        "c_dispatch_estimate_suite_shared",
        "tests/c/dispatch_estimate_test.c",
        Link::Shared,
    );
}

#[test]
fn c_mapping_suite_static() {
    c_suite(
        "c_mapping_suite_static",
        "tests/c/mapping_test.c",
        Link::Static,
    );
}

#[test]
fn c_mapping_suite_shared() {
    c_suite(
        "c_mapping_suite_shared",
        "tests/c/mapping_test.c",
        Link::Shared,
    );
}

#[test]
fn c_dag_suite_static() {
    c_suite("c_dag_suite_static", "tests/c/dag_test.c", Link::Static);
}

#[test]
fn c_dag_suite_shared() {
    c_suite("c_dag_suite_shared", "tests/c/dag_test.c", Link::Shared);
}

#[test]
fn c_dag_fault_suite_static() {
    c_suite(
        "c_dag_fault_suite_static",
        "tests/c/dag_fault_test.c",
        Link::Static,
    );
}

#[test]
fn c_dag_fault_suite_shared() {
    c_suite(
        "c_dag_fault_suite_shared",
        "tests/c/dag_fault_test.c",
        Link::Shared,
    );
}

#[test]
fn c_dag_schedule_suite_static() {
    c_suite(
        "c_dag_schedule_suite_static",
        "tests/c/dag_schedule_test.c",
        Link::Static,
    );
}

#[test]
fn c_dag_schedule_suite_shared() {
    c_suite(
        "c_dag_schedule_suite_shared",
        "tests/c/dag_schedule_test.c",
        Link::Shared,
    );
}

#[test]
fn c_consolidate_suite_static() {
    c_suite(
        "c_consolidate_suite_static",
        "tests/c/consolidate_test.c",
        Link::Static,
    );
}

#[test]
fn c_consolidate_suite_shared() {
    c_suite(
        "c_consolidate_suite_shared",
        "tests/c/consolidate_test.c",
        Link::Shared,
    );
}

#[test]
fn c_fair_suite_static() {
    c_suite("c_fair_suite_static", "tests/c/fair_test.c", Link::Static);
}

#[test]
fn c_fair_suite_shared() {
    c_suite("c_fair_suite_shared", "tests/c/fair_test.c", Link::Shared);
}

#[test]
fn c_hybrid_suite_static() {
    c_suite(
        "c_hybrid_suite_static",
        "tests/c/hybrid_test.c",
        Link::Static,
    );
}

#[test]
fn c_hybrid_suite_shared() {
    c_suite(
        "c_hybrid_suite_shared",
        "tests/c/hybrid_test.c",
        Link::Shared,
    );
}

#[test]
fn c_cover_suite_static() {
    c_suite("c_cover_suite_static", "tests/c/cover_test.c", Link::Static);
}

#[test]
fn c_cover_suite_shared() {
    c_suite("c_cover_suite_shared", "tests/c/cover_test.c", Link::Shared);
}

#[test]
fn c_vbp_suite_static() {
    c_suite("c_vbp_suite_static", "tests/c/vbp_test.c", Link::Static);
}

#[test]
fn c_vbp_suite_shared() {
    c_suite("c_vbp_suite_shared", "tests/c/vbp_test.c", Link::Shared);
}

#[test]
fn c_estimate_runtime_suite_static() {
    c_suite(
        "c_estimate_runtime_suite_static",
        "tests/c/estimate_runtime_test.c",
        Link::Static,
    );
}

#[test]
fn c_estimate_runtime_suite_shared() {
    c_suite(
        "c_estimate_runtime_suite_shared",
        "tests/c/estimate_runtime_test.c",
        Link::Shared,
    );
}

#[test]
fn c_quickstart_static() {
    quickstart("c_quickstart_static", Link::Static);
}

#[test]
fn c_quickstart_shared() {
    quickstart("c_quickstart_shared", Link::Shared);
}

#[test]
fn header_compiles_as_c11() {
    let Some(cc) = cc("header_compiles_as_c11") else {
        return;
    };
    run(Command::new(cc)
        .args(C_FLAGS)
        .args(["-fsyntax-only", "-x", "c"])
        .arg(root("include/agentsched.h")));
}

#[test]
fn header_compiles_as_cpp17() {
    let Some(cxx) = compiler("CXX", "g++") else {
        say("SKIPPED c_abi::header_compiles_as_cpp17: no C++ compiler (`g++`, or $CXX) found");
        return;
    };
    let exe = out_path("header_check");
    run(Command::new(cxx)
        .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(format!("-I{}", root("include").display()))
        .arg(root("tests/c/header_check.cpp"))
        .args(link_args(Link::Static))
        .arg("-o")
        .arg(&exe));
    let out = run_program(&exe);
    assert!(out.contains("C++17 ok"), "{out}");
}

/// `include/agentsched.symbols` is sorted, every name in it is declared by the header and called
/// by one of the C suites, and (when `nm` is there) it is exactly what the shared library exports.
#[test]
fn symbol_list_is_complete() {
    let list = std::fs::read_to_string(root("include/agentsched.symbols")).unwrap();
    let names: Vec<&str> = list.lines().collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        names, sorted,
        "include/agentsched.symbols must be sorted and unique"
    );
    let header = std::fs::read_to_string(root("include/agentsched.h")).unwrap();
    let suites: Vec<String> = SUITES
        .iter()
        .map(|s| std::fs::read_to_string(root(s)).unwrap())
        .collect();
    for n in &names {
        let call = format!("{n}(");
        assert!(header.contains(&call), "{n} is not declared in the header");
        assert!(
            suites.iter().any(|s| s.contains(&call)),
            "{n} is not called by any of {SUITES:?}"
        );
    }
    let so = lib_dir().join("libagentsched.so");
    match Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut exported: Vec<&str> = text
                .lines()
                .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
                    [_, "T", name] => Some(name),
                    _ => None,
                })
                .collect();
            exported.sort_unstable();
            assert_eq!(
                exported,
                names,
                "the exports of {} differ from include/agentsched.symbols",
                so.display()
            );
        }
        _ => say("SKIPPED part of c_abi::symbol_list_is_complete: `nm -D` unavailable"),
    }
}

/// The C snippets in README.md compile with the strict flags and print what they should: the
/// dispatcher's (the task it submits is placed), the batch mapping's, the task graph's and its
/// fault tolerance's and its schedules'.
#[test]
fn readme_c_snippets_build_and_run() {
    let Some(cc) = cc("readme_c_snippets_build_and_run") else {
        return;
    };
    let readme = std::fs::read_to_string(root("README.md")).expect("README.md");
    let expected = [
        "task 7 -> agent 1",
        "min-min: makespan 7, machines 0 1 0\nbest: makespan 5, lower bound 5",
        "makespan 7, critical path 1 2 4, slack of task 3: 2",
        "task 1 expects 2 s; expected makespan 2.5 (expected times give 2); no backup: 0.5",
        "heft: makespan 6, agents 1 1 1 0\nbest: makespan 6 (heft), lower bound 4.66667",
    ];
    let blocks: Vec<&str> = readme
        .split("```c\n")
        .skip(1)
        .map(|rest| rest.split("```").next().expect("the block's end"))
        .collect();
    assert_eq!(blocks.len(), expected.len(), "C blocks in README.md");
    for (i, (block, want)) in blocks.iter().zip(expected).enumerate() {
        let src = out_path(&format!("readme_snippet_{i}.c"));
        std::fs::write(&src, block).expect("write the snippet");
        let exe = out_path(&format!("readme_snippet_{i}"));
        run(Command::new(&cc)
            .args(C_FLAGS)
            .arg(format!("-I{}", root("include").display()))
            .arg(&src)
            .args(link_args(Link::Static))
            .arg("-o")
            .arg(&exe));
        assert_eq!(run_program(&exe).trim(), want, "README C block {i}");
    }
}

#[test]
fn c_estimate_forecast_suite_static() {
    c_suite(
        "c_estimate_forecast_suite_static",
        "tests/c/estimate_forecast_test.c",
        Link::Static,
    );
}

#[test]
fn c_estimate_forecast_suite_shared() {
    c_suite(
        "c_estimate_forecast_suite_shared",
        "tests/c/estimate_forecast_test.c",
        Link::Shared,
    );
}
