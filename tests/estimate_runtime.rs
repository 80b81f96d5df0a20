//! Runtime estimation: the QR-RLS model against independent batch solutions, known structure,
//! intervals, forgetting, ill-conditioning, errors, and the per-class estimator's fallbacks.

use agentsched::Error;
use agentsched::estimate::stats::{t_cdf, t_quantile};
use agentsched::estimate::{EstimatorConfig, Prediction, Rls, RlsConfig, RuntimeEstimator, Source};
use proptest::prelude::*;
use serde_json::Value;

/// The test's own generator (SplitMix64), independent of the crate's.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Box-Muller.
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting (`a` is `n x n` row-major).
#[allow(clippy::needless_range_loop)] // the textbook index form is the oracle
fn gauss_solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            for k in col..n {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i][k] * x[k]).sum();
        x[i] = (b[i] - s) / a[i][i];
    }
    x
}

/// The batch weighted, penalised least-squares fit: `(sum w_i x_i x_i^T + prior) theta = sum
/// w_i x_i y_i`; returns theta, the penalised RSS, and `x0^T A^-1 x0`.
fn batch(
    xs: &[Vec<f64>],
    ys: &[f64],
    w: &[f64],
    prior: &[f64],
    x0: &[f64],
) -> (Vec<f64>, f64, f64) {
    let d = x0.len();
    let mut a = vec![vec![0.0; d]; d];
    let mut b = vec![0.0; d];
    for ((x, &y), &wi) in xs.iter().zip(ys).zip(w) {
        for i in 0..d {
            for j in 0..d {
                a[i][j] += wi * x[i] * x[j];
            }
            b[i] += wi * x[i] * y;
        }
    }
    for i in 0..d {
        a[i][i] += prior[i];
    }
    let theta = gauss_solve(a.clone(), b);
    let mut rss: f64 = xs
        .iter()
        .zip(ys)
        .zip(w)
        .map(|((x, y), wi)| {
            let r = y - x.iter().zip(&theta).map(|(a, b)| a * b).sum::<f64>();
            wi * r * r
        })
        .sum();
    rss += (0..d).map(|i| prior[i] * theta[i] * theta[i]).sum::<f64>();
    let u = gauss_solve(a, x0.to_vec());
    let lev = u.iter().zip(x0).map(|(a, b)| a * b).sum();
    (theta, rss, lev)
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn random_data(seed: u64, n: usize, d: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = Rng(seed);
    let xs: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..d).map(|_| rng.uniform(-5.0, 5.0)).collect())
        .collect();
    let ys = xs
        .iter()
        .map(|x| {
            x.iter()
                .enumerate()
                .map(|(i, v)| (i as f64 - 1.0) * v)
                .sum::<f64>()
                + rng.normal()
        })
        .collect();
    (xs, ys)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rls_equals_batch_ridge_regression(
        seed in any::<u64>(),
        d in 1usize..6,
        extra in 2usize..30,
        ridge in prop_oneof![Just(0.0), 0.001f64..10.0],
    ) {
        let n = d + extra;
        let (xs, ys) = random_data(seed, n, d);
        let mut rls = Rls::new(RlsConfig { features: d, forgetting: 1.0, ridge }).unwrap();
        for (x, &y) in xs.iter().zip(&ys) {
            rls.update(x, y).unwrap();
        }
        let x0: Vec<f64> = (0..d).map(|i| 1.0 - 0.3 * i as f64).collect();
        let (theta, rss, lev) = batch(&xs, &ys, &vec![1.0; n], &vec![ridge; d], &x0);
        let got = rls.coefficients().unwrap();
        for (g, t) in got.iter().zip(&theta) {
            prop_assert!(close(*g, *t, 1e-8), "{got:?} vs {theta:?}");
        }
        prop_assert!(close(rls.residual_sum_of_squares(), rss, 1e-8));
        let p = rls.predict(&x0).unwrap();
        let dof = (n - d) as f64;
        prop_assert!(close(p.dof, dof, 1e-12));
        let var = rss / dof * (1.0 + lev);
        prop_assert!(close(p.std_error * p.std_error, var, 1e-8), "{} vs {var}", p.std_error.powi(2));
        let mean: f64 = x0.iter().zip(&theta).map(|(a, b)| a * b).sum();
        prop_assert!(close(p.mean, mean, 1e-8));
    }

    /// Forgetting: the fit equals batch least squares with weights `lambda^(n-i)` and the prior
    /// the module documents (`lambda^n ridge I` plus the cyclic rows).
    #[test]
    fn rls_with_forgetting_equals_weighted_batch(
        seed in any::<u64>(),
        d in 1usize..6,
        extra in 2usize..40,
        lambda in 0.8f64..1.0,
        ridge in prop_oneof![Just(0.0), 0.001f64..10.0],
    ) {
        let n = d + extra;
        let (xs, ys) = random_data(seed, n, d);
        let mut rls = Rls::new(RlsConfig { features: d, forgetting: lambda, ridge }).unwrap();
        for (x, &y) in xs.iter().zip(&ys) {
            rls.update(x, y).unwrap();
        }
        let w: Vec<f64> = (0..n).map(|i| lambda.powi((n - 1 - i) as i32)).collect();
        let mut prior = vec![lambda.powi(n as i32) * ridge; d];
        for t in 0..n {
            // Update t (0-based) adds (1 - lambda) ridge d on coordinate t mod d, weighted like
            // the observation of that update.
            prior[t % d] += w[t] * (1.0 - lambda) * ridge * d as f64;
        }
        let x0: Vec<f64> = (0..d).map(|i| 0.5 + 0.2 * i as f64).collect();
        let (theta, rss, lev) = batch(&xs, &ys, &w, &prior, &x0);
        let got = rls.coefficients().unwrap();
        for (g, t) in got.iter().zip(&theta) {
            prop_assert!(close(*g, *t, 1e-7), "{got:?} vs {theta:?}");
        }
        let n_eff: f64 = w.iter().sum();
        prop_assert!(close(rls.effective_samples(), n_eff, 1e-12));
        prop_assert!(close(rls.residual_sum_of_squares(), rss, 1e-7));
        let dof = n_eff - d as f64;
        if dof > 0.0 {
            let p = rls.predict(&x0).unwrap();
            prop_assert!(close(p.dof, dof, 1e-10));
            prop_assert!(close(p.std_error.powi(2), rss / dof * (1.0 + lev), 1e-7));
        }
    }
}

