"""Generates statsmodels_reference.json, the reference values of tests/estimate_forecast.rs.

Provenance: statsmodels 0.15.0 (pip install statsmodels), Python 3, on AirPassengers (Box &
Jenkins 1976, series G; monthly international airline passengers 1949-1960, thousands; public
domain, as shipped with R's datasets package), vendored in airpassengers.csv (12 values a line).

Run from this folder:  python3 statsmodels_reference.py > statsmodels_reference.json
"""
import json

import numpy as np
import statsmodels
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.holtwinters import ExponentialSmoothing

y = np.array([float(x) for line in open("airpassengers.csv") for x in line.split(",")])
out = {"statsmodels": statsmodels.__version__, "ar": [], "hw": []}

for p in (1, 2, 4):
    res = AutoReg(y, lags=p, trend="c").fit()
    pred = res.get_prediction(start=len(y), end=len(y) + 11)
    out["ar"].append({
        "p": p,
        "params": list(res.params),          # [const, phi_1, ..., phi_p]
        "sigma2": float(res.sigma2),         # statsmodels: ssr / nobs
        "ssr": float(res.ssr),
        "nobs": int(res.nobs),
        "forecast": list(pred.predicted_mean),
        "forecast_se": list(np.sqrt(pred.var_pred_mean)),
    })



def simple_start(seasonal, damped):
    """The model on FPP's "simple" initial states (statsmodels 0.15 has no "simple" method, so
    they are computed here and passed as known): level = mean of season 1, trend = (mean of
    season 2 - mean of season 1) / m, seasons = season 1 minus / divided by the level."""
    m = 12
    level = y[:m].mean()
    trend = (y[m:2 * m].mean() - level) / m
    seasons = y[:m] - level if seasonal == "add" else y[:m] / level
    return ExponentialSmoothing(y, trend="add", damped_trend=damped, seasonal=seasonal,
                                seasonal_periods=m, initialization_method="known",
                                initial_level=level, initial_trend=trend,
                                initial_seasonal=seasons)


fixed = {"smoothing_level": 0.3, "smoothing_trend": 0.1, "smoothing_seasonal": 0.2}
for seasonal in ("add", "mul"):
    model = simple_start(seasonal, damped=False)
    res = model.fit(**fixed, optimized=False)
    opt = model.fit()  # statsmodels' own optimiser; the initial states stay fixed
    out["hw"].append({
        "seasonal": seasonal,
        "params": fixed,
        "initial_level": float(res.params["initial_level"]),
        "initial_trend": float(res.params["initial_trend"]),
        "initial_seasons": list(res.params["initial_seasons"]),
        "fitted": list(res.fittedvalues),
        "sse": float(res.sse),
        "forecast": list(res.forecast(24)),
        "optimized_sse": float(opt.sse),
        "optimized_params": [float(opt.params[k]) for k in
                             ("smoothing_level", "smoothing_trend", "smoothing_seasonal")],
    })

# Damped trend (Gardner & McKenzie 1985): the same series, initial states and fixed parameters,
# with damping_trend = 0.9; statsmodels' own fit optimises phi as well.
out["hw_damped"] = []
for seasonal in ("add", "mul"):
    model = simple_start(seasonal, damped=True)
    res = model.fit(**fixed, damping_trend=0.9, optimized=False)
    opt = model.fit()
    out["hw_damped"].append({
        "seasonal": seasonal,
        "params": dict(fixed, damping_trend=0.9),
        "fitted": list(res.fittedvalues),
        "sse": float(res.sse),
        "forecast": list(res.forecast(24)),
        "optimized_sse": float(opt.sse),
        "optimized_params": [float(opt.params[k]) for k in
                             ("smoothing_level", "smoothing_trend", "smoothing_seasonal",
                              "damping_trend")],
    })

print(json.dumps(out, indent=1))
