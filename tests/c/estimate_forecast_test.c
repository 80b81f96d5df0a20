/*
 * Demand forecasting through the C ABI, tested from C.
 *
 * Oracles recomputed here: the Holt-Winters recursions (FPP's equations and "simple" initial
 * states, additive and multiplicative, without, with and with a damped trend) run with the parameters the
 * library returns reproduce its SSE and its point forecast; the AR(p) forecast recursion run
 * with the returned coefficients reproduces its forecast, and the returned coefficients solve
 * the least-squares normal equations (the residuals are orthogonal to every regressor); the
 * metrics and the burst capacity are recomputed by hand (burst = max(0, mean + z sd - private),
 * z(0.99) = 2.326347874040841 from tables). Intervals are symmetric about the mean for the
 * normal models and nested in the level. Hostile arguments: NULL for every pointer, NULL arrays
 * with a non-zero length, unknown enum values, too-short series, non-positive data for the
 * multiplicative model, a constant series for AR (singular), NaN, bad levels and service levels,
 * h = 0, too-small buffers (the size needed is reported and nothing else is written); a failed
 * call leaves its outputs untouched.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/estimate_forecast_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
 */
#include "agentsched.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define N 96
#define M 12
#define H 24

static int close_to(double a, double b, double tol) {
  return fabs(a - b) <= tol * (1.0 + fabs(a) + fabs(b));
}

/* A seasonal series with trend and a deterministic wiggle, strictly positive. */
static void make_series(double *y, size_t n) {
  size_t t;
  for (t = 0; t < n; t++) {
    double season = (double)((t * 7) % M) - 5.5;
    double wiggle = (double)rnd(1000) / 250.0;
    y[t] = 100.0 + 0.8 * (double)t + 3.0 * season + wiggle;
  }
}

/* The Holt-Winters recursion of the library's documentation; returns the SSE and writes h
 * point forecasts. `trend` is an AGENTSCHED_TREND_* value; only a damped trend uses p.phi. */
static double hw_oracle(const double *y, size_t n, size_t m, uint32_t seas, int trend,
                        agentsched_hw_params p, double *fc, size_t h) {
  double s[64], l, b = 0.0, sse = 0.0, m1 = 0.0, m2 = 0.0, phi_k = 0.0, pow_k = 1.0;
  const double phi = trend == AGENTSCHED_TREND_DAMPED ? p.phi : 1.0;
  size_t t, k;
  if (seas == AGENTSCHED_SEASONALITY_NONE) {
    l = y[0];
    if (trend) b = y[1] - y[0];
    m = 1;
    s[0] = 0.0;
  } else {
    for (k = 0; k < m; k++) {
      m1 += y[k] / (double)m;
      m2 += y[m + k] / (double)m;
    }
    l = m1;
    if (trend) b = (m2 - m1) / (double)m;
    for (k = 0; k < m; k++) s[k] = seas == AGENTSCHED_SEASONALITY_ADDITIVE ? y[k] - m1 : y[k] / m1;
  }
  for (t = 0; t < n; t++) {
    double lp = l + phi * b, sp = s[t % m], yhat, nl;
    if (seas == AGENTSCHED_SEASONALITY_NONE) {
      yhat = lp;
      nl = p.alpha * y[t] + (1 - p.alpha) * lp;
    } else if (seas == AGENTSCHED_SEASONALITY_ADDITIVE) {
      yhat = lp + sp;
      nl = p.alpha * (y[t] - sp) + (1 - p.alpha) * lp;
      s[t % m] = p.gamma * (y[t] - lp) + (1 - p.gamma) * sp;
    } else {
      yhat = lp * sp;
      nl = p.alpha * (y[t] / sp) + (1 - p.alpha) * lp;
      s[t % m] = p.gamma * (y[t] / lp) + (1 - p.gamma) * sp;
    }
    sse += (y[t] - yhat) * (y[t] - yhat);
    if (trend) b = p.beta * (nl - l) + (1 - p.beta) * phi * b;
    l = nl;
  }
  for (k = 1; k <= h; k++) {
    double lp, sp = s[(n + k - 1) % m];
    pow_k *= phi;
    phi_k += pow_k; /* phi + phi^2 + ... + phi^k */
    lp = l + (trend == AGENTSCHED_TREND_DAMPED ? phi_k : (double)k) * b;
    fc[k - 1] = seas == AGENTSCHED_SEASONALITY_NONE       ? lp
                : seas == AGENTSCHED_SEASONALITY_ADDITIVE ? lp + sp
                                                          : lp * sp;
  }
  return sse;
}

