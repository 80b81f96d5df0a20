//! Task-graph families and platforms for the list-scheduling tests and benchmarks, generated
//! procedurally from a seed.
//!
//! Shapes: chains, in-trees, out-trees, fork-join, random layered graphs, and the structures of
//! four scientific workflows as characterised by Bharathi et al., "Characterization of
//! scientific workflows", WORKS 2008 (and the Pegasus workflow generator): Montage, Epigenomics,
//! CyberShake and LIGO Inspiral. Task durations are drawn around each job type's typical relative
//! cost; data sizes are scaled so that the mean data size is `ccr` times the mean duration (the
//! communication-to-computation ratio of the HEFT paper).
#![allow(dead_code)]

use agentsched::TaskId;
use agentsched::dag::{Dag, Platform, TaskGraph};

/// SplitMix64 (no `rand` dependency).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// A graph under construction: durations and edges with unscaled data sizes.
#[derive(Default)]
pub struct Builder {
    pub durations: Vec<f64>,
    pub edges: Vec<(usize, usize, f64)>,
}

impl Builder {
    fn task(&mut self, d: f64) -> usize {
        self.durations.push(d);
        self.durations.len() - 1
    }

    fn edge(&mut self, u: usize, v: usize, data: f64) {
        self.edges.push((u, v, data));
    }

    /// Freezes with data scaled to `ccr x` mean duration on average.
    pub fn finish(mut self, ccr: f64) -> Dag {
        let mean_d = self.durations.iter().sum::<f64>() / self.durations.len().max(1) as f64;
        let mean_e = self.edges.iter().map(|e| e.2).sum::<f64>() / self.edges.len().max(1) as f64;
        let scale = if mean_e > 0.0 {
            ccr * mean_d / mean_e
        } else {
            0.0
        };
        for e in &mut self.edges {
            e.2 *= scale;
        }
        self.edges.sort_by_key(|e| (e.0, e.1));
        self.edges.dedup_by_key(|e| (e.0, e.1));
        TaskGraph::from_parts(
            self.durations
                .iter()
                .enumerate()
                .map(|(i, &d)| (TaskId(i as u32), d)),
            self.edges
                .iter()
                .map(|&(u, v, d)| (TaskId(u as u32), TaskId(v as u32), d)),
        )
        .expect("generated graph is well formed")
        .freeze()
        .expect("generated graph is acyclic")
    }
}

/// A chain of `n` tasks.
pub fn chain(n: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    for i in 0..n {
        let t = b.task(rng.range(1.0, 20.0));
        if i > 0 {
            b.edge(t - 1, t, rng.range(0.5, 1.5));
        }
    }
    b
}

/// An out-tree (a root fanning out) of `n` tasks, each with up to `k` children.
pub fn out_tree(n: usize, k: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    for i in 0..n {
        let t = b.task(rng.range(1.0, 20.0));
        if i > 0 {
            b.edge((i - 1) / k, t, rng.range(0.5, 1.5));
        }
    }
    b
}

/// An in-tree (leaves reducing to one root) of `n` tasks: the out-tree with edges reversed,
/// numbered so that the index order stays topological.
pub fn in_tree(n: usize, k: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    for _ in 0..n {
        b.task(rng.range(1.0, 20.0));
    }
    // Tree node i (root 0) is task n - 1 - i.
    for i in 1..n {
        let parent = (i - 1) / k;
        b.edge(n - 1 - i, n - 1 - parent, rng.range(0.5, 1.5));
    }
    b
}

/// `stages` fork-join stages of `width` parallel tasks between single join tasks.
pub fn fork_join(width: usize, stages: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let mut join = b.task(rng.range(1.0, 5.0));
    for _ in 0..stages {
        let mids: Vec<usize> = (0..width)
            .map(|_| {
                let t = b.task(rng.range(5.0, 30.0));
                b.edge(join, t, rng.range(0.5, 1.5));
                t
            })
            .collect();
        join = b.task(rng.range(1.0, 5.0));
        for m in mids {
            b.edge(m, join, rng.range(0.5, 1.5));
        }
    }
    b
}

/// A random layered graph: `n` tasks in layers of random width (mean `width`), each task with
/// 1..=`fan_in` predecessors drawn from the previous two layers.
pub fn layered(n: usize, width: usize, fan_in: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let mut layers: Vec<Vec<usize>> = Vec::new();
    while b.durations.len() < n {
        let w = (1 + rng.below(2 * width)).min(n - b.durations.len());
        let layer: Vec<usize> = (0..w).map(|_| b.task(rng.range(1.0, 20.0))).collect();
        if let Some(prev) = layers.last() {
            let before: Vec<usize> = layers
                .iter()
                .rev()
                .take(2)
                .flat_map(|l| l.iter().copied())
                .collect();
            for &t in &layer {
                // At least one predecessor in the previous layer keeps the layers honest.
                b.edge(prev[rng.below(prev.len())], t, rng.range(0.5, 1.5));
                for _ in 1..1 + rng.below(fan_in) {
                    b.edge(before[rng.below(before.len())], t, rng.range(0.5, 1.5));
                }
            }
        }
        layers.push(layer);
    }
    b
}

