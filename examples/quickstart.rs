//! An embedded agentsched demo: a mixed CPU/GPU pool of private and public agents receives a
//! stream of LLM-agent tasks with priorities and data sensitivities. One agent fails mid-run.
//!
//! Run with `cargo run --release --example quickstart`.

use agentsched::online::{Assignment, Dispatcher, DispatcherConfig, TaskSpec};
use agentsched::pool::{AgentSpec, Scoring, Weights};
use agentsched::resources::Schema;
use agentsched::{AgentId, Label, Sensitivity, TaskId, Tier};
use std::collections::BTreeMap;

fn main() -> Result<(), agentsched::Error> {
    // cpu in millicores, memory in MiB, gpu in devices.
    let schema = Schema::new(["cpu", "memory", "gpu"])?;
    let config = DispatcherConfig {
        // Spread load, but prefer cheap agents: private capacity is already paid for.
        scoring: Scoring::Weighted(Weights {
            least_allocated: 1.0,
            lowest_cost: 0.2,
            ..Weights::default()
        }),
        ..DispatcherConfig::default()
    };
    let mut d = Dispatcher::new(schema, config)?;

    let agents = [
        AgentSpec::new(AgentId(1), vec![16_000, 65_536, 0]).label(Label::new("region", "eu")),
        AgentSpec::new(AgentId(2), vec![16_000, 65_536, 0]).label(Label::new("region", "eu")),
        AgentSpec::new(AgentId(3), vec![32_000, 262_144, 4])
            .label(Label::new("region", "eu"))
            .speed(1.5),
        AgentSpec::new(AgentId(4), vec![32_000, 131_072, 0])
            .tier(Tier::Public)
            .cost_per_time(2.0)
            .label(Label::new("region", "us")),
        AgentSpec::new(AgentId(5), vec![64_000, 524_288, 8])
            .tier(Tier::Public)
            .cost_per_time(6.0)
            .speed(2.0)
            .label(Label::new("region", "us")),
    ];
    println!("== pool");
    for a in agents {
        println!(
            "  {} {:?} capacity {:?} cost {}/s speed {}",
            a.id, a.tier, a.capacity, a.cost_per_time, a.speed
        );
        d.join_agent(a)?;
    }

    // A stream of agent tasks: (arrival, kind, priority, sensitivity).
    let kinds: [(&str, [u64; 3], f64); 4] = [
        ("plan", [1_000, 2_048, 0], 4.0),
        ("tool-call", [500, 1_024, 0], 2.0),
        ("rag-index", [4_000, 16_384, 0], 20.0),
        ("llm-infer", [8_000, 65_536, 2], 30.0),
    ];
    let mut stream = Vec::new();
    for i in 0..40u32 {
        let (name, demand, duration) = kinds[(i as usize * 7 + i as usize / 3) % kinds.len()];
        // Inference on the private model is confidential; the rest varies.
        let sensitivity = match (name, i % 5) {
            ("llm-infer", _) | (_, 0) => Sensitivity::Confidential,
            (_, 1 | 2) => Sensitivity::Internal,
            _ => Sensitivity::Public,
        };
        let priority = if name == "plan" { 5 } else { (i % 3) as i32 };
        let spec = TaskSpec::new(TaskId(i), demand.to_vec())
            .priority(priority)
            .duration(duration)
            .sensitivity(sensitivity);
        stream.push((i as f64 * 1.5, name, spec));
    }

    let mut running: BTreeMap<TaskId, Assignment> = BTreeMap::new();
    let mut names: BTreeMap<TaskId, &str> = BTreeMap::new();
    let mut next = 0;
    let mut failed = false;
    let mut finished = 0;
    let mut busy_time = 0.0;
    let mut cost = 0.0;
    let mut t = 0.0;
    println!("\n== decisions");
    while finished < stream.len() {
        // Complete what has ended by now.
        let done: Vec<TaskId> = running
            .values()
            .filter(|a| a.expected_end <= t)
            .map(|a| a.task)
            .collect();
        for id in done {
            if let Some(a) = running.remove(&id) {
                d.complete(id)?;
                finished += 1;
                busy_time += a.expected_end - a.start;
                let info = d.pool().agent(a.agent).expect("agent in pool");
                cost += (a.expected_end - a.start) * info.spec.cost_per_time;
            }
        }
        // Arrivals.
        while next < stream.len() && stream[next].0 <= t {
            let (_, name, spec) = stream[next].clone();
            names.insert(spec.id, name);
            d.submit(spec)?;
            next += 1;
        }
        // Agent 3 (the private GPU box) fails at t = 30.
        if !failed && t >= 30.0 {
            failed = true;
            let r = d.fail_agent(AgentId(3))?;
            println!(
                "t={t:>5.1}  !! {} failed; requeued {:?}",
                r.agent, r.requeued
            );
            for id in &r.requeued {
                running.remove(id);
            }
            // A confidential GPU task now has nowhere to go: explain why.
            if let Some(&id) = r.requeued.iter().find(|id| {
                d.task(**id)
                    .is_some_and(|s| s.sensitivity == Sensitivity::Confidential)
            }) {
                let e = d.explain(id)?;
                println!("          why {id} ({}) waits: {e}", names[&id]);
                for c in &e.closest {
                    println!("          closest {}: missing {:?}", c.agent, c.missing);
                }
            }
        }
        for a in d.dispatch() {
            println!(
                "t={t:>5.1}  {:<8} {:<10} -> {}  score {:>7.3}  until {:>6.1}{}",
                a.task.to_string(),
                names[&a.task],
                a.agent,
                a.score,
                a.expected_end,
                if a.backfilled { "  (backfilled)" } else { "" }
            );
            running.insert(a.task, a);
        }
        // Recover the GPU box later so that nothing waits forever.
        if failed
            && t >= 90.0
            && d.pool().state(AgentId(3)) == Some(agentsched::pool::AgentState::Down)
        {
            d.recover_agent(AgentId(3))?;
            println!("t={t:>5.1}  !! {} recovered", AgentId(3));
        }
        t += 0.5;
        d.advance_to(t)?;
        if t > 10_000.0 {
            break;
        }
    }

    // A request that no agent could ever hold is rejected at once, with the reason.
    let huge =
        TaskSpec::new(TaskId(999), vec![1_000, 1_024, 16]).sensitivity(Sensitivity::Confidential);
    match d.submit(huge) {
        Err(agentsched::Error::NeverFits { task, explanation }) => {
            println!("\n== rejected at submit\n  {task}: {explanation}");
        }
        other => println!("unexpected: {other:?}"),
    }

    let s = d.stats();
    println!("\n== summary");
    println!(
        "  submitted {}  placed {}  backfilled {}  completed {}  requeued {}",
        s.submitted, s.placed, s.backfilled, s.completed, s.requeued
    );
    println!(
        "  makespan {:.1}s  busy agent-time {:.1}s  cost {:.1}",
        t, busy_time, cost
    );
    Ok(())
}