static void holt_winters(void) {
  double y[N], mean[H], lower[H], upper[H], fc[H], sse = -1, sse2;
  agentsched_hw_params p;
  size_t n = 0, h, i;
  const uint32_t kinds[3] = {AGENTSCHED_SEASONALITY_NONE, AGENTSCHED_SEASONALITY_ADDITIVE,
                             AGENTSCHED_SEASONALITY_MULTIPLICATIVE};
  int trend, k;
  make_series(y, N);
  for (k = 0; k < 3; k++) {
    for (trend = 0; trend <= 2; trend++) {
      EXPECT(agentsched_holt_winters_forecast(y, N, M, kinds[k], (uint32_t)trend, NULL, H, 0.9, &p,
                                              &sse, mean, lower, upper, H, &n),
             OK);
      CHECK(n == H);
      CHECK(p.alpha >= 0 && p.alpha <= 1 && p.beta >= 0 && p.beta <= 1 && p.gamma >= 0 &&
            p.gamma <= 1);
      if (!trend) CHECK(p.beta == 0.0);
      if (trend == AGENTSCHED_TREND_DAMPED)
        CHECK(p.phi >= 0.8 && p.phi <= 0.98);
      else
        CHECK(p.phi == 1.0);
      if (kinds[k] == AGENTSCHED_SEASONALITY_NONE) CHECK(p.gamma == 0.0);
      sse2 = hw_oracle(y, N, M, kinds[k], trend, p, fc, H);
      CHECK(close_to(sse, sse2, 1e-9));
      for (h = 0; h < H; h++) {
        CHECK(close_to(mean[h], fc[h], 1e-9));
        CHECK(lower[h] <= mean[h] && mean[h] <= upper[h]);
        if (kinds[k] != AGENTSCHED_SEASONALITY_MULTIPLICATIVE)
          CHECK(close_to(upper[h] - mean[h], mean[h] - lower[h], 1e-9));
      }
      /* Fixed parameters are used as given; the fit is no worse than them. */
      {
        agentsched_hw_params fixed = {0.3, 0.1, 0.2, 0.9}, got;
        double sse_fixed = 0;
        EXPECT(agentsched_holt_winters_forecast(y, N, M, kinds[k], (uint32_t)trend, &fixed, H,
                                                0.9, &got, &sse_fixed, mean, NULL, NULL, H, &n),
               OK);
        CHECK(got.alpha == 0.3);
        CHECK(got.phi == (trend == AGENTSCHED_TREND_DAMPED ? 0.9 : 1.0));
        CHECK(close_to(sse_fixed, hw_oracle(y, N, M, kinds[k], trend, fixed, fc, H), 1e-9));
        for (h = 0; h < H; h++) CHECK(close_to(mean[h], fc[h], 1e-9));
        CHECK(sse <= sse_fixed * (1 + 1e-12));
      }
    }
  }
  /* A wider level nests the narrower interval. */
  {
    double lo2[H], up2[H];
    EXPECT(agentsched_holt_winters_forecast(y, N, M, AGENTSCHED_SEASONALITY_ADDITIVE, 1, NULL, H,
                                            0.5, NULL, NULL, mean, lo2, up2, H, &n),
           OK);
    EXPECT(agentsched_holt_winters_forecast(y, N, M, AGENTSCHED_SEASONALITY_ADDITIVE, 1, NULL, H,
                                            0.95, NULL, NULL, mean, lower, upper, H, &n),
           OK);
    for (h = 0; h < H; h++) CHECK(lower[h] < lo2[h] && up2[h] < upper[h]);
  }

  /* Hostile inputs: outputs stay as they were. */
  memset(mean, SENTINEL, sizeof mean);
  memset(lower, SENTINEL, sizeof lower);
  memset(&p, SENTINEL, sizeof p);
  n = 7;
  EXPECT(agentsched_holt_winters_forecast(NULL, N, M, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         NULLP);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, H, 0.9, &p, NULL, NULL, lower,
                                          NULL, H, &n),
         NULLP);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, NULL),
         NULLP);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 3, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         INVAL);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 3, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         INVAL);
  EXPECT(agentsched_holt_winters_forecast(y, 2 * M - 1, M, 1, 1, NULL, H, 0.9, &p, NULL, mean,
                                          lower, NULL, H, &n),
         AGENTSCHED_STATUS_TOO_FEW_VALUES);
  EXPECT(agentsched_holt_winters_forecast(y, 0, M, 0, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         AGENTSCHED_STATUS_TOO_FEW_VALUES);
  EXPECT(agentsched_holt_winters_forecast(y, N, 1, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, 0, 0.9, &p, NULL, mean, lower,
                                          NULL, H, &n),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, H, 1.0, &p, NULL, mean, lower,
                                          NULL, H, &n),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, H, NAN, &p, NULL, mean, lower,
                                          NULL, H, &n),
         AGENTSCHED_STATUS_INVALID_NUMBER);
  {
    agentsched_hw_params bad = {1.5, 0.1, 0.1, 1.0}, bad_phi = {0.3, 0.1, 0.1, 1.5};
    EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, &bad, H, 0.9, &p, NULL, mean, lower,
                                            NULL, H, &n),
           AGENTSCHED_STATUS_INVALID_CONFIG);
    EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, AGENTSCHED_TREND_DAMPED, &bad_phi, H, 0.9,
                                            &p, NULL, mean, lower, NULL, H, &n),
           AGENTSCHED_STATUS_INVALID_CONFIG);
    bad_phi.phi = NAN;
    EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, AGENTSCHED_TREND_DAMPED, &bad_phi, H, 0.9,
                                            &p, NULL, mean, lower, NULL, H, &n),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  {
    double z[N];
    memcpy(z, y, sizeof z);
    z[40] = 0.0;
    EXPECT(agentsched_holt_winters_forecast(z, N, M, AGENTSCHED_SEASONALITY_MULTIPLICATIVE, 1,
                                            NULL, H, 0.9, &p, NULL, mean, lower, NULL, H, &n),
           INVAL);
    z[40] = NAN;
    EXPECT(agentsched_holt_winters_forecast(z, N, M, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                            NULL, H, &n),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  CHECK(n == 7);
  EXPECT(agentsched_holt_winters_forecast(y, N, M, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                          NULL, H - 1, &n),
         TOO_SMALL);
  CHECK(n == H);
  CHECK(all_bytes(mean, sizeof mean, SENTINEL) && all_bytes(lower, sizeof lower, SENTINEL));
  CHECK(all_bytes(&p, sizeof p, SENTINEL));
  /* The buffer is checked before any work: a too-small buffer wins over a bad series, and a
   * huge multiplicative horizon with a small buffer does not simulate anything. */
  {
    double z[N];
    memcpy(z, y, sizeof z);
    z[3] = NAN;
    n = 7;
    EXPECT(agentsched_holt_winters_forecast(z, N, M, 1, 1, NULL, H, 0.9, &p, NULL, mean, lower,
                                            NULL, H - 1, &n),
           TOO_SMALL);
    CHECK(n == H);
    n = 7;
    EXPECT(agentsched_holt_winters_forecast(y, N, M, AGENTSCHED_SEASONALITY_MULTIPLICATIVE, 1,
                                            NULL, 2097, 0.9, &p, NULL, mean, lower, NULL, H, &n),
           TOO_SMALL);
    CHECK(n == 2097);
    /* 2,000 paths x 2,098 steps exceeds the 2^22 simulated values. */
    n = 7;
    EXPECT(agentsched_holt_winters_forecast(y, N, M, AGENTSCHED_SEASONALITY_MULTIPLICATIVE, 1,
                                            NULL, 2098, 0.9, &p, NULL, mean, lower, NULL, H, &n),
           AGENTSCHED_STATUS_INVALID_CONFIG);
    CHECK(n == 7);
    CHECK(all_bytes(mean, sizeof mean, SENTINEL) && all_bytes(&p, sizeof p, SENTINEL));
  }
  (void)i;
}

static void ar(void) {
  double y[400], coef[5], sigma2 = -1, mean[12], lower[12], upper[12], fc[12], hist[420];
  size_t n = 0, t, h, p, j, k;
  /* AR(2): y = 1 + 0.5 y[t-1] - 0.3 y[t-2] + noise (uniform, centred). */
  y[0] = 1.0;
  y[1] = 1.5;
  for (t = 2; t < 400; t++)
    y[t] = 1.0 + 0.5 * y[t - 1] - 0.3 * y[t - 2] + ((double)rnd(2001) - 1000.0) / 1000.0;
  for (p = 1; p <= 4; p++) {
    EXPECT(agentsched_ar_forecast(y, 400, p, 12, 0.9, coef, &sigma2, mean, lower, upper, 12, &n),
           OK);
    CHECK(n == 12 && sigma2 > 0);
    /* The normal equations: residuals orthogonal to the intercept and each lag. */
    for (k = 0; k <= p; k++) {
      double dot = 0, scale = 0;
      for (t = p; t < 400; t++) {
        double e = y[t] - coef[0], x = k == 0 ? 1.0 : y[t - k];
        for (j = 1; j <= p; j++) e -= coef[j] * y[t - j];
        dot += e * x;
        scale += fabs(x);
      }
      CHECK(fabs(dot) <= 1e-8 * scale);
    }
    /* The forecast recursion. */
    memcpy(hist, y, sizeof y);
    for (h = 0; h < 12; h++) {
      double v = coef[0];
      for (j = 1; j <= p; j++) v += coef[j] * hist[400 + h - j];
      hist[400 + h] = v;
      fc[h] = v;
      CHECK(close_to(mean[h], fc[h], 1e-10));
      CHECK(close_to(upper[h] - mean[h], mean[h] - lower[h], 1e-9) && lower[h] < mean[h]);
      if (h > 0) CHECK(upper[h] - lower[h] >= upper[h - 1] - lower[h - 1] - 1e-12);
    }
    if (p == 2) CHECK(fabs(coef[1] - 0.5) < 0.15 && fabs(coef[2] + 0.3) < 0.15);
  }
  /* Hostile inputs. */
  memset(mean, SENTINEL, sizeof mean);
  memset(coef, SENTINEL, sizeof coef);
  n = 7;
  EXPECT(agentsched_ar_forecast(NULL, 400, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
         NULLP);
  EXPECT(agentsched_ar_forecast(y, 400, 2, 12, 0.9, coef, NULL, NULL, NULL, NULL, 12, &n), NULLP);
  EXPECT(agentsched_ar_forecast(y, 400, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, NULL),
         NULLP);
  EXPECT(agentsched_ar_forecast(y, 5, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
         AGENTSCHED_STATUS_TOO_FEW_VALUES);
  EXPECT(agentsched_ar_forecast(y, 400, 2, 0, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_ar_forecast(y, 400, 2, 12, 0.0, coef, NULL, mean, NULL, NULL, 12, &n),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  {
    double c[30];
    for (t = 0; t < 30; t++) c[t] = 4.0;
    EXPECT(agentsched_ar_forecast(c, 30, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
           AGENTSCHED_STATUS_SINGULAR);
    c[3] = INFINITY;
    EXPECT(agentsched_ar_forecast(c, 30, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  CHECK(n == 7);
  EXPECT(agentsched_ar_forecast(y, 400, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 11, &n),
         TOO_SMALL);
  CHECK(n == 12);
  CHECK(all_bytes(mean, sizeof mean, SENTINEL) && all_bytes(coef, sizeof coef, SENTINEL));
  {
    /* The buffer is checked before the fit: a singular series with a small buffer reports the
     * size needed. */
    double c[30];
    for (t = 0; t < 30; t++) c[t] = 4.0;
    n = 7;
    EXPECT(agentsched_ar_forecast(c, 30, 2, 12, 0.9, coef, NULL, mean, NULL, NULL, 11, &n),
           TOO_SMALL);
    CHECK(n == 12);
    /* Orders above 256 are refused (the fit costs O(n p^2)). */
    n = 7;
    EXPECT(agentsched_ar_forecast(y, 400, 257, 12, 0.9, coef, NULL, mean, NULL, NULL, 12, &n),
           AGENTSCHED_STATUS_INVALID_CONFIG);
    CHECK(n == 7);
    CHECK(all_bytes(mean, sizeof mean, SENTINEL) && all_bytes(coef, sizeof coef, SENTINEL));
  }
}

static void metrics(void) {
  const double a[4] = {1.0, 2.0, 0.0, 4.0}, p[4] = {2.0, 2.0, 1.0, 2.0};
  double v1 = -1, v2 = -1, v3 = -1;
  EXPECT(agentsched_forecast_metrics(a, p, 4, &v1, &v2, &v3), OK);
  CHECK(close_to(v1, 6.0 / 4.0, 1e-15) && close_to(v2, 4.0 / 4.0, 1e-15));
  /* The zero actual is skipped: (100% + 0% + 50%) / 3. */
  CHECK(close_to(v3, 50.0, 1e-13));
  v1 = v2 = v3 = -1;
  EXPECT(agentsched_forecast_metrics(a, NULL, 4, &v1, &v2, &v3), NULLP);
  EXPECT(agentsched_forecast_metrics(a, p, 0, &v1, &v2, &v3), AGENTSCHED_STATUS_TOO_FEW_VALUES);
  {
    const double z[2] = {0.0, 0.0}, bad[2] = {1.0, NAN};
    EXPECT(agentsched_forecast_metrics(z, p, 2, &v1, &v2, &v3), AGENTSCHED_STATUS_INVALID_CONFIG);
    EXPECT(agentsched_forecast_metrics(bad, p, 2, &v1, &v2, NULL),
           AGENTSCHED_STATUS_INVALID_NUMBER);
    CHECK(v1 == -1 && v2 == -1 && v3 == -1);
    /* Without MAPE the all-zero case is fine. */
    EXPECT(agentsched_forecast_metrics(z, p, 2, &v1, NULL, NULL), OK);
    CHECK(close_to(v1, (4.0 + 4.0) / 2.0, 1e-15)); /* p = {2, 2} */
  }
}

static void capacity(void) {
  const double mean[3] = {50.0, 90.0, 130.0}, sd[3] = {10.0, 20.0, 5.0};
  const double z = 2.326347874040841;
  double burst[3], window = -1, want, wmax = 0;
  size_t n = 0, j;
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100.0, 0.99, AGENTSCHED_GUARANTEE_PER_STEP, 0.0,
                                   burst, 3, &n, &window),
         OK);
  CHECK(n == 3);
  for (j = 0; j < 3; j++) {
    want = mean[j] + z * sd[j] - 100.0;
    if (want < 0) want = 0;
    if (want > wmax) wmax = want;
    CHECK(close_to(burst[j], want, 1e-12));
  }
  CHECK(close_to(window, wmax, 1e-12));
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100.0, 0.99, AGENTSCHED_GUARANTEE_PER_STEP, 8.0,
                                   burst, 3, &n, NULL),
         OK);
  CHECK(burst[0] == 0.0 && burst[1] == 40.0 && burst[2] == 48.0);
  {
    double wb[3];
    EXPECT(agentsched_capacity_burst(mean, sd, 3, 100.0, 0.99, AGENTSCHED_GUARANTEE_WINDOW, 0.0,
                                     wb, 3, &n, NULL),
           OK);
    for (j = 0; j < 3; j++) CHECK(wb[j] >= burst[j] - 8.0 && wb[j] >= 0);
    CHECK(wb[1] > mean[1] + z * sd[1] - 100.0);
  }
  memset(burst, SENTINEL, sizeof burst);
  memset(&window, SENTINEL, sizeof window);
  n = 7;
  EXPECT(agentsched_capacity_burst(NULL, sd, 3, 100, 0.99, 0, 0, burst, 3, &n, &window), NULLP);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 0.99, 0, 0, NULL, 3, &n, &window), NULLP);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 0.99, 0, 0, burst, 3, NULL, &window), NULLP);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 0.99, 2, 0, burst, 3, &n, &window), INVAL);
  EXPECT(agentsched_capacity_burst(mean, sd, 0, 100, 0.99, 0, 0, burst, 3, &n, &window),
         AGENTSCHED_STATUS_TOO_FEW_VALUES);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 1.0, 0, 0, burst, 3, &n, &window),
         AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, -1, 0.99, 0, 0, burst, 3, &n, &window),
         AGENTSCHED_STATUS_INVALID_NUMBER);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 0.99, 0, -2, burst, 3, &n, &window),
         AGENTSCHED_STATUS_INVALID_NUMBER);
  {
    const double negsd[3] = {1.0, -1.0, 1.0};
    EXPECT(agentsched_capacity_burst(mean, negsd, 3, 100, 0.99, 0, 0, burst, 3, &n, &window),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  CHECK(n == 7);
  EXPECT(agentsched_capacity_burst(mean, sd, 3, 100, 0.99, 0, 0, burst, 2, &n, &window),
         TOO_SMALL);
  CHECK(n == 3);
  CHECK(all_bytes(burst, sizeof burst, SENTINEL) && all_bytes(&window, sizeof window, SENTINEL));
}

int main(void) {
  holt_winters();
  ar();
  metrics();
  capacity();
  return CHECK_SUMMARY("estimate_forecast_test");
}
