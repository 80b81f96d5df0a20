//! Solves benchmark instances in the `agentsched-bench/1` format (../shared/bench/FORMAT.md) and
//! prints one result object per line (per file, per algorithm).
//!
//! ```text
//! cargo run --release --example solve -- [--algorithm NAME] [--time-limit-ms N] [--seed N]
//!     [--gantt OUT.svg] FILE...
//! ```
//!
//! - Kind `etc` (`NAME`, kebab-case): `olb`, `met`, `mct`, `min-min`, `max-min`, `duplex`,
//!   `sufferage`, `lpt`, `all` (one line per heuristic) or `best` (the default):
//!   `mapping::search::best`, every heuristic, the best one improved by iterated local search
//!   for the rest of the time limit. `lower_bound` is `mapping::bounds::lower_bound` (the longest
//!   task's best completion and the Lagrangian dual of the LP relaxation).
//! - Kind `dag`: `heft`, `cpop`, `heft-lookahead`, `heft-ls`, `all` (one line each) or `best`
//!   (the default): `dag::best`, HEFT and CPoP, lookahead HEFT when it fits, then the local
//!   search on the winner for the rest of the time limit (the line's `method` names the winner).
//!   Each line adds `schedule` (`task`, `machine`, `start`, `end` per task) and `lower_bound` is
//!   `dag::lower_bound`. Every schedule is checked by `dag::validate` before it is printed.
//!   `--gantt OUT.svg` draws each schedule as an SVG Gantt chart (`dag::gantt_svg`, critical path
//!   and communication waits marked); with more than one schedule, `OUT-<instance>-<algorithm>.svg`.
//! - Kind `vbp` (vector bin packing): `ffd`, `ffd-max`, `ffd-l2`, `bfd`, `bfd-max`, `bfd-l2`,
//!   `dot-product`, `l2`, `mbs`, `bin-completion` (`placement::vbp::Heuristic::by_name`), `all` (one line each) or
//!   `best` (the default): `placement::vbp::best_within`, the heuristics in turn while the time
//!   limit lasts, then the improvement phase if time is left. `objective` is the number of bins,
//!   `assignment` the bin of each item; each line adds `lower_bound` (`vbp::lower_bound`) and
//!   `gap` (`(bins - bound) / bound`). Every packing is checked by `vbp::validate` before it is
//!   printed.
//! - `--time-limit-ms N` bounds one algorithm's run on one file (default 100 for `best`; the
//!   heuristics finish in milliseconds). `--seed N` seeds the etc local search's perturbations.
//! - Each line: `{"instance","algorithm","objective","elapsed_ns","assignment","lower_bound"}`;
//!   `elapsed_ns` covers the algorithm alone (after parsing, before printing).
//! - Any error (usage, unreadable or malformed file, naming the field) goes to stderr with exit
//!   code 2.

use agentsched::dag::{self, DagInstance, GanttOptions};
use agentsched::mapping::search::{self, SearchOptions};
use agentsched::mapping::{EtcMatrix, Mapping, bounds, heuristics, instance};
use agentsched::placement::vbp::{self, Heuristic};
use agentsched::placement::vbp_instance::{VbpFile, parse_vbp};
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: solve [--algorithm NAME] [--time-limit-ms N] [--seed N] [--gantt OUT.svg] FILE...
NAME (etc): olb, met, mct, min-min, max-min, duplex, sufferage, lpt, all, best (default)
NAME (dag): heft, cpop, heft-lookahead, heft-ls, all, best (default)
NAME (vbp): ffd, ffd-max, ffd-l2, bfd, bfd-max, bfd-l2, dot-product, l2, mbs, bin-completion, all, best (default)";

