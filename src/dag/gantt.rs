//! Gantt charts of task-graph schedules as self-contained SVG.
//!
//! One row per agent, one bar per task (labelled by its id when the bar is wide enough, always
//! with a tooltip), communication waits as hatched stretches before the waiting task, thin arrows
//! for the data that crosses agents, and the schedule's critical path
//! ([`schedule_critical_path`](super::explain::schedule_critical_path)) in a distinct colour with
//! a red outline. Plain SVG 1.1 with presentation attributes only: no script, no stylesheet, no
//! font file (the generic `sans-serif` family), so any viewer or converter renders it alike.
//! `.ci/gantt.sh` renders one with librsvg and checks the picture.
//!
//! # Example: an instance file to a chart
//! ```
//! use agentsched::dag::gantt::{GanttOptions, gantt_svg};
//! use agentsched::dag::{Schedule, Slot, parse_dag};
//!
//! let i = parse_dag(r#"{"format":"agentsched-bench/1","kind":"dag","name":"fork",
//!     "machines":[{"speed":1},{"speed":1}],"links":[[0,2],[2,0]],
//!     "tasks":[{"cost":2},{"cost":3},{"cost":1}],
//!     "edges":[{"from":0,"to":1,"data":0},{"from":0,"to":2,"data":4}]}"#)?;
//! // 0 then 1 on agent 0; 2 on agent 1 once 0's data (4 / 2 = 2 units) arrives.
//! let slot = |agent, start, finish| Slot { agent, start, finish };
//! let s = Schedule { slots: vec![slot(0, 0.0, 2.0), slot(0, 2.0, 5.0), slot(1, 4.0, 5.0)], makespan: 5.0 };
//! let svg = gantt_svg(&i.dag, &i.platform, &s, &GanttOptions { title: Some(i.name), ..Default::default() })?;
//! // Tasks 0 and 1 finish last first (lowest index among ties): they are the critical path.
//! assert!(svg.contains(r#"<g class="task critical" id="task-1">"#));
//! assert!(svg.contains(r#"<g class="task" id="task-2">"#));
//! assert!(svg.contains(r#"<rect class="wait""#)); // 2 waits from 2 to 4
//! // std::fs::write("fork.svg", svg)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::explain::{Binding, CriticalStep, critical_path_of, tolerance, waits_of};
use super::graph::Dag;
use super::platform::{Platform, Schedule, validate};
use crate::{Error, Result};
use std::fmt::Write;

/// How a Gantt chart is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct GanttOptions {
    /// Width of the picture in pixels, within `320..=100000`. Default 960.
    pub width: f64,
    /// Height of one agent's row in pixels, within `12..=400`. Default 32.
    pub row_height: f64,
    /// The heading; `None` gives `"Gantt chart"`. The makespan is appended either way.
    pub title: Option<String>,
    /// One label per agent, or empty for `agent 0`, `agent 1`, ...
    pub agent_labels: Vec<String>,
    /// Whether to draw an arrow for each edge whose tasks run on different agents (from the
    /// sender's finish to the data's arrival). Default `true`; worth turning off beyond a few
    /// thousand edges.
    pub arrows: bool,
}

impl Default for GanttOptions {
    fn default() -> Self {
        GanttOptions {
            width: 960.0,
            row_height: 32.0,
            title: None,
            agent_labels: Vec::new(),
            arrows: true,
        }
    }
}

/// Colours, named once so that the legend and the marks cannot drift apart.
const BAR_FILL: &str = "#8fb3d9";
const BAR_STROKE: &str = "#3a6ea5";
const CRIT_FILL: &str = "#f6b26b";
const CRIT_STROKE: &str = "#c00000";
const WAIT_FILL: &str = "#fff1c1";
const WAIT_LINE: &str = "#d4a017";
const ARROW: &str = "#777777";

/// Writes to a `String`, which cannot fail.
macro_rules! w {
    ($($t:tt)*) => {
        let _ = write!($($t)*);
    };
}

/// Text made safe for XML 1.0 content and attribute values: the five special characters as
/// entities, characters XML 1.0 forbids (control characters, U+FFFE, U+FFFF) as U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A tick step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target.max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let f = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