#[test]
fn recovers_known_coefficients_and_intervals_cover() {
    let mut rng = Rng(42);
    let mut rls = Rls::new(RlsConfig::new(3)).unwrap();
    let sample = |rng: &mut Rng| {
        let (x1, x2) = (rng.uniform(0.0, 10.0), rng.uniform(-5.0, 5.0));
        (
            [1.0, x1, x2],
            3.0 + 2.0 * x1 - 0.5 * x2 + 0.1 * rng.normal(),
        )
    };
    for _ in 0..1000 {
        let (x, y) = sample(&mut rng);
        rls.update(&x, y).unwrap();
    }
    let t = rls.coefficients().unwrap();
    assert!((t[0] - 3.0).abs() < 0.03, "{t:?}");
    assert!((t[1] - 2.0).abs() < 0.005, "{t:?}");
    assert!((t[2] + 0.5).abs() < 0.005, "{t:?}");
    let p = rls.predict(&[1.0, 0.0, 0.0]).unwrap();
    assert!((p.std_error - 0.1).abs() < 0.01, "{p:?}");
    let covered = (0..2000)
        .filter(|_| {
            let (x, y) = sample(&mut rng);
            let (lo, hi) = rls.predict(&x).unwrap().interval(0.95).unwrap();
            lo <= y && y <= hi
        })
        .count();
    let rate = covered as f64 / 2000.0;
    assert!((0.92..=0.98).contains(&rate), "coverage {rate}");
}

#[test]
fn forgetting_tracks_a_coefficient_change() {
    let mut rng = Rng(5);
    let mut rls = Rls::new(RlsConfig {
        features: 2,
        forgetting: 0.98,
        ridge: 1e-6,
    })
    .unwrap();
    for i in 0..700 {
        let x = rng.uniform(0.0, 10.0);
        let slope = if i < 500 { 2.0 } else { -1.0 };
        rls.update(&[1.0, x], 1.0 + slope * x + 0.1 * rng.normal())
            .unwrap();
        if i == 499 {
            assert!((rls.coefficients().unwrap()[1] - 2.0).abs() < 0.05);
        }
    }
    let t = rls.coefficients().unwrap();
    assert!((t[1] + 1.0).abs() < 0.05, "{t:?}");
    // Without forgetting the estimate is stuck between the two regimes.
    let mut rng = Rng(5);
    let mut plain = Rls::new(RlsConfig::new(2)).unwrap();
    for i in 0..700 {
        let x = rng.uniform(0.0, 10.0);
        let slope = if i < 500 { 2.0 } else { -1.0 };
        plain
            .update(&[1.0, x], 1.0 + slope * x + 0.1 * rng.normal())
            .unwrap();
    }
    assert!((plain.coefficients().unwrap()[1] + 1.0).abs() > 1.0);
}

