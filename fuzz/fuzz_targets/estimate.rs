//! Arbitrary bytes as sequences of operations on runtime estimators: a new estimator with an
//! arbitrary (possibly invalid) configuration, observations with arbitrary f64 bits (NaN,
//! infinities, huge values), predictions, quantiles and intervals, serde round trips followed by
//! `validate`, and the same on a raw RLS model. Checked here:
//! - no panic;
//! - a failing call leaves the model exactly as it was (compared with a clone taken before);
//! - an Ok prediction is finite (mean >= 0 from the estimator, std_error >= 0, dof > 0), its
//!   interval is ordered and contains the mean (for a non-log target);
//! - a JSON round trip gives an equal model that validates;
//! - a mutated JSON document either fails to parse, fails `validate`, or gives a model whose
//!   calls do not panic.
//!
//! And demand forecasting on arbitrary series: Holt–Winters (every seasonality, plain or damped
//! trend, fitted or arbitrary fixed parameters), AR(p) fits, order selection and psi-weights,
//! the metrics and the burst helper. Checked: no panic; an Ok forecast has `h` finite values with
//! `lower <= mean <= upper` and `sd >= 0`; fitted parameters lie in their ranges; an Ok metric
//! is finite and `>= 0`; an Ok burst is finite, `>= 0` and covers the quantile.
#![no_main]

use agentsched::estimate::{
    ArModel, Criterion, EstimatorConfig, Forecast, Guarantee, HoltWinters, HwConfig, HwParams,
    PHI_RANGE, Prediction, Rls, RlsConfig, RuntimeEstimator, burst_for, mae, mape, mse,
};
use libfuzzer_sys::fuzz_target;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn f64(&mut self) -> f64 {
        match self.u8() {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 1e300,
            4 => -1e300,
            5 => 1e-300,
            6 => 0.0,
            7 => {
                let mut b = [0u8; 8];
                for x in &mut b {
                    *x = self.u8();
                }
                f64::from_le_bytes(b)
            }
            b => f64::from(b) / 16.0 - 4.0,
        }
    }

    fn empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn check_prediction(p: &Prediction, from_estimator: bool) {
    assert!(p.mean.is_finite() && p.std_error.is_finite(), "{p:?}");
    assert!(p.std_error >= 0.0 && p.dof > 0.0, "{p:?}");
    if from_estimator {
        assert!(p.mean >= 0.0, "{p:?}");
    }
    if let Ok((lo, hi)) = p.interval(0.9) {
        assert!(lo <= hi, "{p:?}");
    }
}

fn features(b: &mut Bytes, d: usize) -> Vec<f64> {
    // Sometimes the wrong length.
    let n = if b.u8() % 16 == 0 { d + 1 } else { d };
    (0..n).map(|_| b.f64()).collect()
}

fn estimator_ops(b: &mut Bytes) {
    let d = usize::from(b.u8() % 5);
    let mut cfg = EstimatorConfig::new(d);
    if b.u8() % 2 == 0 {
        cfg.rls.forgetting = b.f64();
        cfg.rls.ridge = b.f64();
        cfg.mean_weight = b.f64();
        cfg.min_samples = u64::from(b.u8() % 12);
        cfg.log_target = b.u8() % 2 == 0;
    }
    let Ok(mut est) = RuntimeEstimator::new(cfg) else {
        return;
    };
    while !b.empty() {
        match b.u8() % 5 {
            0 | 1 => {
                let class = u32::from(b.u8() % 4);
                let x = features(b, d);
                let y = b.f64();
                let before = est.clone();
                if est.observe(class, &x, y).is_err() {
                    assert_eq!(est, before);
                }
            }
            2 => {
                let class = u32::from(b.u8() % 5);
                let x = features(b, d);
                let before = est.clone();
                if let Ok(Some(p)) = est.predict(class, &x) {
                    check_prediction(&p, true);
                    let q = b.f64();
                    let _ = p.quantile(q);
                    if let Ok(Some((lo, hi))) = est.interval(class, &x, 0.8) {
                        assert!(lo <= hi && lo >= 0.0, "{lo} {hi}");
                        if !est.config().log_target {
                            assert!(lo <= p.mean + 1e-9 * p.mean.abs() && p.mean <= hi + 1e-9 * hi.abs() || p.mean == 0.0);
                        }
                    }
                }
                assert_eq!(est, before);
            }
            3 => {
                let json = serde_json::to_string(&est).unwrap();
                let back: RuntimeEstimator = serde_json::from_str(&json).unwrap();
                back.validate().unwrap();
                assert_eq!(back, est);
            }
            _ => {
                // A corrupted snapshot: flip one byte of the JSON.
                let mut json = serde_json::to_vec(&est).unwrap();
                if !json.is_empty() {
                    let i = usize::from(b.u8()) * 7 % json.len();
                    json[i] = b.u8();
                }
                if let Ok(mut m) = serde_json::from_slice::<RuntimeEstimator>(&json) {
                    if m.validate().is_ok() {
                        let x = vec![1.0; d];
                        let _ = m.predict(0, &x);
                        let _ = m.observe(0, &x, 1.0);
                    }
                }
            }
        }
    }
}