/// Montage (astronomy mosaics): `k` mProjectPP -> mDiffFit on overlapping pairs ->
/// mConcatFit -> mBgModel -> `k` mBackground (each also after its projection) -> mImgtbl ->
/// mAdd -> mShrink -> mJPEG.
pub fn montage(k: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let proj: Vec<usize> = (0..k).map(|_| b.task(rng.range(12.0, 15.0))).collect();
    let mut diffs = Vec::new();
    for i in 0..k {
        // Each image overlaps its next one or two neighbours.
        for j in [i + 1, i + 2] {
            if j < k && (j == i + 1 || rng.unit() < 0.5) {
                let d = b.task(rng.range(0.5, 1.5));
                b.edge(proj[i], d, rng.range(3.0, 5.0));
                b.edge(proj[j], d, rng.range(3.0, 5.0));
                diffs.push(d);
            }
        }
    }
    let concat = b.task(rng.range(1.0, 3.0));
    for &d in &diffs {
        b.edge(d, concat, rng.range(0.1, 0.3));
    }
    let model = b.task(rng.range(2.0, 5.0));
    b.edge(concat, model, rng.range(0.5, 1.0));
    let imgtbl = b.task(rng.range(1.0, 3.0));
    for &p in &proj {
        let bg = b.task(rng.range(1.0, 2.0));
        b.edge(model, bg, rng.range(0.1, 0.3));
        b.edge(p, bg, rng.range(3.0, 5.0));
        b.edge(bg, imgtbl, rng.range(3.0, 5.0));
    }
    let add = b.task(rng.range(10.0, 20.0));
    b.edge(imgtbl, add, rng.range(3.0, 5.0) * k as f64 / 4.0);
    let shrink = b.task(rng.range(2.0, 5.0));
    b.edge(add, shrink, rng.range(5.0, 10.0));
    let jpeg = b.task(rng.range(1.0, 3.0));
    b.edge(shrink, jpeg, rng.range(1.0, 2.0));
    b
}

/// Epigenomics (genome sequencing): per lane, fastQSplit into `chunks` chunks, each a
/// pipeline filterContams -> sol2sanger -> fastq2bfq -> map, merged per lane (mapMerge); then
/// a global mapMerge -> maqIndex -> pileUp.
pub fn epigenomics(lanes: usize, chunks: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let global = {
        let mut merges = Vec::new();
        for _ in 0..lanes {
            let split = b.task(rng.range(30.0, 40.0));
            let merge_inputs: Vec<usize> = (0..chunks)
                .map(|_| {
                    let mut prev = split;
                    for (lo, hi, data) in [
                        (2.0, 3.0, 5.0),
                        (0.5, 1.0, 5.0),
                        (1.0, 2.0, 5.0),
                        (100.0, 200.0, 2.0),
                    ] {
                        let t = b.task(rng.range(lo, hi));
                        b.edge(prev, t, data * rng.range(0.8, 1.2));
                        prev = t;
                    }
                    prev
                })
                .collect();
            let merge = b.task(rng.range(10.0, 15.0));
            for t in merge_inputs {
                b.edge(t, merge, rng.range(1.0, 2.0));
            }
            merges.push(merge);
        }
        let g = b.task(rng.range(20.0, 30.0));
        for m in merges {
            b.edge(m, g, rng.range(2.0, 4.0));
        }
        g
    };
    let index = b.task(rng.range(40.0, 50.0));
    b.edge(global, index, rng.range(5.0, 8.0));
    let pileup = b.task(rng.range(50.0, 60.0));
    b.edge(index, pileup, rng.range(5.0, 8.0));
    b
}

/// CyberShake (seismic hazard): `sites` ExtractSGT, each feeding `per` SeismogramSynthesis;
/// each seismogram feeds a PeakValCalcOkaya and the ZipSeis; all peaks feed ZipPSA.
pub fn cybershake(sites: usize, per: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    let extracts: Vec<usize> = (0..sites)
        .map(|_| b.task(rng.range(100.0, 140.0)))
        .collect();
    let mut seis = Vec::new();
    for &e in &extracts {
        for _ in 0..per {
            let s = b.task(rng.range(20.0, 60.0));
            b.edge(e, s, rng.range(20.0, 40.0));
            seis.push(s);
        }
    }
    let peaks: Vec<usize> = seis
        .iter()
        .map(|&s| {
            let p = b.task(rng.range(0.5, 1.5));
            b.edge(s, p, rng.range(0.1, 0.3));
            p
        })
        .collect();
    let zip_seis = b.task(rng.range(20.0, 30.0));
    for &s in &seis {
        b.edge(s, zip_seis, rng.range(0.1, 0.3));
    }
    let zip_psa = b.task(rng.range(10.0, 20.0));
    for &p in &peaks {
        b.edge(p, zip_psa, rng.range(0.01, 0.02));
    }
    b
}