#[test]
fn nearly_collinear_features_are_singular_or_finite() {
    for ridge in [0.0, 1e-6, 1e-2] {
        let mut rng = Rng(11);
        let mut rls = Rls::new(RlsConfig {
            features: 2,
            forgetting: 1.0,
            ridge,
        })
        .unwrap();
        for _ in 0..200 {
            let x = rng.uniform(0.0, 10.0);
            rls.update(&[x, x + 1e-9 * rng.normal()], 2.0 * x + rng.normal())
                .unwrap();
        }
        match rls.predict(&[1.0, 1.0]) {
            Ok(p) => assert!(p.mean.is_finite() && p.std_error.is_finite(), "{p:?}"),
            Err(Error::Singular { .. }) => assert_eq!(ridge, 0.0),
            Err(e) => panic!("unexpected {e}"),
        }
        if ridge > 0.0 {
            let t = rls.coefficients().unwrap();
            assert!(t.iter().all(|v| v.is_finite()));
            // The ridge splits the weight between the two copies.
            assert!((t[0] + t[1] - 2.0).abs() < 0.1, "{t:?}");
        }
    }
}

#[test]
fn huge_values_are_rejected_and_change_nothing() {
    let mut rls = Rls::new(RlsConfig::new(2)).unwrap();
    rls.update(&[1.0, 2.0], 3.0).unwrap();
    let before = serde_json::to_string(&rls).unwrap();
    for (x, y) in [
        ([1e300, 1.0], 1.0),
        ([1.0, 1.0], 1e300),
        ([1e200, 1e200], 1e300),
    ] {
        // Either the rotation absorbs it (hypot keeps 1e300 finite) and the model stays valid,
        // or it is refused and nothing changed.
        let mut m = rls.clone();
        match m.update(&x, y) {
            Ok(()) => {
                m.validate().unwrap();
                assert!(m.residual_sum_of_squares().is_finite());
            }
            Err(e) => {
                assert!(matches!(e, Error::NotFinite { .. }), "{e:?}");
                assert_eq!(serde_json::to_string(&m).unwrap(), before);
            }
        }
    }
    // A residual whose square overflows is always refused.
    let mut m = rls.clone();
    assert!(matches!(
        m.update(&[1.0, 1.0], 1e300),
        Err(Error::NotFinite { .. })
    ));
    assert_eq!(serde_json::to_string(&m).unwrap(), before);
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(2)).unwrap();
    est.observe(1, &[1.0, 2.0], 3.0).unwrap();
    let before = serde_json::to_string(&est).unwrap();
    assert!(matches!(
        est.observe(1, &[1.0, 1.0], 1e300),
        Err(Error::TooLarge { .. })
    ));
    assert_eq!(serde_json::to_string(&est).unwrap(), before);
    // A huge feature may be absorbed (then the estimator stays valid) or refused (then nothing
    // changed).
    match est.observe(2, &[1e300, 1.0], 1.0) {
        Ok(()) => est.validate().unwrap(),
        Err(e) => {
            assert!(matches!(e, Error::NotFinite { .. }), "{e:?}");
            assert_eq!(serde_json::to_string(&est).unwrap(), before);
        }
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let cfg = |forgetting, ridge| RlsConfig {
        features: 2,
        forgetting,
        ridge,
    };
    assert!(matches!(
        Rls::new(cfg(0.0, 0.0)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        Rls::new(cfg(1.5, 0.0)),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        Rls::new(cfg(f64::NAN, 0.0)),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        Rls::new(cfg(1.0, -1.0)),
        Err(Error::Negative { .. })
    ));
    assert!(matches!(
        Rls::new(RlsConfig::new(0)),
        Err(Error::InvalidConfig { .. })
    ));
    let mut rls = Rls::new(RlsConfig::new(2)).unwrap();
    assert!(matches!(
        rls.update(&[1.0], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        rls.update(&[1.0, f64::NAN], 1.0),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        rls.update(&[1.0, 1.0], f64::INFINITY),
        Err(Error::NotFinite { .. })
    ));
    assert_eq!(rls.samples(), 0);
    let p = Prediction {
        mean: 1.0,
        std_error: 1.0,
        dof: 3.0,
        source: Source::Regression,
    };
    for level in [0.0, 1.0, -0.5, 2.0] {
        assert!(matches!(
            p.interval(level),
            Err(Error::InvalidConfig { .. })
        ));
    }
    assert!(matches!(p.interval(f64::NAN), Err(Error::NotFinite { .. })));
    assert!(p.quantile(1.0).is_err());

    let mut ec = EstimatorConfig::new(2);
    ec.mean_weight = 0.0;
    assert!(RuntimeEstimator::new(ec.clone()).is_err());
    ec.mean_weight = 1.5;
    assert!(RuntimeEstimator::new(ec).is_err());
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(2)).unwrap();
    assert!(matches!(
        est.observe(1, &[1.0, 1.0], -1.0),
        Err(Error::Negative { .. })
    ));
    assert!(matches!(
        est.observe(1, &[1.0, 1.0], f64::NAN),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        est.observe(1, &[1.0], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    // Lengths are checked even when no model answers.
    assert!(matches!(
        est.predict(1, &[1.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        est.predict(1, &[f64::NAN, 1.0]),
        Err(Error::NotFinite { .. })
    ));
    assert_eq!(est.classes(), 0);
}

#[test]
fn interval_is_symmetric_t_interval() {
    // Published: t_{0.975, 5} = 2.570582.
    let p = Prediction {
        mean: 10.0,
        std_error: 2.0,
        dof: 5.0,
        source: Source::Regression,
    };
    let (lo, hi) = p.interval(0.95).unwrap();
    assert!((hi - (10.0 + 2.0 * 2.570582)).abs() < 1e-5);
    assert!((lo - (10.0 - 2.0 * 2.570582)).abs() < 1e-5);
    let n = Prediction {
        dof: f64::INFINITY,
        ..p
    };
    assert!((n.quantile(0.975).unwrap() - (10.0 + 2.0 * 1.959964)).abs() < 1e-5);
}

#[test]
fn published_t_quantiles() {
    for (p, dof, t) in [
        (0.975, 5.0, 2.570582),
        (0.975, 10.0, 2.228139),
        (0.95, 30.0, 1.697261),
    ] {
        assert!((t_quantile(p, dof).unwrap() - t).abs() < 1e-6);
    }
}

#[test]
fn estimator_fallback_ladder() {
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(2)).unwrap();
    assert_eq!(est.predict(1, &[1.0, 0.0]).unwrap(), None);
    est.observe(1, &[1.0, 1.0], 3.0).unwrap();
    let p = est.predict(1, &[1.0, 5.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::ClassMean);
    assert_eq!(p.mean, 3.0);
    let g = est.predict(2, &[1.0, 5.0]).unwrap().unwrap();
    assert_eq!(g.source, Source::GlobalMean);
    assert_eq!(g.mean, 3.0);
    // y = 1 + 2 x, exactly, plus a little noise so sigma > 0.
    for i in 1..6 {
        let x = i as f64;
        est.observe(1, &[1.0, x], 1.0 + 2.0 * x + 0.01 * (i % 2) as f64)
            .unwrap();
    }
    assert_eq!(est.samples(1), 6);
    // min_samples = 2 * 2 + 2 = 6.
    let p = est.predict(1, &[1.0, 10.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::Regression);
    assert!((p.mean - 21.0).abs() < 0.1, "{p:?}");
    assert_eq!(
        est.predict(3, &[1.0, 10.0]).unwrap().unwrap().source,
        Source::GlobalMean
    );
    // Singular features (all the same x) keep a class on its mean.
    let mut cfg = EstimatorConfig::new(2);
    cfg.rls.ridge = 0.0;
    let mut s = RuntimeEstimator::new(cfg).unwrap();
    for i in 0..10 {
        s.observe(4, &[1.0, 1.0], 5.0 + (i % 2) as f64).unwrap();
    }
    let p = s.predict(4, &[1.0, 1.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::ClassMean);
    assert!(p.std_error > 0.0 && p.dof.is_finite());
    // The mean never goes negative.
    let p = est.predict(1, &[1.0, -100.0]).unwrap().unwrap();
    assert_eq!(p.mean, 0.0);
}

#[test]
fn estimator_ew_mean_resists_outliers() {
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(3)).unwrap();
    let mut rng = Rng(3);
    for _ in 0..30 {
        est.observe(1, &[1.0, 0.0, 0.0], 10.0 + rng.normal())
            .unwrap();
    }
    // One wild observation; an unknown class is answered by the global EW mean.
    est.observe(1, &[1.0, 0.0, 0.0], 1e9).unwrap();
    let g = est.predict(99, &[1.0, 0.0, 0.0]).unwrap().unwrap();
    assert!((g.mean - 10.0).abs() < 1.5, "{g:?}");
    // A plain EW mean would have jumped by 0.1 * 1e9.
}

#[test]
fn estimator_is_deterministic_and_round_trips() {
    let run = || {
        let mut rng = Rng(9);
        let mut est = RuntimeEstimator::new(EstimatorConfig {
            log_target: true,
            ..EstimatorConfig::new(2)
        })
        .unwrap();
        for i in 0..300 {
            let x = rng.uniform(0.0, 3.0);
            est.observe(i % 5, &[1.0, x], (0.5 + x + 0.2 * rng.normal()).exp())
                .unwrap();
        }
        est
    };
    let a = run();
    let b = run();
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let back: RuntimeEstimator = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    back.validate().unwrap();
    assert_eq!(back, a);
    assert_eq!(
        back.predict(2, &[1.0, 1.0]).unwrap(),
        a.predict(2, &[1.0, 1.0]).unwrap()
    );
    // A deserialised model keeps learning like the original.
    let (mut a2, mut b2) = (a.clone(), back);
    a2.observe(2, &[1.0, 2.0], 9.0).unwrap();
    b2.observe(2, &[1.0, 2.0], 9.0).unwrap();
    assert_eq!(a2, b2);
    // Log target: the median prediction is near exp(0.5 + x), the exact interval brackets it.
    let p = a.predict(2, &[1.0, 1.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::Regression);
    assert!((p.mean - 1.5f64.exp()).abs() < 0.3, "{p:?}");
    let (lo, hi) = a.interval(2, &[1.0, 1.0], 0.95).unwrap().unwrap();
    assert!(lo < p.mean && p.mean < hi && lo > 0.0);
    // Asymmetric, as the log-normal is.
    assert!(hi - p.mean > p.mean - lo);
}

#[test]
fn validate_rejects_corrupted_states() {
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(2)).unwrap();
    for i in 0..10 {
        est.observe(i % 2, &[1.0, i as f64], 1.0 + i as f64)
            .unwrap();
    }
    let good: Value = serde_json::to_value(&est).unwrap();
    let corrupt = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::from_value::<RuntimeEstimator>(v)
            .map_err(|e| e.to_string())
            .and_then(|e| e.validate().map_err(|e| e.to_string()))
    };
    assert!(corrupt(&|_| {}).is_ok());
    type Corruption = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Corruption)> = vec![
        (
            "short r",
            Box::new(|v| {
                v["classes"]["0"]["rls"]["r"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "short z",
            Box::new(|v| {
                v["classes"]["0"]["rls"]["z"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            // A finite z no bounded targets can produce: every later residual would overflow.
            "huge z",
            Box::new(|v| v["classes"]["0"]["rls"]["z"][0] = Value::from(1e300)),
        ),
        (
            "lower triangle",
            Box::new(|v| v["classes"]["0"]["rls"]["r"][2] = 1.0.into()),
        ),
        (
            "negative diagonal",
            Box::new(|v| v["classes"]["1"]["rls"]["r"][0] = (-1.0).into()),
        ),
        (
            "negative rss",
            Box::new(|v| v["classes"]["1"]["rls"]["rss"] = (-1.0).into()),
        ),
        (
            "n_eff > samples",
            Box::new(|v| v["classes"]["1"]["rls"]["n_eff"] = 1e6.into()),
        ),
        (
            "negative var",
            Box::new(|v| v["classes"]["1"]["ew"]["var"] = (-1.0).into()),
        ),
        ("global count", Box::new(|v| v["global"]["n"] = 3.into())),
        (
            "class count",
            Box::new(|v| v["classes"]["1"]["ew"]["n"] = 2.into()),
        ),
        (
            "config mismatch",
            Box::new(|v| v["classes"]["1"]["rls"]["cfg"]["ridge"] = 5.0.into()),
        ),
        (
            "bad forgetting",
            Box::new(|v| v["cfg"]["rls"]["forgetting"] = 2.0.into()),
        ),
        (
            "bad weight",
            Box::new(|v| v["cfg"]["mean_weight"] = 0.0.into()),
        ),
        (
            "non-finite",
            Box::new(|v| v["global"]["mean"] = Value::Null),
        ),
        // Finite, but beyond what bounded targets produce: the next update could overflow.
        (
            "mean beyond the target bound",
            Box::new(|v| v["global"]["mean"] = 1e200.into()),
        ),
        (
            "variance beyond the target bound",
            Box::new(|v| v["classes"]["1"]["ew"]["var"] = 1e300.into()),
        ),
        (
            "rss beyond the target bound",
            Box::new(|v| v["classes"]["1"]["rls"]["rss"] = 1e305.into()),
        ),
    ];
    for (name, f) in cases {
        assert!(corrupt(&*f).is_err(), "{name} accepted");
    }
}

/// Tiny and huge (but finite) observations are rotated through `hypot` rather than squares that
/// underflow to 0 or overflow to infinity.
#[test]
fn extreme_magnitudes_update_without_ridge() {
    use agentsched::estimate::{Rls, RlsConfig};
    // (Beyond ~1e154 the residual sum of squares itself overflows: that is a NotFinite error.)
    // 1e-310 is subnormal (about 44 significant bits, hence the looser tolerance): the Givens
    // radius is then subnormal too and its reciprocal would overflow.
    for scale in [1e-170, 1e-200, 1e-300, 1e-310, 1e140] {
        let mut m = Rls::new(RlsConfig {
            features: 1,
            forgetting: 1.0,
            ridge: 0.0,
        })
        .unwrap();
        // y = 3 x exactly: the coefficient is recomputed as sum(xy)/sum(x²) without squares.
        for k in 1..=4 {
            let x = scale * f64::from(k);
            m.update(&[x], 3.0 * x).unwrap();
        }
        let c = m.coefficients().unwrap();
        let tol = if scale < f64::MIN_POSITIVE {
            1e-9
        } else {
            1e-12
        };
        assert!((c[0] - 3.0).abs() < tol, "scale {scale}: {c:?}");
    }
    // A subnormal feature after a normal one: the second rotation's radius is subnormal.
    let mut m = Rls::new(RlsConfig {
        features: 2,
        forgetting: 1.0,
        ridge: 0.0,
    })
    .unwrap();
    m.update(&[1.0, 1e-310], 1.0).unwrap();
    m.update(&[1.0, 2e-310], 1.0).unwrap();
    assert_eq!(m.samples(), 2);
}

// ---------------------------------------------------------------- review regressions

#[test]
fn quantiles_beyond_f64_and_invalid_predictions_are_typed_errors() {
    // Heavy forgetting leaves a tiny fractional dof: the t quantile of a 95% interval is far
    // beyond f64, which is a documented NotFinite rather than an infinite bound.
    let mut rls = Rls::new(RlsConfig {
        features: 2,
        forgetting: 0.5005,
        ridge: 1e-6,
    })
    .unwrap();
    for i in 0..200 {
        let x = f64::from(i % 7);
        rls.update(
            &[1.0, x],
            2.0 + 3.0 * x + if i % 2 == 0 { 0.1 } else { -0.1 },
        )
        .unwrap();
    }
    let p = rls.predict(&[1.0, 3.0]).unwrap();
    assert!(p.dof > 0.0 && p.dof < 0.01, "dof {}", p.dof);
    assert!(matches!(p.interval(0.95), Err(Error::NotFinite { .. })));
    assert!(matches!(p.quantile(0.975), Err(Error::NotFinite { .. })));
    // Hand-built predictions are checked: -inf dof is not a normal.
    let good = Prediction {
        mean: 10.0,
        std_error: 2.0,
        dof: f64::INFINITY,
        source: Source::Regression,
    };
    // z(0.975) = 1.959963984540054 (tables).
    let (lo, hi) = good.interval(0.95).unwrap();
    assert!((hi - (10.0 + 2.0 * 1.959_963_984_540_054)).abs() < 1e-12 && lo < 10.0);
    for (bad, what) in [
        (
            Prediction {
                dof: f64::NEG_INFINITY,
                ..good
            },
            "dof -inf",
        ),
        (Prediction { dof: 0.0, ..good }, "dof 0"),
        (
            Prediction {
                dof: f64::NAN,
                ..good
            },
            "dof NaN",
        ),
        (
            Prediction {
                std_error: -1.0,
                ..good
            },
            "negative se",
        ),
        (
            Prediction {
                mean: f64::NAN,
                ..good
            },
            "NaN mean",
        ),
    ] {
        assert!(bad.quantile(0.9).is_err(), "{what}");
        assert!(bad.interval(0.9).is_err(), "{what}");
    }
    let huge = Prediction {
        mean: 1e308,
        std_error: 1e308,
        ..good
    };
    assert!(matches!(huge.quantile(0.9), Err(Error::NotFinite { .. })));
}

#[test]
fn validate_refuses_an_effective_count_beyond_the_forgetting_limit() {
    let mut rls = Rls::new(RlsConfig {
        features: 1,
        forgetting: 0.9,
        ridge: 1e-3,
    })
    .unwrap();
    for i in 0..100 {
        rls.update(&[1.0], f64::from(i % 3)).unwrap();
    }
    // Many updates bring n_eff to its limit 1 / (1 - 0.9) = 10, not beyond.
    assert!(rls.effective_samples() <= 10.0 * (1.0 + 1e-9));
    rls.validate().unwrap();
    let mut v = serde_json::to_value(&rls).unwrap();
    v["n_eff"] = Value::from(50.0);
    let forged: Rls = serde_json::from_value(v).unwrap();
    assert!(forged.validate().is_err());
}

/// A model-scale target beyond `MAX_TARGET` is refused before anything changes, and at the
/// bound any mix of extremes keeps every later update finite. (Regression: one runtime of 1e156
/// made `(y - m)^2` overflow in the global mean's update, so every later observation of every
/// class was refused.)
#[test]
fn targets_beyond_the_bound_are_refused_and_extremes_keep_learning() {
    use agentsched::estimate::runtime::MAX_TARGET;
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(1)).unwrap();
    est.observe(1, &[1.0], 3.0).unwrap();
    let before = est.clone();
    for y in [1e156, MAX_TARGET * (1.0 + 1e-15), f64::MAX] {
        let err = est.observe(2, &[1.0], y).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    field: "runtime",
                    max: MAX_TARGET,
                    ..
                }
            ),
            "{y}: {err:?}"
        );
        assert_eq!(est, before, "{y}: a refused observation changed the model");
    }
    // Other classes keep learning.
    est.observe(3, &[1.0], 5.0).unwrap();
    assert_eq!(est.samples(3), 1);

    // At the bound: alternate 0 and MAX_TARGET over three classes, with and without
    // forgetting, with EW weights from "last value" to "long memory". Every observation is
    // accepted, the state stays valid, and the means stay within [0, MAX_TARGET].
    for forgetting in [1.0, 0.9] {
        for mean_weight in [1.0, 0.1, 1e-6] {
            let mut cfg = EstimatorConfig::new(1);
            cfg.rls.forgetting = forgetting;
            cfg.mean_weight = mean_weight;
            cfg.min_samples = 2;
            let mut est = RuntimeEstimator::new(cfg).unwrap();
            for k in 0..600u32 {
                let y = if k % 2 == 0 { 0.0 } else { MAX_TARGET };
                est.observe(k % 3, &[1.0], y)
                    .unwrap_or_else(|e| panic!("{forgetting} {mean_weight} {k}: {e:?}"));
            }
            est.validate().unwrap();
            for class in [0, 1, 2, 9] {
                let p = est.predict(class, &[1.0]).unwrap().unwrap();
                assert!(p.mean <= MAX_TARGET * (1.0 + 1e-12), "{p:?}");
                assert!(p.std_error.is_finite(), "{p:?}");
            }
        }
    }

    // With a log target the bound is never reached: ln(f64::MAX) < 710.
    let mut cfg = EstimatorConfig::new(1);
    cfg.log_target = true;
    let mut est = RuntimeEstimator::new(cfg).unwrap();
    for y in [f64::MAX, 0.0, 1e156, 1.0] {
        est.observe(1, &[1.0], y).unwrap();
    }
    assert_eq!(est.samples(1), 4);
}

/// Under forgetting, `n_eff - d` can settle below one degree of freedom, where t quantiles
/// explode; the class mean answers instead of such a regression.
#[test]
fn a_regression_with_less_than_one_degree_of_freedom_defers_to_the_class_mean() {
    let mut cfg = EstimatorConfig::new(2);
    cfg.rls.forgetting = 0.6;
    cfg.min_samples = 4;
    cfg.log_target = true;
    let mut est = RuntimeEstimator::new(cfg).unwrap();
    let mut rng = Rng(7);
    let n = 30;
    for _ in 0..n {
        let x = rng.uniform(1.0, 10.0);
        est.observe(1, &[1.0, x], 2.0 * x + rng.uniform(0.0, 1.0))
            .unwrap();
    }
    // n_eff = sum_{k<n} 0.6^k -> 2.5, so the regression has about 0.5 degrees of freedom.
    let n_eff: f64 = (0..n).map(|k| 0.6f64.powi(k)).sum();
    assert!(n_eff - 2.0 < 1.0);
    let p = est.predict(1, &[1.0, 5.0]).unwrap().unwrap();
    assert_eq!(p.source, Source::ClassMean, "{p:?}");
    // The EW spread's degrees of freedom: min(n, (2 - w) / w) - 1 with w = 0.1.
    assert!((p.dof - 18.0).abs() < 1e-12, "{p:?}");
    let q = est.quantile(1, &[1.0, 5.0], 0.999).unwrap().unwrap();
    assert!(q.is_finite() && q > p.mean, "{q} vs {p:?}");
}

/// A quantile beyond `f64::MAX` is an error, not infinity: a class mean of two log-scale
/// samples has one degree of freedom (a Cauchy tail).
#[test]
fn an_unrepresentable_quantile_is_not_finite() {
    let mut cfg = EstimatorConfig::new(1);
    cfg.log_target = true;
    cfg.min_samples = 1_000;
    let mut est = RuntimeEstimator::new(cfg).unwrap();
    est.observe(1, &[1.0], 100.0).unwrap();
    est.observe(1, &[1.0], 1e6).unwrap();
    // Log scale: mean (ln 100 + ln 1e6) / 2, EW variance 0.5 (0 + 0.5 d^2) with d = ln 1e4,
    // std error sqrt(v (1 + 1/2)); t_{0.999}(1) = tan(pi (0.5 - 0.001)) ~ 318.3, and
    // exp(mean + 318.3 s) overflows.
    let d = (1e6f64).ln() - (100f64).ln();
    let s = (0.25 * d * d * 1.5).sqrt();
    let t = (std::f64::consts::PI * 0.499).tan();
    assert!((7.0 + 318.0 * s).exp().is_infinite() && t > 318.0);
    let err = est.quantile(1, &[1.0], 0.999).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotFinite {
                field: "quantile",
                ..
            }
        ),
        "{err:?}"
    );
    // The point prediction is fine: the median exp(mean) = 1e4.
    let p = est.predict(1, &[1.0]).unwrap().unwrap();
    assert!((p.mean - 1e4).abs() < 1e-6, "{p:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The interval quantile and the CDF agree on the tail probability, relative to the smaller
    /// tail, from 1e-3 to 1e300 degrees of freedom and tails down to 1e-300 (above 1e7 degrees of
    /// freedom the quantile used to be the normal one, 4% off at p = 1e-300).
    #[test]
    fn t_quantile_and_t_cdf_agree_on_the_tail(
        log_dof in -3.0f64..300.0,
        depth in 0.0f64..1.0,
        upper in any::<bool>(),
    ) {
        // Upper tails below 1.1e-16 would round p to 1: they span 1e-16..0.5 instead.
        let log_tail = if upper { -0.302 - depth * 15.6 } else { -0.302 - depth * 299.6 };
        let (dof, tail) = (10f64.powf(log_dof), 10f64.powf(log_tail));
        let p = if upper { 1.0 - tail } else { tail };
        // The tail the quantile was actually asked for (1 - p rounds).
        let asked = if upper { 1.0 - p } else { p };
        match t_quantile(p, dof) {
            Ok(t) => {
                prop_assert!(t.is_finite() && (t > 0.0) == upper, "{t}");
                let back = t_cdf(-t.abs(), dof).unwrap();
                prop_assert!((back / asked - 1.0).abs() < 2e-12, "dof {dof:e} p {p:e}: {back:e}");
            }
            // Only where the quantile is beyond the largest double: P(T < -MAX) > tail.
            Err(Error::NotFinite { .. }) => {
                prop_assert!(t_cdf(-f64::MAX, dof).unwrap() > 0.5 * asked, "dof {dof:e} p {p:e}");
            }
            Err(e) => prop_assert!(false, "dof {dof:e} p {p:e}: {e}"),
        }
    }
}

/// A restored estimator that validates keeps learning: the check bounds `rss + |z|^2`, not just
/// the RSS (a forged `z` of 1e300 with a small RSS used to pass and then refuse every update).
#[test]
fn a_validated_estimator_keeps_learning() {
    let mut est = RuntimeEstimator::new(EstimatorConfig::new(1)).unwrap();
    for k in 0..5 {
        est.observe(7, &[1.0], 10.0 + f64::from(k)).unwrap();
    }
    let mut v = serde_json::to_value(&est).unwrap();
    v["classes"]["7"]["rls"]["z"] = serde_json::json!([1e300]);
    let forged: RuntimeEstimator = serde_json::from_value(v).unwrap();
    assert!(forged.validate().is_err());
    // The largest z validate admits still learns: sqrt of the bound, less the RSS.
    let json = serde_json::to_value(&est).unwrap();
    let rss = json["classes"]["7"]["rls"]["rss"].as_f64().unwrap();
    let bound = 18_446_744_073_709_551_616.0 * 1e140 * 1e140;
    let mut v = json.clone();
    v["classes"]["7"]["rls"]["z"] = serde_json::json!([((bound - rss) * 0.999).sqrt()]);
    let mut edge: RuntimeEstimator = serde_json::from_value(v).unwrap();
    edge.validate().unwrap();
    for _ in 0..10 {
        edge.observe(7, &[1.0], 10.0).unwrap();
    }
    edge.validate().unwrap();
}
