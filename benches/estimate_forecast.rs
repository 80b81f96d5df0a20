//! Benchmarks for demand forecasting (`agentsched::estimate`).
//!
//! - `hw/fit_forecast/1000x24`: Holt–Winters (additive and multiplicative, with trend) fit on
//!   1,000 points of period 24 plus a 48-step forecast; the target is <= 10 ms. Baseline
//!   in the same run: `hw/sse_pass/1000x24`, one SSE evaluation (the fit's unit of work), so the
//!   ratio is the number of passes the fit costs.
//! - `ar/fit/{p}`: AR(p) conditional least squares (Householder QR) on 10,000 points, p = 1..8;
//!   `ar/select_bic/8`: order selection over 0..=8.
//!
//! Series are deterministic (splitmix64 + Box–Muller): a daily-like season of period 24 with a
//! trend and noise; an AR(2) with phi = (0.5, -0.3).
//!
//! Run with `cargo bench --bench estimate_forecast -- --quick`.

use agentsched::estimate::{ArModel, Criterion as Ic, HoltWinters, HwConfig, HwParams};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let u2 = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn seasonal(n: usize, m: usize) -> Vec<f64> {
    let mut rng = Rng(42);
    (0..n)
        .map(|t| {
            let phase = std::f64::consts::TAU * (t % m) as f64 / m as f64;
            (200.0 + 0.1 * t as f64) * (1.0 + 0.3 * phase.sin()) + 5.0 * rng.normal()
        })
        .collect()
}

fn ar2(n: usize) -> Vec<f64> {
    let mut rng = Rng(7);
    let mut y = vec![0.0, 0.0];
    for _ in 0..n {
        let t = y.len();
        y.push(1.0 + 0.5 * y[t - 1] - 0.3 * y[t - 2] + rng.normal());
    }
    y
}

fn bench(c: &mut Criterion) {
    let y = seasonal(1000, 24);
    let mut g = c.benchmark_group("hw");
    for (name, cfg) in [
        ("additive", HwConfig::additive(24)),
        ("multiplicative", HwConfig::multiplicative(24)),
        ("additive_damped", HwConfig::additive(24).with_damped(true)),
        (
            "multiplicative_damped",
            HwConfig::multiplicative(24).with_damped(true),
        ),
    ] {
        g.bench_function(format!("fit_forecast/1000x24/{name}"), |b| {
            b.iter(|| {
                let model = HoltWinters::fit(black_box(&y), &cfg).unwrap();
                black_box(model.forecast(48, 0.95).unwrap())
            })
        });
        let p = HwParams::new(0.3, 0.05, 0.2).with_phi(0.9);
        g.bench_function(format!("sse_pass/1000x24/{name}"), |b| {
            b.iter(|| black_box(HoltWinters::sse(black_box(&y), &cfg, p).unwrap()))
        });
        let model = HoltWinters::fit(&y, &cfg).unwrap();
        eprintln!(
            "hw {name}: {} SSE evaluations, params {:?}",
            model.evaluations(),
            model.params()
        );
    }
    g.finish();

    let y = ar2(10_000);
    let mut g = c.benchmark_group("ar");
    for p in 1..=8 {
        g.bench_function(format!("fit/{p}"), |b| {
            b.iter(|| black_box(ArModel::fit(black_box(&y), p).unwrap()))
        });
    }
    g.bench_function("select_bic/8", |b| {
        b.iter(|| black_box(ArModel::select(black_box(&y), 8, Ic::Bic).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
