//! Benchmarks for `agentsched::estimate::{rls, runtime}`.
//!
//! - `rls_update/qr/16`: one square-root (QR) RLS update with 16 features, no forgetting;
//!   `rls_update/qr_forgetting/16` with `lambda = 0.99` (one more Givens row for the cyclic
//!   ridge). Target: <= 1 us.
//! - Baselines in the same run: `rls_update/covariance/16`, the textbook covariance-form update
//!   (`k = P x / (lambda + x^T P x)`, `P <- (P - k x^T P) / lambda`), also O(d^2) but without
//!   the numerical safety; `rls_update/batch_resolve/16`, accumulating the normal equations and
//!   re-solving them by Cholesky after every sample (O(d^3)).
//! - `rls_predict/16`: mean and predictive standard deviation.
//! - `estimator/observe_predict/100`: one observation and one prediction, cycling over 100
//!   classes with 16 features.
//!
//! Run with `cargo bench --bench estimate_rls -- --quick`.

use agentsched::estimate::{EstimatorConfig, Rls, RlsConfig, RuntimeEstimator};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const D: usize = 16;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 1,024 samples of a noisy linear model with 16 features (the first constant).
fn samples() -> Vec<([f64; D], f64)> {
    let mut rng = SplitMix64(17);
    (0..1024)
        .map(|_| {
            let mut x = [1.0; D];
            for v in &mut x[1..] {
                *v = rng.unit() * 10.0;
            }
            let y = x.iter().enumerate().map(|(i, v)| i as f64 * v).sum::<f64>() + rng.unit();
            (x, y)
        })
        .collect()
}

/// The covariance-form RLS (Haykin, Table 10.1): `P` is the inverse information matrix.
struct CovRls {
    p: Vec<f64>,
    theta: Vec<f64>,
    px: Vec<f64>,
    lambda: f64,
}

impl CovRls {
    fn new(lambda: f64, delta: f64) -> Self {
        let mut p = vec![0.0; D * D];
        for k in 0..D {
            p[k * D + k] = 1.0 / delta;
        }
        Self {
            p,
            theta: vec![0.0; D],
            px: vec![0.0; D],
            lambda,
        }
    }

    fn update(&mut self, x: &[f64], y: f64) {
        for i in 0..D {
            self.px[i] = self.p[i * D..(i + 1) * D]
                .iter()
                .zip(x)
                .map(|(a, b)| a * b)
                .sum();
        }
        let denom = self.lambda + x.iter().zip(&self.px).map(|(a, b)| a * b).sum::<f64>();
        let e = y - x.iter().zip(&self.theta).map(|(a, b)| a * b).sum::<f64>();
        for i in 0..D {
            self.theta[i] += self.px[i] / denom * e;
        }
        // P is symmetric, so x^T P = (P x)^T.
        let inv = 1.0 / self.lambda;
        for i in 0..D {
            let ki = self.px[i] / denom;
            for j in 0..D {
                self.p[i * D + j] = (self.p[i * D + j] - ki * self.px[j]) * inv;
            }
        }
    }
}

/// Normal equations re-solved by Cholesky after each sample.
struct Batch {
    a: Vec<f64>,
    b: Vec<f64>,
    l: Vec<f64>,
    theta: Vec<f64>,
}

impl Batch {
    fn new(ridge: f64) -> Self {
        let mut a = vec![0.0; D * D];
        for k in 0..D {
            a[k * D + k] = ridge;
        }
        Self {
            a,
            b: vec![0.0; D],
            l: vec![0.0; D * D],
            theta: vec![0.0; D],
        }
    }

    fn update(&mut self, x: &[f64], y: f64) {
        for i in 0..D {
            for j in 0..D {
                self.a[i * D + j] += x[i] * x[j];
            }
            self.b[i] += x[i] * y;
        }
        for i in 0..D {
            for j in 0..=i {
                let mut s = self.a[i * D + j];
                for k in 0..j {
                    s -= self.l[i * D + k] * self.l[j * D + k];
                }
                self.l[i * D + j] = if i == j {
                    s.sqrt()
                } else {
                    s / self.l[j * D + j]
                };
            }
        }
        for i in 0..D {
            let s: f64 = (0..i).map(|k| self.l[i * D + k] * self.theta[k]).sum();
            self.theta[i] = (self.b[i] - s) / self.l[i * D + i];
        }
        for i in (0..D).rev() {
            let s: f64 = (i + 1..D).map(|k| self.l[k * D + i] * self.theta[k]).sum();
            self.theta[i] = (self.theta[i] - s) / self.l[i * D + i];
        }
    }
}

fn bench(c: &mut Criterion) {
    let data = samples();
    let mut g = c.benchmark_group("rls_update");
    for (name, lambda) in [("qr", 1.0), ("qr_forgetting", 0.99)] {
        let mut rls = Rls::new(RlsConfig {
            features: D,
            forgetting: lambda,
            ridge: 1e-6,
        })
        .unwrap();
        let mut i = 0;
        g.bench_function(format!("{name}/{D}"), |b| {
            b.iter(|| {
                let (x, y) = &data[i & 1023];
                i += 1;
                rls.update(black_box(x), black_box(*y)).unwrap();
            })
        });
    }
    let mut cov = CovRls::new(0.99, 1e-6);
    let mut i = 0;
    g.bench_function(format!("covariance/{D}"), |b| {
        b.iter(|| {
            let (x, y) = &data[i & 1023];
            i += 1;
            cov.update(black_box(x), black_box(*y));
        })
    });
    let mut batch = Batch::new(1e-6);
    let mut i = 0;
    g.bench_function(format!("batch_resolve/{D}"), |b| {
        b.iter(|| {
            let (x, y) = &data[i & 1023];
            i += 1;
            batch.update(black_box(x), black_box(*y));
        })
    });
    g.finish();

    let mut rls = Rls::new(RlsConfig::new(D)).unwrap();
    for (x, y) in &data {
        rls.update(x, *y).unwrap();
    }
    let mut i = 0;
    c.bench_function(&format!("rls_predict/{D}"), |b| {
        b.iter(|| {
            i += 1;
            rls.predict(black_box(&data[i & 1023].0)).unwrap()
        })
    });

    let mut est = RuntimeEstimator::new(EstimatorConfig::new(D)).unwrap();
    for (k, (x, y)) in data.iter().cycle().take(5000).enumerate() {
        est.observe((k % 100) as u32, x, y.abs()).unwrap();
    }
    let mut i = 0usize;
    c.bench_function("estimator/observe_predict/100", |b| {
        b.iter(|| {
            let (x, y) = &data[i & 1023];
            let class = (i % 100) as u32;
            i += 1;
            est.observe(class, black_box(x), y.abs()).unwrap();
            est.predict(class, black_box(x)).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