/// LIGO Inspiral (gravitational waves): `groups` blocks of `k` TmpltBank -> Inspiral pairs
/// joined by a Thinca, which feeds `k` TrigBank -> Inspiral pairs joined by a second Thinca.
pub fn ligo(groups: usize, k: usize, rng: &mut Rng) -> Builder {
    let mut b = Builder::default();
    for _ in 0..groups {
        let thinca = {
            let ins: Vec<usize> = (0..k)
                .map(|_| {
                    let bank = b.task(rng.range(15.0, 20.0));
                    let insp = b.task(rng.range(200.0, 500.0));
                    b.edge(bank, insp, rng.range(0.5, 1.0));
                    insp
                })
                .collect();
            let t = b.task(rng.range(3.0, 6.0));
            for i in ins {
                b.edge(i, t, rng.range(0.1, 0.3));
            }
            t
        };
        let ins: Vec<usize> = (0..k)
            .map(|_| {
                let trig = b.task(rng.range(3.0, 6.0));
                b.edge(thinca, trig, rng.range(0.1, 0.3));
                let insp = b.task(rng.range(200.0, 500.0));
                b.edge(trig, insp, rng.range(0.5, 1.0));
                insp
            })
            .collect();
        let t = b.task(rng.range(3.0, 6.0));
        for i in ins {
            b.edge(i, t, rng.range(0.1, 0.3));
        }
    }
    b
}

/// Every family by name.
pub const FAMILIES: [&str; 10] = [
    "chain",
    "in-tree",
    "out-tree",
    "fork-join",
    "layered",
    "montage",
    "epigenomics",
    "cybershake",
    "ligo",
    "layered-dense",
];

/// A graph of family `name` with about `size` tasks, data scaled to `ccr`.
pub fn family(name: &str, size: usize, ccr: f64, seed: u64) -> Dag {
    let mut rng = Rng(seed);
    let size = size.max(2);
    let b = match name {
        "chain" => chain(size, &mut rng),
        "in-tree" => in_tree(size, 2 + rng.below(3), &mut rng),
        "out-tree" => out_tree(size, 2 + rng.below(3), &mut rng),
        "fork-join" => fork_join(size.div_ceil(6).max(1), 5, &mut rng),
        "layered" => layered(size, 4, 3, &mut rng),
        "layered-dense" => layered(size, 8, 6, &mut rng),
        // Montage has ~3.5k tasks for k projections.
        "montage" => montage((size * 2 / 7).max(2), &mut rng),
        // Epigenomics has ~4 x lanes x chunks tasks.
        "epigenomics" => epigenomics(2, (size / 8).max(1), &mut rng),
        // CyberShake: 2 x sites x per tasks.
        "cybershake" => cybershake(2, (size / 4).max(1), &mut rng),
        // LIGO: ~4k + 2 per group.
        "ligo" => ligo(2, (size / 8).max(1), &mut rng),
        other => panic!("unknown family {other}"),
    };
    b.finish(ccr)
}

/// Related agents: speeds in [1, 4), links in [0.5, 2) (asymmetric).
pub fn related_platform(m: usize, seed: u64) -> Platform {
    let mut rng = Rng(seed ^ 0x5EED);
    let speeds = (0..m).map(|_| rng.range(1.0, 4.0)).collect();
    Platform::related(speeds, links(m, &mut rng)).unwrap()
}

/// A heterogeneous, inconsistent matrix: `duration x agent factor in [1, 4) x noise in
/// [0.5, 1.5)`, links in [0.5, 2).
pub fn matrix_platform(dag: &Dag, m: usize, seed: u64) -> Platform {
    let mut rng = Rng(seed ^ 0xFACE);
    let factor: Vec<f64> = (0..m).map(|_| rng.range(1.0, 4.0)).collect();
    let mut times = Vec::with_capacity(dag.task_count() * m);
    for &d in dag.durations() {
        times.extend(factor.iter().map(|f| d * f * rng.range(0.5, 1.5)));
    }
    Platform::matrix(dag.task_count(), m, times, links(m, &mut rng)).unwrap()
}

fn links(m: usize, rng: &mut Rng) -> Vec<f64> {
    let mut l = vec![0.0; m * m];
    for p in 0..m {
        for q in 0..m {
            if p != q {
                l[p * m + q] = rng.range(0.5, 2.0);
            }
        }
    }
    l
}