struct Options {
    algorithm: String,
    time_limit_ms: Option<u64>,
    seed: u64,
    gantt: Option<String>,
    files: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("solve: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let opts = parse_args(std::env::args().skip(1))?;
    let known = |name: &str| {
        matches!(name, "all" | "best")
            || heuristics::by_name(name).is_some()
            || dag::by_name(name).is_some()
            || Heuristic::by_name(name).is_some()
    };
    if !known(&opts.algorithm) {
        return Err(format!("unknown algorithm `{}`\n{USAGE}", opts.algorithm));
    }
    let texts = opts
        .files
        .iter()
        .map(|file| {
            std::fs::read_to_string(file)
                .map(|text| (file.as_str(), text))
                .map_err(|e| format!("{file}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Count the charts first: one file and one algorithm draw to the path given as it is.
    let dag_files = texts.iter().filter(|(_, t)| kind(t) == Some("dag")).count();
    let per_file = if opts.algorithm == "all" {
        dag::ALGORITHMS.len()
    } else {
        1
    };
    let single_chart = dag_files * per_file == 1;
    for (file, text) in &texts {
        match kind(text) {
            Some("dag") => {
                let instance = dag::parse_dag(text).map_err(|e| format!("{file}: {e}"))?;
                solve_dag(file, &instance, &opts, single_chart)?;
            }
            Some("vbp") => {
                let instance = parse_vbp(text).map_err(|e| format!("{file}: {e}"))?;
                solve_vbp(file, &instance, &opts)?;
            }
            _ => solve_etc(file, text, &opts)?,
        }
    }
    Ok(())
}

/// The instance's `kind`, if the text is a JSON object that has one.
fn kind(text: &str) -> Option<&'static str> {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    match serde_json::from_str::<Kind>(text).ok()?.kind.as_deref() {
        Some("dag") => Some("dag"),
        Some("etc") => Some("etc"),
        Some("vbp") => Some("vbp"),
        _ => None,
    }
}

fn solve_etc(file: &str, text: &str, opts: &Options) -> Result<(), String> {
    let algorithms: Vec<&str> = match opts.algorithm.as_str() {
        "all" => heuristics::ALL.iter().map(|&(n, _)| n).collect(),
        "best" => vec!["best"],
        name if heuristics::by_name(name).is_some() => vec![name],
        other => {
            return Err(format!(
                "{file}: algorithm `{other}` does not apply to kind etc"
            ));
        }
    };
    let instance = instance::parse_etc(text).map_err(|e| format!("{file}: {e}"))?;
    let (name, etc) = (instance.name, instance.etc);
    // Ascent steps scaled to the instance: about 2e7 multiply-adds at most.
    let steps = (20_000_000 / (etc.tasks() * etc.machines()).max(1)).clamp(10, 3000);
    let lower_bound = bounds::lower_bound(&etc, steps).best;
    for &algorithm in &algorithms {
        let start = Instant::now();
        let mapping = solve(&etc, algorithm, opts);
        let elapsed_ns = start.elapsed().as_nanos() as u64;
        let line = json!({
            "instance": name,
            "algorithm": algorithm,
            "objective": mapping.makespan,
            "elapsed_ns": elapsed_ns,
            "assignment": mapping.assignment,
            "lower_bound": lower_bound,
        });
        println!("{line}");
    }
    Ok(())
}

fn solve_dag(
    file: &str,
    inst: &DagInstance,
    opts: &Options,
    single_chart: bool,
) -> Result<(), String> {
    let algorithms: Vec<&str> = match opts.algorithm.as_str() {
        "all" => dag::ALGORITHMS.iter().map(|&(n, _)| n).collect(),
        "best" => vec!["best"],
        name if dag::by_name(name).is_some() => vec![name],
        other => {
            return Err(format!(
                "{file}: algorithm `{other}` does not apply to kind dag"
            ));
        }
    };
    let (d, p) = (&inst.dag, &inst.platform);
    let err = |e: agentsched::Error| format!("{file}: {e}");
    let lower_bound = dag::lower_bound(d, p).map_err(err)?;
    for &algorithm in &algorithms {
        let start = Instant::now();
        let (schedule, method) = match dag::by_name(algorithm) {
            Some(run) => (run(d, p).map_err(err)?, algorithm),
            None => {
                let limit = Duration::from_millis(opts.time_limit_ms.unwrap_or(100));
                let b = dag::best(d, p, Some(limit)).map_err(err)?;
                (b.schedule, b.algorithm)
            }
        };
        let elapsed_ns = start.elapsed().as_nanos() as u64;
        // The checker of FORMAT, before anything is printed.
        let makespan = dag::validate(d, p, &schedule).map_err(err)?;
        let slots: Vec<_> = schedule
            .slots
            .iter()
            .enumerate()
            .map(|(t, s)| json!({"task": t, "machine": s.agent, "start": s.start, "end": s.finish}))
            .collect();
        let line = json!({
            "instance": inst.name,
            "algorithm": algorithm,
            "method": method,
            "objective": makespan,
            "elapsed_ns": elapsed_ns,
            "assignment": schedule.slots.iter().map(|s| s.agent).collect::<Vec<_>>(),
            "schedule": slots,
            "lower_bound": lower_bound,
        });
        if let Some(path) = &opts.gantt {
            let path = if single_chart {
                path.clone()
            } else {
                chart_path(path, &inst.name, algorithm)
            };
            let options = GanttOptions {
                title: Some(format!("{} - {method}", inst.name)),
                arrows: d.edge_count() <= 5_000,
                ..GanttOptions::default()
            };
            let svg = dag::gantt_svg(d, p, &schedule, &options).map_err(err)?;
            std::fs::write(&path, svg).map_err(|e| format!("{path}: {e}"))?;
        }
        println!("{line}");
    }
    Ok(())
}

fn solve_vbp(file: &str, f: &VbpFile, opts: &Options) -> Result<(), String> {
    let algorithms: Vec<&str> = match opts.algorithm.as_str() {
        "all" => Heuristic::NAMES.iter().map(|&(n, _)| n).collect(),
        "best" => vec!["best"],
        name if Heuristic::by_name(name).is_some() => vec![name],
        other => {
            return Err(format!(
                "{file}: algorithm `{other}` does not apply to kind vbp"
            ));
        }
    };
    let inst = &f.instance;
    for &algorithm in &algorithms {
        let start = Instant::now();
        let packing = match Heuristic::by_name(algorithm) {
            Some(h) => h.run(inst),
            None => {
                let limit = Duration::from_millis(opts.time_limit_ms.unwrap_or(100));
                vbp::best_within(inst, Some(limit))
            }
        };
        let elapsed_ns = start.elapsed().as_nanos() as u64;
        // The checker of FORMAT, before anything is printed.
        let bins = vbp::validate(inst, &packing).map_err(|e| format!("{file}: {e}"))?;
        let line = json!({
            "instance": f.name,
            "algorithm": algorithm,
            "objective": bins,
            "elapsed_ns": elapsed_ns,
            "assignment": packing.assignment,
            "lower_bound": packing.lower_bound,
            "gap": packing.gap,
        });
        println!("{line}");
    }
    Ok(())
}

/// `out.svg` -> `out-<instance>-<algorithm>.svg`, the instance name reduced to safe characters.
fn chart_path(path: &str, instance: &str, algorithm: &str) -> String {
    let safe: String = instance
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let (stem, ext) = match path.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() && !e.contains('/') => (s, e),
        _ => (path, "svg"),
    };
    format!("{stem}-{safe}-{algorithm}.{ext}")
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        algorithm: "best".to_string(),
        time_limit_ms: None,
        seed: 0,
        gantt: None,
        files: Vec::new(),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |flag: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--algorithm" => opts.algorithm = value("--algorithm")?,
            "--time-limit-ms" => {
                let v = value("--time-limit-ms")?;
                opts.time_limit_ms = Some(v.parse().map_err(|_| {
                    format!("--time-limit-ms: `{v}` is not a non-negative integer")
                })?);
            }
            "--seed" => {
                let v = value("--seed")?;
                opts.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: `{v}` is not a non-negative integer"))?;
            }
            "--gantt" => opts.gantt = Some(value("--gantt")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            "--" => opts.files.extend(args.by_ref()),
            f if f.starts_with("--") => return Err(format!("unknown option `{f}`\n{USAGE}")),
            _ => opts.files.push(arg),
        }
    }
    if opts.files.is_empty() {
        return Err(format!("no instance file given\n{USAGE}"));
    }
    Ok(opts)
}

/// Runs one algorithm by name (`best` or a heuristic).
fn solve(etc: &EtcMatrix, algorithm: &str, opts: &Options) -> Mapping {
    match heuristics::by_name(algorithm) {
        Some(h) => h(etc),
        None => search::best(
            etc,
            &SearchOptions {
                max_iterations: u64::MAX,
                time_limit: Some(Duration::from_millis(opts.time_limit_ms.unwrap_or(100))),
                seed: opts.seed,
            },
        ),
    }
}
