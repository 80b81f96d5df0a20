//! Solves benchmark instances in the `agentsched-bench/1` format (../shared/bench/FORMAT.md) and
//! prints one result object per line (per file, per algorithm).
//!
//! ```text
//! cargo run --release --example solve -- [--algorithm NAME] [--time-limit-ms N] [--seed N] FILE...
//! ```
//!
//! - `NAME` (kebab-case): `olb`, `met`, `mct`, `min-min`, `max-min`, `duplex`, `sufferage`,
//!   `lpt`, `all` (one line per heuristic) or `best` (the default): `mapping::search::best`,
//!   every heuristic, the best one improved by iterated local search for the rest of the time
//!   limit.
//! - `--time-limit-ms N` bounds one algorithm's run on one file (default 100 for `best`; the
//!   heuristics finish in milliseconds). `--seed N` seeds the local search's perturbations.
//! - Kind `etc` only for now; other kinds are rejected naming `kind`.
//! - Each line: `{"instance","algorithm","objective","elapsed_ns","assignment","lower_bound"}`;
//!   `elapsed_ns` covers the algorithm alone (after parsing, before printing), `lower_bound` is
//!   `mapping::bounds::lower_bound` (the longest task's best completion and the Lagrangian dual
//!   of the LP relaxation, whose first step is the averaging bound).
//! - Any error (usage, unreadable or malformed file, naming the field) goes to stderr with exit
//!   code 2.

use agentsched::mapping::search::{self, SearchOptions};
use agentsched::mapping::{EtcMatrix, Mapping, bounds, heuristics, instance};
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: solve [--algorithm NAME] [--time-limit-ms N] [--seed N] FILE...
NAME: olb, met, mct, min-min, max-min, duplex, sufferage, lpt, all, best (default)";

struct Options {
    algorithm: String,
    time_limit_ms: Option<u64>,
    seed: u64,
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
    let algorithms: Vec<&str> = match opts.algorithm.as_str() {
        "all" => heuristics::ALL.iter().map(|&(n, _)| n).collect(),
        "best" => vec!["best"],
        name if heuristics::by_name(name).is_some() => vec![name],
        other => return Err(format!("unknown algorithm `{other}`\n{USAGE}")),
    };
    for file in &opts.files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        let instance = instance::parse_etc(&text).map_err(|e| format!("{file}: {e}"))?;
        let (name, etc) = (instance.name, instance.etc);
        // Ascent steps scaled to the instance: about 2e7 multiply-adds at most.
        let steps = (20_000_000 / (etc.tasks() * etc.machines()).max(1)).clamp(10, 3000);
        let lower_bound = bounds::lower_bound(&etc, steps).best;
        for &algorithm in &algorithms {
            let start = Instant::now();
            let mapping = solve(&etc, algorithm, &opts);
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
    }
    Ok(())
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut opts = Options {
        algorithm: "best".to_string(),
        time_limit_ms: None,
        seed: 0,
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
