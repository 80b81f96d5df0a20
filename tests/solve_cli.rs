//! The `solve` example as other tools use it: run the binary that `cargo test` built, on real
//! instance files, and check every printed result from first principles (makespan recomputed
//! from the assignment, the lower bound no larger than it, the FORMAT fields present), plus its
//! error contract (a malformed file names the field, exit code 2, no panic).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The `solve` binary, built by cargo for this test (debug profile, same target directory: a
/// no-op when `cargo test` has built it already).
fn solve_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(ROOT)
            .args([
                "build",
                "--locked",
                "--example",
                "solve",
                "--message-format",
                "json",
            ])
            .output()
            .expect("running cargo");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The executable's path, from cargo's own report.
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"]["name"] == "solve")
            .find_map(|v| v["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the solve executable")
    })
    .clone()
}

fn run(args: &[&str]) -> Output {
    Command::new(solve_bin())
        .args(args)
        .output()
        .expect("running solve")
}

fn data(name: &str) -> String {
    Path::new(ROOT)
        .join("tests/testdata/etc")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The instance's matrix and ready times, read with serde_json alone (not the library's
/// reader), so the checker shares no code with what it checks.
fn load(path: &str) -> (Vec<Vec<f64>>, Vec<f64>) {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let etc: Vec<Vec<f64>> = serde_json::from_value(v["etc"].clone()).unwrap();
    let m = etc[0].len();
    let ready = v
        .get("ready")
        .map(|r| serde_json::from_value(r.clone()).unwrap())
        .unwrap_or_else(|| vec![0.0; m]);
    (etc, ready)
}

/// Checks one result line against its instance; returns (algorithm, objective).
fn check_line(line: &str, etc: &[Vec<f64>], ready: &[f64]) -> (String, f64) {
    let v: Value = serde_json::from_str(line).expect("one JSON object per line");
    let assignment: Vec<usize> = serde_json::from_value(v["assignment"].clone()).unwrap();
    assert_eq!(assignment.len(), etc.len(), "one machine per task");
    let mut load = ready.to_vec();
    for (t, &p) in assignment.iter().enumerate() {
        assert!(p < ready.len(), "machine {p} of task {t} out of range");
        load[p] += etc[t][p];
    }
    let makespan = load.iter().copied().fold(0.0, f64::max);
    let objective = v["objective"].as_f64().unwrap();
    assert!(
        (objective - makespan).abs() <= 1e-9 * makespan,
        "{objective} claimed, {makespan} recomputed"
    );
    let bound = v["lower_bound"].as_f64().unwrap();
    assert!(
        bound <= makespan * (1.0 + 1e-12),
        "bound {bound} > {makespan}"
    );
    assert!(v["elapsed_ns"].as_u64().is_some());
    assert!(v["instance"].as_str().is_some_and(|s| !s.is_empty()));
    (v["algorithm"].as_str().unwrap().to_string(), objective)
}

#[test]
fn all_prints_one_checked_line_per_heuristic() {
    let file = data("u_i_hilo-0.json");
    let out = run(&["--algorithm", "all", &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (etc, ready) = load(&file);
    let names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| check_line(l, &etc, &ready).0)
        .collect();
    let expected = [
        "olb",
        "met",
        "mct",
        "min-min",
        "max-min",
        "duplex",
        "sufferage",
        "lpt",
    ];
    assert_eq!(names, expected);
}

#[test]
fn best_is_the_default_and_beats_every_heuristic() {
    let file = data("u_c_lohi-0.json");
    let (etc, ready) = load(&file);
    let all = run(&["--algorithm", "all", &file]);
    let heuristic_best = String::from_utf8(all.stdout)
        .unwrap()
        .lines()
        .map(|l| check_line(l, &etc, &ready).1)
        .fold(f64::INFINITY, f64::min);
    let out = run(&["--time-limit-ms", "50", "--seed", "3", &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1);
    let (name, objective) = check_line(lines[0], &etc, &ready);
    assert_eq!(name, "best");
    assert!(objective <= heuristic_best);
}

#[test]
fn several_files_one_line_each() {
    let files = [data("u_c_hihi-0.json"), data("u_s_lolo-0.json")];
    let out = run(&["--algorithm", "min-min", &files[0], &files[1]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (line, file) in lines.iter().zip(&files) {
        let (etc, ready) = load(file);
        check_line(line, &etc, &ready);
    }
    // The published reproduction value (Braun et al. 2001; README of the test data).
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    let ms = first["objective"].as_f64().unwrap();
    assert!((ms - 8_460_675.0).abs() < 0.01, "{ms}");
}

#[test]
fn malformed_input_names_the_field_and_exits_2() {
    let dir = std::env::temp_dir().join(format!("agentsched-solve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            r#"{"format":"agentsched-bench/1","kind":"etc","name":"x","machines":2,"etc":[[1.0,-2.0]]}"#,
            "etc",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"etc","name":"x","machines":2,"etc":[[1.0]]}"#,
            "etc",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"etc","name":"x","machines":1,"etc":[[1.0]],"ready":[1.0,2.0]}"#,
            "ready",
        ),
        (
            r#"{"format":"agentsched-bench/1","kind":"nope","name":"x"}"#,
            "kind",
        ),
        (r#"{"format":"other/1","kind":"etc"}"#, "format"),
        ("not json", "json"),
    ];
    for (i, (text, field)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.json"));
        std::fs::write(&path, text).unwrap();
        let out = run(&[path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(
            err.contains(field),
            "case {i}: `{err}` should name `{field}`"
        );
        assert!(!err.contains("panicked"), "case {i}: {err}");
        assert!(out.stdout.is_empty(), "case {i}");
    }
    for args in [
        &["--algorithm", "nope", "x.json"][..],
        &["--time-limit-ms", "-1", "x.json"],
        &[],
        &["/nonexistent/file.json"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