fn rls_ops(b: &mut Bytes) {
    let d = usize::from(b.u8() % 5);
    let cfg = RlsConfig {
        features: d,
        forgetting: if b.u8() % 2 == 0 { 1.0 } else { b.f64() },
        ridge: b.f64(),
    };
    let Ok(mut rls) = Rls::new(cfg) else {
        return;
    };
    while !b.empty() {
        match b.u8() % 3 {
            0 => {
                let x = features(b, d);
                let y = b.f64();
                let before = rls.clone();
                if rls.update(&x, y).is_err() {
                    assert_eq!(rls, before);
                }
            }
            1 => {
                let x = features(b, d);
                if let Ok(p) = rls.predict(&x) {
                    check_prediction(&p, false);
                }
                if let Ok(t) = rls.coefficients() {
                    assert!(t.iter().all(|v| v.is_finite()));
                }
            }
            _ => {
                let json = serde_json::to_string(&rls).unwrap();
                let back: Rls = serde_json::from_str(&json).unwrap();
                back.validate().unwrap();
                assert_eq!(back, rls);
            }
        }
    }
}

fn check_forecast(f: &Forecast, h: usize) {
    assert_eq!(f.mean.len(), h);
    assert!(f.lower.len() == h && f.upper.len() == h && f.sd.len() == h);
    for j in 0..h {
        assert!(f.mean[j].is_finite() && f.sd[j].is_finite() && f.sd[j] >= 0.0, "{f:?}");
        assert!(f.lower[j] <= f.mean[j] && f.mean[j] <= f.upper[j], "{f:?}");
    }
}

fn burst(b: &mut Bytes, f: &Forecast) {
    let private = b.f64();
    let level = b.f64();
    let unit = if b.u8() % 2 == 0 { None } else { Some(b.f64()) };
    let guarantee = if b.u8() % 2 == 0 {
        Guarantee::PerStep
    } else {
        Guarantee::Window
    };
    if let Ok(plan) = burst_for(f, private, level, guarantee, unit) {
        for (&x, &q) in plan.per_step.iter().zip(&plan.quantile_used) {
            assert!(x.is_finite() && x >= 0.0, "{plan:?}");
            assert!(private + x >= q, "{private} + {x} < {q}");
        }
    }
}

fn forecast_ops(b: &mut Bytes) {
    let n = usize::from(b.u8() % 64);
    let series: Vec<f64> = (0..n).map(|_| b.f64()).collect();
    let h = usize::from(b.u8() % 40);
    let level = if b.u8() % 4 == 0 { b.f64() } else { 0.9 };
    match b.u8() % 3 {
        0 => {
            let period = usize::from(b.u8() % 8);
            let mut cfg = match b.u8() % 3 {
                0 => HwConfig::holt(),
                1 => HwConfig::additive(period),
                _ => HwConfig::multiplicative(period),
            };
            cfg = cfg.with_trend(b.u8() % 3 != 0).with_damped(b.u8() % 2 == 0);
            if b.u8() % 3 == 0 {
                let p = HwParams::new(b.f64(), b.f64(), b.f64()).with_phi(b.f64());
                cfg = cfg.with_params(p);
            }
            // Small budgets keep an execution fast; the limits are what is fuzzed.
            cfg.max_evals = usize::from(b.u8() % 40);
            cfg.paths = usize::from(b.u8() % 64);
            let Ok(model) = HoltWinters::fit(&series, &cfg) else {
                return;
            };
            let p = model.params();
            for v in [p.alpha, p.beta, p.gamma, p.phi] {
                assert!((0.0..=1.0).contains(&v), "{p:?}");
            }
            if cfg.damped && cfg.params.is_none() {
                assert!((PHI_RANGE.0..=PHI_RANGE.1).contains(&p.phi), "{p:?}");
            }
            assert_eq!(model.fitted().len(), series.len());
            if let Ok(f) = model.forecast(h, level) {
                check_forecast(&f, h);
                burst(b, &f);
            }
        }
        1 => {
            let order = usize::from(b.u8() % 8);
            let fit = if b.u8() % 2 == 0 {
                ArModel::fit(&series, order)
            } else {
                ArModel::select(&series, order, Criterion::Bic)
            };
            let Ok(model) = fit else {
                return;
            };
            if let Ok(psi) = model.psi_weights(h) {
                assert_eq!(psi.len(), h);
            }
            if let Ok(f) = model.forecast(h, level) {
                check_forecast(&f, h);
                burst(b, &f);
            }
        }
        _ => {
            let k = series.len() / 2;
            let (a, p) = series.split_at(k);
            let p = &p[..k.min(p.len())];
            for v in [mse(a, p), mae(a, p), mape(a, p)].into_iter().flatten() {
                assert!(v.is_finite() && v >= 0.0, "{v}");
            }
            if let Ok(f) = Forecast::from_normal(a.to_vec(), p.iter().map(|v| v.abs()).collect(), 0.9)
            {
                burst(b, &f);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    match b.u8() % 3 {
        0 => estimator_ops(&mut b),
        1 => rls_ops(&mut b),
        _ => forecast_ops(&mut b),
    }
});
