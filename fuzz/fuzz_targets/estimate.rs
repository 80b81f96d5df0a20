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
#![no_main]

use agentsched::estimate::{EstimatorConfig, Prediction, Rls, RlsConfig, RuntimeEstimator};
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

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    if b.u8() % 2 == 0 {
        estimator_ops(&mut b);
    } else {
        rls_ops(&mut b);
    }
});
