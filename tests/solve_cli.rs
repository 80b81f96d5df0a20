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

fn dag_data(name: &str) -> String {
    Path::new(ROOT)
        .join("tests/testdata/dag")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A related-machines instance read straight from its JSON: `(speeds, links, costs, edges)`.
type DagFile = (Vec<f64>, Vec<Vec<f64>>, Vec<f64>, Vec<(usize, usize, f64)>);

fn load_dag(path: &str) -> DagFile {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let f = |x: &Value| x.as_f64().unwrap();
    let speeds = v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| f(&m["speed"]))
        .collect();
    let links = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(f).collect())
        .collect();
    let costs = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| f(&t["cost"]))
        .collect();
    let edges = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let i = |k: &str| e[k].as_u64().unwrap() as usize;
            (i("from"), i("to"), f(&e["data"]))
        })
        .collect();
    (speeds, links, costs, edges)
}

/// Checks one printed dag result against FORMAT's rules, from the instance file alone, and
/// returns `(algorithm, objective)`.
fn check_dag_line(line: &str, inst: &DagFile) -> (String, f64) {
    let (speeds, links, costs, edges) = inst;
    let v: Value = serde_json::from_str(line).unwrap();
    let schedule = v["schedule"].as_array().expect("a schedule");
    assert_eq!(schedule.len(), costs.len());
    let mut slot = vec![(0usize, 0.0f64, 0.0f64); costs.len()];
    for s in schedule {
        let t = s["task"].as_u64().unwrap() as usize;
        let p = s["machine"].as_u64().unwrap() as usize;
        slot[t] = (p, s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap());
    }
    let assignment: Vec<usize> = v["assignment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let eps = 1e-9;
    let mut makespan = 0.0f64;
    for (t, &(p, s, e)) in slot.iter().enumerate() {
        assert_eq!(assignment[t], p);
        assert!(
            s >= 0.0 && (e - s - costs[t] / speeds[p]).abs() < eps,
            "task {t}: {s}..{e}"
        );
        makespan = makespan.max(e);
    }
    for &(u, w, data) in edges {
        let (pu, _, eu) = slot[u];
        let (pw, sw, _) = slot[w];
        let comm = if pu == pw { 0.0 } else { data / links[pu][pw] };
        assert!(
            sw >= eu + comm - eps,
            "edge {u}->{w}: starts {sw}, data at {}",
            eu + comm
        );
    }
    for a in 0..slot.len() {
        for b in a + 1..slot.len() {
            let ((pa, sa, ea), (pb, sb, eb)) = (slot[a], slot[b]);
            assert!(
                pa != pb || ea <= sb + eps || eb <= sa + eps,
                "tasks {a} and {b} overlap"
            );
        }
    }
    let objective = v["objective"].as_f64().unwrap();
    assert!(
        (objective - makespan).abs() < eps,
        "{objective} != {makespan}"
    );
    assert!(v["lower_bound"].as_f64().unwrap() <= objective + eps);
    assert!(v["elapsed_ns"].as_u64().is_some());
    (v["algorithm"].as_str().unwrap().to_string(), objective)
}

#[test]
fn dag_all_prints_checked_schedules_and_best_beats_heft_and_cpop() {
    let path = dag_data("topcuoglu-related.json");
    let inst = load_dag(&path);
    let out = run(&["--algorithm", "all", &path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<(String, f64)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| check_dag_line(l, &inst))
        .collect();
    let names: Vec<&str> = lines.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["heft", "cpop", "heft-lookahead", "heft-ls"]);
    let out = run(&["--time-limit-ms", "50", &path]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let (name, best) = check_dag_line(stdout.trim(), &inst);
    assert_eq!(name, "best");
    assert!(best <= lines[0].1 && best <= lines[1].1);
}

#[test]
fn dag_gantt_writes_one_chart_per_schedule() {
    let dir = std::env::temp_dir().join(format!("agentsched-solve-gantt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dag_data("topcuoglu-related.json");
    let one = dir.join("one.svg");
    let out = run(&[
        "--algorithm",
        "heft",
        "--gantt",
        one.to_str().unwrap(),
        &path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&one).unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("class=\"task\"").count() + svg.matches("class=\"task critical\"").count(),
        10
    );
    let many = dir.join("many.svg");
    let out = run(&[
        "--algorithm",
        "all",
        "--gantt",
        many.to_str().unwrap(),
        &path,
    ]);
    assert!(out.status.success());
    for a in ["heft", "cpop", "heft-lookahead", "heft-ls"] {
        let f = dir.join(format!("many-topcuoglu-related-10x3-{a}.svg"));
        assert!(f.exists(), "{}", f.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dag_errors_exit_2_naming_the_problem() {
    let dir = std::env::temp_dir().join(format!("agentsched-solve-dag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cyclic = dir.join("cyclic.json");
    std::fs::write(
        &cyclic,
        r#"{"format":"agentsched-bench/1","kind":"dag","name":"c","machines":[{"speed":1.0}],
           "links":[[0.0]],"tasks":[{"cost":1.0},{"cost":1.0},{"cost":1.0}],
           "edges":[{"from":0,"to":1,"data":0.0},{"from":1,"to":2,"data":0.0},
                    {"from":2,"to":1,"data":0.0}]}"#,
    )
    .unwrap();
    let out = run(&[cyclic.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cycle") && err.contains("task#1"), "{err}");
    let path = dag_data("topcuoglu-related.json");
    let out = run(&["--algorithm", "min-min", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not apply to kind dag"));
    let out = run(&["--algorithm", "heft", &data("u_c_hihi-0.json")]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------------
// kind vbp
// ---------------------------------------------------------------------------------------------

fn vbp_data(name: &str) -> String {
    Path::new(ROOT)
        .join("tests/testdata/vbp")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The instance's capacity and items, read with serde_json alone.
fn load_vbp(path: &str) -> (Vec<u64>, Vec<Vec<u64>>) {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    (
        serde_json::from_value(v["capacity"].clone()).unwrap(),
        serde_json::from_value(v["items"].clone()).unwrap(),
    )
}

/// Checks one vbp result line from the JSON alone: every item in exactly one bin (the
/// assignment has one entry per item), no bin over the capacity in any dimension, the
/// objective the number of distinct bins used, and the per-dimension volume bound (recomputed
/// here) <= lower_bound <= objective. Returns (algorithm, objective).
fn check_vbp_line(line: &str, capacity: &[u64], items: &[Vec<u64>]) -> (String, u64) {
    let v: Value = serde_json::from_str(line).expect("one JSON object per line");
    for field in [
        "instance",
        "algorithm",
        "objective",
        "elapsed_ns",
        "assignment",
        "lower_bound",
        "gap",
    ] {
        assert!(v.get(field).is_some(), "missing `{field}` in {line}");
    }
    let assignment: Vec<usize> = serde_json::from_value(v["assignment"].clone()).unwrap();
    assert_eq!(assignment.len(), items.len(), "one bin per item");
    let mut load: std::collections::BTreeMap<usize, Vec<u64>> = Default::default();
    for (i, &b) in assignment.iter().enumerate() {
        let l = load.entry(b).or_insert_with(|| vec![0; capacity.len()]);
        for (k, (l, &x)) in l.iter_mut().zip(&items[i]).enumerate() {
            *l += x;
            assert!(
                *l <= capacity[k],
                "bin {b} over capacity in dimension {k}: {line}"
            );
        }
    }
    let objective = v["objective"].as_u64().expect("an integer bin count");
    assert_eq!(objective, load.len() as u64, "objective = bins used");
    let volume = (0..capacity.len())
        .map(|k| {
            items
                .iter()
                .map(|x| x[k])
                .sum::<u64>()
                .div_ceil(capacity[k])
        })
        .max()
        .unwrap();
    let bound = v["lower_bound"].as_u64().unwrap();
    assert!(
        volume <= bound && bound <= objective,
        "{volume} <= {bound} <= {objective}"
    );
    let gap = v["gap"].as_f64().unwrap();
    let want = (objective as f64 - bound as f64) / bound as f64;
    assert!((gap - want).abs() < 1e-9, "gap {gap} vs {want}");
    (v["algorithm"].as_str().unwrap().to_string(), objective)
}

#[test]
fn vbp_all_and_best_print_checked_packings() {
    let names = [
        "ffd",
        "ffd-max",
        "ffd-l2",
        "bfd",
        "bfd-max",
        "bfd-l2",
        "dot-product",
        "l2",
        "mbs",
        "bin-completion",
    ];
    for file in ["triplets-30-0.json", "cpu-mem-60-0.json"] {
        let path = vbp_data(file);
        let (capacity, items) = load_vbp(&path);
        let out = run(&["--algorithm", "all", &path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let results: Vec<(String, u64)> = text
            .lines()
            .map(|l| check_vbp_line(l, &capacity, &items))
            .collect();
        let printed: Vec<&str> = results.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(printed, names, "{file}");
        let heuristics_best = results.iter().map(|&(_, o)| o).min().unwrap();
        // best is the default; with time for every heuristic it is at least as good as each
        let out = run(&["--time-limit-ms", "5000", &path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1);
        let (algorithm, best) = check_vbp_line(lines[0], &capacity, &items);
        assert_eq!(algorithm, "best");
        assert!(
            best <= heuristics_best,
            "{file}: best {best} > {heuristics_best}"
        );
        if file.starts_with("triplets") {
            // Falkenauer's construction: 30 items in [250, 500) of 1000, optimum 10
            assert!(best >= 10);
        }
        // one heuristic by name
        let out = run(&["--algorithm", "dot-product", &path]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            check_vbp_line(text.trim(), &capacity, &items).0,
            "dot-product"
        );
    }
}

#[test]
fn vbp_bad_instances_name_the_problem_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("agentsched-solve-vbp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let head = r#""format":"agentsched-bench/1","kind":"vbp","name":"x""#;
    let cases = [
        // an item larger than a host
        (
            r#""capacity":[10,10],"items":[[1,2],[11,0]]"#,
            "items[1][0]",
        ),
        // dimension mismatch
        (r#""capacity":[10,10],"items":[[1,2,3]]"#, "items[0]"),
        // zero capacity
        (r#""capacity":[10,0],"items":[[1,0]]"#, "capacity[1]"),
        (r#""capacity":[],"items":[]"#, "capacity"),
        (r#""capacity":[10],"items":[[-1]]"#, "items[0][0]"),
        (r#""capacity":[10],"items":[[1.5]]"#, "items[0][0]"),
        (r#""capacity":[10]"#, "items"),
        (
            r#""capacity":[18446744073709551615],"items":[[18446744073709551615],[1]]"#,
            "overflow",
        ),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let path = dir.join(format!("bad{i}.json"));
        std::fs::write(&path, format!("{{{head},{body}}}")).unwrap();
        for algorithm in ["best", "ffd", "all"] {
            let out = run(&["--algorithm", algorithm, path.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
            assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
            assert!(
                err.contains(field),
                "case {i}: `{err}` should name `{field}`"
            );
            assert!(!err.contains("panicked"), "case {i}: {err}");
            assert!(out.stdout.is_empty(), "case {i}");
        }
    }
    // an algorithm of another kind
    let out = run(&["--algorithm", "heft", &vbp_data("triplets-30-0.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not apply to kind vbp"));
    std::fs::remove_dir_all(&dir).unwrap();
}
