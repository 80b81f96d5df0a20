//! Draws a Gantt chart of a task-graph instance (`agentsched-bench/1`, kind `dag`) as SVG.
//!
//! ```text
//! cargo run --release --example gantt -- INSTANCE.json OUT.svg
//! ```
//!
//! The schedule is a plain earliest-finish list schedule (tasks in topological order, each on the
//! agent where it finishes first, lowest agent on ties, appended after the agent's last task),
//! enough to show what the chart draws; `solve --gantt` draws the schedules of HEFT and CPoP.
//! Prints the makespan and the schedule's critical path, one step per line, to stdout. Any error
//! goes to stderr with exit code 2.

use agentsched::dag::{
    Binding, Dag, GanttOptions, Platform, Schedule, Slot, gantt_svg, parse_dag,
    schedule_critical_path,
};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gantt: {e}");
            ExitCode::from(2)
        }
    }
}

/// Topological order, earliest finish, no insertion into gaps.
fn list_schedule(dag: &Dag, platform: &Platform) -> Schedule {
    let n = dag.task_count();
    let mut slots = vec![
        Slot {
            agent: 0,
            start: 0.0,
            finish: 0.0
        };
        n
    ];
    let mut free = vec![0.0f64; platform.agents()];
    for t in dag.topological_order() {
        let mut best: Option<Slot> = None;
        for (p, &f) in free.iter().enumerate() {
            let ready = dag
                .predecessors(t)
                .map(|(u, d)| slots[u].finish + platform.comm_time(d, slots[u].agent, p))
                .fold(f, f64::max);
            let finish = ready + platform.exec_time(dag, t, p);
            if best.is_none_or(|b| finish < b.finish) {
                best = Some(Slot {
                    agent: p,
                    start: ready,
                    finish,
                });
            }
        }
        if let Some(s) = best {
            free[s.agent] = s.finish;
            slots[t] = s;
        }
    }
    let makespan = slots.iter().map(|s| s.finish).fold(0.0, f64::max);
    Schedule { slots, makespan }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return Err("usage: gantt INSTANCE.json OUT.svg".into());
    };
    let text = std::fs::read_to_string(input).map_err(|e| format!("{input}: {e}"))?;
    let inst = parse_dag(&text).map_err(|e| format!("{input}: {e}"))?;
    let schedule = list_schedule(&inst.dag, &inst.platform);
    let options = GanttOptions {
        title: Some(format!("{}: earliest-finish list schedule", inst.name)),
        ..GanttOptions::default()
    };
    let svg = gantt_svg(&inst.dag, &inst.platform, &schedule, &options)?;
    std::fs::write(output, svg).map_err(|e| format!("{output}: {e}"))?;
    println!("{}: makespan {}", inst.name, schedule.makespan);
    for step in schedule_critical_path(&inst.dag, &inst.platform, &schedule)? {
        let why = match step.binding {
            Binding::Start => "starts at 0".to_string(),
            Binding::Unbound { ready } => format!("starts late (ready at {ready})"),
            Binding::Data {
                from,
                arrival,
                comm,
            } => format!("data of task {from} arrives at {arrival} (transfer {comm})"),
            Binding::Agent { previous } => format!("after task {previous} on its agent"),
        };
        println!(
            "  task {} on agent {}: {} to {}, {why}",
            inst.dag.id(step.task).0,
            step.agent,
            step.start,
            step.finish
        );
    }
    Ok(())
}