/// A tick label: fixed decimals enough for `step`, or scientific notation far from 1.
fn tick_label(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if !(1e-4..1e7).contains(&step) {
        return format!("{v:.2e}");
    }
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{v:.decimals$}")
}

/// A time for reading: at most four decimals, trailing zeros dropped, scientific notation far
/// from 1. (Tooltips keep the exact values.)
fn short(v: f64) -> String {
    if v != 0.0 && !(1e-4..1e9).contains(&v.abs()) {
        return format!("{v:.4e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// Why a critical step starts when it does, in words (for tooltips).
fn binding_text(b: &Binding, dag: &Dag) -> String {
    match *b {
        Binding::Start => "starts the critical path at time 0".to_string(),
        Binding::Unbound { ready } => {
            format!("starts the critical path (could have started at {ready})")
        }
        Binding::Data {
            from,
            arrival,
            comm,
        } => {
            if comm > 0.0 {
                format!(
                    "waits for the data of task {} (transfer {comm}, arrives at {arrival})",
                    dag.ids().get(from).map_or(0, |i| i.0)
                )
            } else {
                format!(
                    "starts when task {} finishes",
                    dag.ids().get(from).map_or(0, |i| i.0)
                )
            }
        }
        Binding::Agent { previous } => format!(
            "starts when task {} frees its agent",
            dag.ids().get(previous).map_or(0, |i| i.0)
        ),
    }
}

/// Draws `schedule` of `dag` on `platform` as a Gantt chart in SVG 1.1.
///
/// The schedule is validated first. Rows are agents (top to bottom by index), the x axis is time
/// from 0 to the makespan with 1-2-5 ticks. Each task is a `<g class="task">` (or
/// `class="task critical"` on the critical path) with `id="task-INDEX"`, a `<title>` tooltip
/// (id, agent, start, finish and, on the critical path, what bound its start) and a bar; its id is
/// printed on the bar when it fits, otherwise only the tooltip has it. Communication waits (see
/// [`communication_waits`](super::explain::communication_waits)) are hatched rectangles of class
/// `wait`; arrows of class `edge` (`edge critical` on the critical path) go from a sender's
/// finish to its data's arrival. A legend explains the marks.
///
/// # Arguments
/// - `dag`, `platform`, `schedule`: what to draw; `options`: size, title, labels, arrows.
///
/// # Returns
/// The SVG document. The same input gives the same bytes: marks are written in task, edge and
/// agent index order and coordinates with two decimals.
///
/// # Complexity
/// O(V log V + E) time and O(V + E) output.
///
/// # Errors
/// Those of [`validate`]; [`Error::InvalidConfig`] (`width`, `row_height`) out of range;
/// [`Error::DimensionMismatch`] (`agent_labels`) when labels are given but not one per agent.
///
/// # Example: draw a schedule
/// ```
/// use agentsched::dag::gantt::{GanttOptions, gantt_svg};
/// use agentsched::dag::{Platform, Schedule, Slot, TaskGraph};
/// use agentsched::TaskId;
///
/// let g = TaskGraph::from_parts([(TaskId(1), 2.0), (TaskId(2), 1.0)], [(TaskId(1), TaskId(2), 6.0)])?;
/// let p = Platform::related(vec![1.0, 1.0], vec![0.0, 3.0, 3.0, 0.0])?;
/// let slot = |agent, start, finish| Slot { agent, start, finish };
/// let s = Schedule { slots: vec![slot(0, 0.0, 2.0), slot(1, 4.0, 5.0)], makespan: 5.0 };
/// let opts = GanttOptions { title: Some("two tasks".into()), ..GanttOptions::default() };
/// let svg = gantt_svg(&g.freeze()?, &p, &s, &opts)?;
/// assert!(svg.starts_with("<?xml"));
/// assert_eq!(svg.matches("<g class=\"task critical\"").count(), 2);
/// assert_eq!(svg.matches("<rect class=\"wait\"").count(), 1); // task 2 waits for data 2..4
/// # Ok::<(), agentsched::Error>(())
/// ```
pub fn gantt_svg(
    dag: &Dag,
    platform: &Platform,
    schedule: &Schedule,
    options: &GanttOptions,
) -> Result<String> {
    if !(320.0..=100_000.0).contains(&options.width) {
        return Err(Error::InvalidConfig {
            field: "width",
            reason: "must be within 320..=100000 pixels",
        });
    }
    if !(12.0..=400.0).contains(&options.row_height) {
        return Err(Error::InvalidConfig {
            field: "row_height",
            reason: "must be within 12..=400 pixels",
        });
    }
    let m = platform.agents();
    if !options.agent_labels.is_empty() && options.agent_labels.len() != m {
        return Err(Error::DimensionMismatch {
            field: "agent_labels",
            expected: m,
            got: options.agent_labels.len(),
        });
    }
    let makespan = validate(dag, platform, schedule)?;
    let path = critical_path_of(dag, platform, schedule, makespan);
    let waits = waits_of(dag, platform, schedule, makespan);
    let slots = &schedule.slots;
    let n = slots.len();
    let mut critical: Vec<Option<&CriticalStep>> = vec![None; n];
    for step in &path {
        critical[step.task] = Some(step);
    }

    let labels: Vec<String> = if options.agent_labels.is_empty() {
        (0..m).map(|p| format!("agent {p}")).collect()
    } else {
        options.agent_labels.clone()
    };
    // Layout, in pixels. Text widths are estimates (no font metrics without a font file):
    // about 0.6 em per character of a sans-serif face.
    let width = options.width;
    let row_h = options.row_height;
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let right = 24.0;
    // Labels get at most half the picture, so the plot keeps a positive width.
    let left = (16.0 + longest.min(40) as f64 * 7.2 + 12.0)
        .max(64.0)
        .min(width / 2.0);
    let top = 44.0;
    let plot_w = width - left - right;
    let plot_h = m as f64 * row_h;
    let axis_y = top + plot_h;
    let legend_y = axis_y + 44.0;
    let height = legend_y + 28.0;
    let span = if makespan > 0.0 { makespan } else { 1.0 };
    let x = |t: f64| left + t / span * plot_w;
    let row_top = |p: usize| top + p as f64 * row_h;
    let bar_h = (row_h * 0.64).round();
    let bar_y = |p: usize| row_top(p) + (row_h - bar_h) / 2.0;
    let mid_y = |p: usize| row_top(p) + row_h / 2.0;
    let id_of = |t: usize| dag.ids().get(t).map_or(0, |i| i.0);

    let mut out = String::with_capacity(1024 + 400 * n + 120 * dag.edge_count());
    w!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    let heading = format!(
        "{} (makespan {})",
        options.title.as_deref().unwrap_or("Gantt chart"),
        short(makespan)
    );
    w!(out, "<title>{}</title>\n", xml_escape(&heading));
    w!(
        out,
        "<defs>\n\
         <pattern id=\"wait-hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\">\
         <rect width=\"6\" height=\"6\" fill=\"{WAIT_FILL}\"/>\
         <path d=\"M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5\" stroke=\"{WAIT_LINE}\" stroke-width=\"1.2\"/>\
         </pattern>\n\
         <marker id=\"arrow\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"6\" \
         markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 z\" fill=\"{ARROW}\"/></marker>\n\
         <marker id=\"arrow-critical\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"6\" \
         markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 z\" fill=\"{CRIT_STROKE}\"/></marker>\n\
         </defs>\n"
    );
    w!(
        out,
        "<rect class=\"background\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n"
    );
    w!(
        out,
        "<text class=\"heading\" x=\"{left:.2}\" y=\"26\" font-size=\"15\" font-weight=\"bold\" \
         fill=\"#222222\">{}</text>\n",
        xml_escape(&heading)
    );

    // Rows with their labels.
    w!(out, "<g class=\"rows\">\n");
    for (p, label) in labels.iter().enumerate() {
        let fill = if p % 2 == 0 { "#f3f3f3" } else { "#fafafa" };
        w!(
            out,
            "<rect class=\"row\" x=\"{left:.2}\" y=\"{:.2}\" width=\"{plot_w:.2}\" \
             height=\"{row_h:.2}\" fill=\"{fill}\"/>\n",
            row_top(p)
        );
        let shown: String = label.chars().take(40).collect();
        w!(
            out,
            "<text class=\"agent\" x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\" fill=\"#222222\">\
             {}<title>{}</title></text>\n",
            left - 8.0,
            mid_y(p) + 4.0,
            xml_escape(&shown),
            xml_escape(label)
        );
    }
    w!(out, "</g>\n");

    // Grid lines and the axis, with 1-2-5 ticks about every 80 pixels.
    let mut step = nice_step(span, (plot_w / 80.0).floor());
    if !(step > 0.0 && step.is_finite()) {
        // Spans near the smallest subnormal defeat the power-of-ten arithmetic.
        step = span;
    }
    let ticks = ((span / step) * (1.0 + 1e-9)).floor().min(1000.0) as usize;
    w!(
        out,
        "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n"
    );
    for k in 0..=ticks {
        let tx = x(k as f64 * step);
        w!(
            out,
            "<line x1=\"{tx:.2}\" y1=\"{top:.2}\" x2=\"{tx:.2}\" y2=\"{axis_y:.2}\"/>\n"
        );
    }
    w!(out, "</g>\n");

    // Communication waits, under the bars.
    w!(out, "<g class=\"waits\">\n");
    for wt in &waits {
        let (x0, x1) = (x(wt.start), x(wt.end));
        w!(
            out,
            "<rect class=\"wait\" x=\"{x0:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{bar_h:.2}\" \
             fill=\"url(#wait-hatch)\" stroke=\"{WAIT_LINE}\" stroke-width=\"0.8\">\
             <title>task {} waits for the data of task {} from {} to {}</title></rect>\n",
            bar_y(wt.agent),
            (x1 - x0).max(1.0),
            id_of(wt.task),
            id_of(wt.from),
            wt.start,
            wt.end
        );
    }
    w!(out, "</g>\n");

    // Bars.
    let tol = tolerance(makespan);
    w!(out, "<g class=\"tasks\" font-size=\"11\">\n");
    for (t, s) in slots.iter().enumerate() {
        let crit = critical[t];
        let (class, fill, stroke, sw, ink) = match crit {
            Some(_) => ("task critical", CRIT_FILL, CRIT_STROKE, 2.0, "#3b1a00"),
            None => ("task", BAR_FILL, BAR_STROKE, 1.0, "#10243e"),
        };
        let agent = labels.get(s.agent).map_or("", |l| l.as_str());
        let mut tip = format!(
            "task {} on {}: {} to {}",
            id_of(t),
            agent,
            s.start,
            s.finish
        );
        if let Some(step) = crit {
            tip.push_str("; critical: ");
            tip.push_str(&binding_text(&step.binding, dag));
        }
        let (x0, x1) = (x(s.start), x(s.finish));
        let bw = (x1 - x0).max(1.0);
        w!(
            out,
            "<g class=\"{class}\" id=\"task-{t}\"><title>{}</title>\
             <rect x=\"{x0:.2}\" y=\"{:.2}\" width=\"{bw:.2}\" height=\"{bar_h:.2}\" \
             fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>",
            xml_escape(&tip),
            bar_y(s.agent)
        );
        let text = id_of(t).to_string();
        // Digits of an 11 px sans-serif face are about 6.2 px wide.
        if s.finish - s.start > tol && bw >= text.len() as f64 * 6.2 + 6.0 && bar_h >= 11.0 {
            w!(
                out,
                "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                x0 + bw / 2.0,
                mid_y(s.agent) + 4.0
            );
        }
        w!(out, "</g>\n");
    }
    w!(out, "</g>\n");

    // Arrows for data crossing agents; the critical ones in red.
    if options.arrows {
        w!(out, "<g class=\"edges\" fill=\"none\">\n");
        for (u, v, data) in dag.edges() {
            let (a, b) = (&slots[u], &slots[v]);
            if a.agent == b.agent {
                continue;
            }
            let arrival = a.finish + platform.comm_time(data, a.agent, b.agent);
            let is_crit = matches!(critical[v], Some(CriticalStep { binding: Binding::Data { from, .. }, .. }) if *from == u);
            let (class, color, sw, marker) = if is_crit {
                ("edge critical", CRIT_STROKE, 1.6, "arrow-critical")
            } else {
                ("edge", ARROW, 0.8, "arrow")
            };
            w!(
                out,
                "<line class=\"{class}\" x1=\"{:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\" \
                 stroke=\"{color}\" stroke-width=\"{sw}\" marker-end=\"url(#{marker})\">\
                 <title>data {data} from task {} to task {}: sent at {}, arrives at {arrival}</title></line>\n",
                x(a.finish),
                mid_y(a.agent),
                x(arrival),
                mid_y(b.agent),
                id_of(u),
                id_of(v),
                a.finish
            );
        }
        w!(out, "</g>\n");
    }

    // The axis.
    w!(
        out,
        "<g class=\"axis\" fill=\"#222222\" stroke=\"#222222\">\n"
    );
    w!(
        out,
        "<line x1=\"{left:.2}\" y1=\"{axis_y:.2}\" x2=\"{:.2}\" y2=\"{axis_y:.2}\"/>\n",
        left + plot_w
    );
    for k in 0..=ticks {
        let v = k as f64 * step;
        let tx = x(v);
        w!(
            out,
            "<line x1=\"{tx:.2}\" y1=\"{axis_y:.2}\" x2=\"{tx:.2}\" y2=\"{:.2}\"/>\
             <text x=\"{tx:.2}\" y=\"{:.2}\" text-anchor=\"middle\" stroke=\"none\">{}</text>\n",
            axis_y + 5.0,
            axis_y + 18.0,
            tick_label(v, step)
        );
    }
    w!(
        out,
        "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\" stroke=\"none\">time</text>\n",
        left + plot_w,
        axis_y + 34.0
    );
    w!(out, "</g>\n");

    // The legend.
    w!(out, "<g class=\"legend\" fill=\"#222222\">\n");
    let mut items = vec![
        ("task", 0u8),
        ("critical path", 1),
        ("communication wait", 2),
    ];
    if options.arrows {
        items.push(("data transfer", 3));
    }
    let mut lx = left;
    let ly = legend_y;
    for (text, kind) in items {
        match kind {
            0 => {
                w!(
                    out,
                    "<rect x=\"{lx:.2}\" y=\"{ly:.2}\" width=\"14\" height=\"14\" \
                     fill=\"{BAR_FILL}\" stroke=\"{BAR_STROKE}\"/>"
                );
            }
            1 => {
                w!(
                    out,
                    "<rect x=\"{lx:.2}\" y=\"{ly:.2}\" width=\"14\" height=\"14\" \
                     fill=\"{CRIT_FILL}\" stroke=\"{CRIT_STROKE}\" stroke-width=\"2\"/>"
                );
            }
            2 => {
                w!(
                    out,
                    "<rect x=\"{lx:.2}\" y=\"{ly:.2}\" width=\"14\" height=\"14\" \
                     fill=\"url(#wait-hatch)\" stroke=\"{WAIT_LINE}\"/>"
                );
            }
            _ => {
                w!(
                    out,
                    "<line x1=\"{lx:.2}\" y1=\"{:.2}\" x2=\"{:.2}\" y2=\"{:.2}\" \
                     stroke=\"{ARROW}\" marker-end=\"url(#arrow)\"/>",
                    ly + 7.0,
                    lx + 14.0,
                    ly + 7.0
                );
            }
        }
        w!(
            out,
            "<text x=\"{:.2}\" y=\"{:.2}\">{text}</text>\n",
            lx + 20.0,
            ly + 11.0
        );
        // About 7 px per character of 12 px text, then a gap.
        lx += 20.0 + text.len() as f64 * 7.0 + 20.0;
    }
    w!(out, "</g>\n</svg>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_forbidden_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c\"'\u{1}\u{FFFF}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\u{FFFD}\u{FFFD}\n"
        );
    }

    #[test]
    fn ticks_are_one_two_five() {
        assert_eq!(nice_step(80.0, 10.0), 10.0);
        assert_eq!(nice_step(133.0, 10.0), 20.0);
        assert_eq!(nice_step(0.37, 10.0), 0.05);
        assert_eq!(nice_step(1.0, 10.0), 0.1);
        assert_eq!(tick_label(0.15000000000000002, 0.05), "0.15");
        assert_eq!(tick_label(40.0, 20.0), "40");
        assert_eq!(tick_label(3e9, 1e9), "3.00e9");
        assert_eq!(short(78.66666666666667), "78.6667");
        assert_eq!(short(80.0), "80");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(2.5e12), "2.5000e12");
    }
}
