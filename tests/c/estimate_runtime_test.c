/*
 * Runtime estimation through the C ABI, tested from C.
 *
 * Oracles recomputed here: a line y = a + b x fitted by the closed-form least-squares formulas
 * (b = Sxy / Sxx, a = mean(y) - b mean(x)) agrees with the RLS coefficients (ridge 0, no
 * forgetting), and the RLS prediction's mean is a + b x0; the predictive standard deviation is
 * sigma * newton_sqrt(1 + 1/n + (x0 - mean x)^2 / Sxx) with sigma^2 = RSS / (n - 2), the textbook
 * simple-regression formula; the interval is symmetric around the mean and the quantile helper
 * reproduces its ends. The estimator walks its fallback ladder (nothing, class mean, global mean,
 * regression) and its regression on a noiseless line reproduces the line. Hostile arguments:
 * NULL for every pointer, NULL arrays with non-zero lengths, wrong feature counts, NaN / infinite
 * / negative values, huge values whose update would overflow, levels and probabilities outside
 * (0, 1), bad configurations, too-small buffers; a failed call leaves its outputs (and the
 * model: same coefficients afterwards) untouched.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/estimate_runtime_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
 */
#include "agentsched.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define INVNUM AGENTSCHED_STATUS_INVALID_NUMBER
#define INVCFG AGENTSCHED_STATUS_INVALID_CONFIG

static double close_to(double a, double b, double tol) {
  return fabs(a - b) <= tol * (1.0 + fabs(a) + fabs(b));
}

/* Newton's square root: the shared link has no libm. */
static double newton_sqrt(double v) {
  double r = v > 1.0 ? v : 1.0;
  int i;
  if (v <= 0.0) return 0.0;
  for (i = 0; i < 200; i++) r = 0.5 * (r + v / r);
  return r;
}

static double unit(void) { return (double)rnd(1000000) / 1e6; }

static void line_oracle(void) {
  enum { N = 50 };
  double xs[N], ys[N], sx = 0, sy = 0;
  int i;
  agentsched_rls *r = NULL;
  EXPECT(agentsched_rls_new(2, 1.0, 0.0, &r), OK);
  CHECK(r != NULL);
  for (i = 0; i < N; i++) {
    double x[2];
    xs[i] = 10.0 * unit();
    ys[i] = 1.5 - 0.75 * xs[i] + (unit() - 0.5);
    x[0] = 1.0;
    x[1] = xs[i];
    EXPECT(agentsched_rls_update(r, x, 2, ys[i]), OK);
    sx += xs[i];
    sy += ys[i];
  }
  {
    double mx = sx / N, my = sy / N, sxx = 0, sxy = 0, a, b, rss = 0, sigma, x0 = 7.0;
    double coef[2], want_sd, q;
    size_t len = 0;
    agentsched_runtime_prediction p;
    double x[2] = {1.0, 7.0};
    for (i = 0; i < N; i++) {
      sxx += (xs[i] - mx) * (xs[i] - mx);
      sxy += (xs[i] - mx) * (ys[i] - my);
    }
    b = sxy / sxx;
    a = my - b * mx;
    for (i = 0; i < N; i++) rss += (ys[i] - a - b * xs[i]) * (ys[i] - a - b * xs[i]);
    sigma = newton_sqrt(rss / (N - 2));
    EXPECT(agentsched_rls_coefficients(r, coef, 2, &len), OK);
    CHECK(len == 2);
    CHECK(close_to(coef[0], a, 1e-9));
    CHECK(close_to(coef[1], b, 1e-9));
    EXPECT(agentsched_rls_predict(r, x, 2, 0.95, &p), OK);
    CHECK(p.has_value);
    CHECK(p.source == AGENTSCHED_PREDICTION_SOURCE_REGRESSION);
    CHECK(close_to(p.mean, a + b * x0, 1e-9));
    want_sd = sigma * newton_sqrt(1.0 + 1.0 / N + (x0 - mx) * (x0 - mx) / sxx);
    CHECK(close_to(p.std_error, want_sd, 1e-9));
    CHECK(close_to(p.dof, N - 2, 1e-12));
    CHECK(close_to(p.mean - p.lo, p.hi - p.mean, 1e-12));
    EXPECT(agentsched_prediction_quantile(&p, 0.975, &q), OK);
    CHECK(close_to(q, p.hi, 1e-12));
    EXPECT(agentsched_prediction_quantile(&p, 0.025, &q), OK);
    CHECK(close_to(q, p.lo, 1e-12));
    /* t_{0.975, 48} = 2.010635 (tables). */
    CHECK(fabs((p.hi - p.mean) / p.std_error - 2.010635) < 1e-5);

    /* Hostile calls on the RLS handle: nothing written, model unchanged. */
    {
      agentsched_runtime_prediction s;
      double c2[2], qq = 42.0, big[2] = {1.0, 1.0}, nan2[2] = {1.0, NAN};
      size_t l2 = 7;
      char msg[256];
      size_t mlen = 0;
      memset(&s, SENTINEL, sizeof s);
      memset(c2, SENTINEL, sizeof c2);
      EXPECT(agentsched_rls_update(NULL, x, 2, 1.0), NULLP);
      EXPECT(agentsched_rls_update(r, NULL, 2, 1.0), NULLP);
      EXPECT(agentsched_rls_update(r, x, 1, 1.0), DIMS_BAD);
      EXPECT(agentsched_rls_update(r, x, 3, 1.0), DIMS_BAD);
      EXPECT(agentsched_rls_update(r, nan2, 2, 1.0), INVNUM);
      EXPECT(agentsched_rls_update(r, x, 2, INFINITY), INVNUM);
      /* A residual whose square overflows: refused, nothing changes. */
      EXPECT(agentsched_rls_update(r, big, 2, 1e300), INVNUM);
      EXPECT(agentsched_rls_last_error(r, msg, sizeof msg, &mlen), OK);
      CHECK(mlen > 0 && strlen(msg) == mlen);
      EXPECT(agentsched_rls_last_error(r, msg, 1, &mlen), TOO_SMALL);
      EXPECT(agentsched_rls_last_error(NULL, msg, sizeof msg, &mlen), NULLP);
      EXPECT(agentsched_rls_last_error(r, msg, sizeof msg, NULL), NULLP);
      EXPECT(agentsched_rls_predict(r, x, 2, 1.0, &s), INVCFG);
      EXPECT(agentsched_rls_predict(r, x, 2, 0.0, &s), INVCFG);
      EXPECT(agentsched_rls_predict(r, x, 2, NAN, &s), INVNUM);
      EXPECT(agentsched_rls_predict(r, x, 1, 0.9, &s), DIMS_BAD);
      EXPECT(agentsched_rls_predict(r, NULL, 2, 0.9, &s), NULLP);
      EXPECT(agentsched_rls_predict(r, x, 2, 0.9, NULL), NULLP);
      EXPECT(agentsched_rls_predict(NULL, x, 2, 0.9, &s), NULLP);
      CHECK(all_bytes(&s, sizeof s, SENTINEL));
      EXPECT(agentsched_rls_coefficients(r, c2, 1, &l2), TOO_SMALL);
      CHECK(l2 == 2);
      EXPECT(agentsched_rls_coefficients(r, NULL, 0, &l2), TOO_SMALL);
      EXPECT(agentsched_rls_coefficients(r, c2, 2, NULL), NULLP);
      EXPECT(agentsched_rls_coefficients(NULL, c2, 2, &l2), NULLP);
      CHECK(all_bytes(c2, sizeof c2, SENTINEL));
      EXPECT(agentsched_rls_coefficients(r, c2, 2, &l2), OK);
      CHECK(c2[0] == coef[0] && c2[1] == coef[1]);
      EXPECT(agentsched_prediction_quantile(&p, 1.0, &qq), INVCFG);
      EXPECT(agentsched_prediction_quantile(&p, NAN, &qq), INVNUM);
      EXPECT(agentsched_prediction_quantile(NULL, 0.5, &qq), NULLP);
      EXPECT(agentsched_prediction_quantile(&p, 0.5, NULL), NULLP);
      CHECK(qq == 42.0);
      /* A prediction that is not a distribution, or whose quantile overflows: refused.
       * (Regression: dof = -INFINITY was taken for a normal, and mean = std_error = 1e308
       * returned OK with +inf.) */
      s = p;
      s.dof = -INFINITY;
      EXPECT(agentsched_prediction_quantile(&s, 0.9, &qq), INVNUM);
      s.dof = 0.0;
      EXPECT(agentsched_prediction_quantile(&s, 0.9, &qq), INVNUM);
      s.dof = -1.0;
      EXPECT(agentsched_prediction_quantile(&s, 0.9, &qq), INVNUM);
      s.dof = NAN;
      EXPECT(agentsched_prediction_quantile(&s, 0.9, &qq), INVNUM);
      s.dof = INFINITY;
      s.mean = 1e308;
      s.std_error = 1e308;
      EXPECT(agentsched_prediction_quantile(&s, 0.9, &qq), INVNUM);
      CHECK(qq == 42.0);
      /* +INFINITY degrees of freedom is a normal: z_{0.975} = 1.959964 (tables). */
      s.mean = 1.0;
      s.std_error = 2.0;
      EXPECT(agentsched_prediction_quantile(&s, 0.975, &qq), OK);
      CHECK(fabs(qq - (1.0 + 2.0 * 1.959964)) < 1e-5);
      qq = 42.0;
    }
  }
  agentsched_rls_free(r);
  agentsched_rls_free(NULL);
}

static void rls_degenerate(void) {
  agentsched_rls *r = (agentsched_rls *)0x1;
  agentsched_rls *ok = NULL;
  double coef[2];
  size_t len = 0;
  double x[2] = {1.0, 1.0};
  agentsched_runtime_prediction p;
  EXPECT(agentsched_rls_new(0, 1.0, 0.0, &r), INVCFG);
  EXPECT(agentsched_rls_new(2, 0.0, 0.0, &r), INVCFG);
  EXPECT(agentsched_rls_new(2, 1.5, 0.0, &r), INVCFG);
  EXPECT(agentsched_rls_new(2, NAN, 0.0, &r), INVNUM);
  EXPECT(agentsched_rls_new(2, 1.0, -1.0, &r), INVNUM);
  EXPECT(agentsched_rls_new(2, 1.0, 0.0, NULL), NULLP);
  CHECK(r == (agentsched_rls *)0x1);
  EXPECT(agentsched_rls_new(2, 1.0, 0.0, &ok), OK);
  /* Without ridge, one direction seen only: singular. */
  EXPECT(agentsched_rls_coefficients(ok, coef, 2, &len), AGENTSCHED_STATUS_SINGULAR);
  EXPECT(agentsched_rls_update(ok, x, 2, 2.0), OK);
  EXPECT(agentsched_rls_update(ok, x, 2, 2.0), OK);
  EXPECT(agentsched_rls_predict(ok, x, 2, 0.9, &p), AGENTSCHED_STATUS_SINGULAR);
  x[1] = 2.0;
  EXPECT(agentsched_rls_update(ok, x, 2, 3.0), OK);
  EXPECT(agentsched_rls_coefficients(ok, coef, 2, &len), OK);
  CHECK(close_to(coef[0], 1.0, 1e-12) && close_to(coef[1], 1.0, 1e-12));
  agentsched_rls_free(ok);
  /* Two samples for two coefficients: no degrees of freedom left. */
  EXPECT(agentsched_rls_new(2, 1.0, 0.0, &ok), OK);
  x[1] = 1.0;
  EXPECT(agentsched_rls_update(ok, x, 2, 2.0), OK);
  x[1] = 2.0;
  EXPECT(agentsched_rls_update(ok, x, 2, 3.0), OK);
  EXPECT(agentsched_rls_predict(ok, x, 2, 0.9, &p), AGENTSCHED_STATUS_TOO_FEW_VALUES);
  agentsched_rls_free(ok);
}

static void estimator_ladder(void) {
  static const double line_exp[5] = {1.6487212707001282, 2.225540928492468, 3.0041660239464334, 4.0551999668446745, 5.4739473917272};
  agentsched_runtime_estimator *e = NULL;
  agentsched_runtime_prediction p;
  double x[2] = {1.0, 3.0};
  uint64_t n = 99;
  size_t classes = 99;
  int i;
  EXPECT(agentsched_runtime_estimator_new(2, 1.0, 1e-9, 0, 0.1, false, &e), OK);
  memset(&p, SENTINEL, sizeof p);
  EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 0.9, &p), OK);
  CHECK(!p.has_value && p.mean == 0.0);
  EXPECT(agentsched_runtime_estimator_observe(e, 1, x, 2, 7.0), OK);
  EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 0.9, &p), OK);
  CHECK(p.has_value && p.source == AGENTSCHED_PREDICTION_SOURCE_CLASS_MEAN && p.mean == 7.0);
  EXPECT(agentsched_runtime_estimator_predict(e, 2, x, 2, 0.9, &p), OK);
  CHECK(p.has_value && p.source == AGENTSCHED_PREDICTION_SOURCE_GLOBAL_MEAN && p.mean == 7.0);
  /* runtime = 1 + 2 x: after 2 * 2 + 2 = 6 samples the class regresses and reproduces the line
   * (a tiny jitter keeps sigma > 0). */
  for (i = 0; i < 7; i++) {
    x[1] = (double)i;
    EXPECT(agentsched_runtime_estimator_observe(e, 1, x, 2, 1.0 + 2.0 * i + (i % 2) * 1e-6), OK);
  }
  EXPECT(agentsched_runtime_estimator_samples(e, 1, &n, &classes), OK);
  CHECK(n == 8 && classes == 1);
  EXPECT(agentsched_runtime_estimator_samples(e, 5, &n, NULL), OK);
  CHECK(n == 0);
  x[1] = 10.0;
  EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 0.9, &p), OK);
  /* The first sample (x = 3, runtime 7) also lies on the line. */
  CHECK(p.source == AGENTSCHED_PREDICTION_SOURCE_REGRESSION);
  CHECK(fabs(p.mean - 21.0) < 1e-3);
  CHECK(p.lo <= p.mean && p.mean <= p.hi);
  /* Never a negative runtime. */
  x[1] = -100.0;
  EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 0.9, &p), OK);
  CHECK(p.mean == 0.0);

  /* Hostile. */
  {
    agentsched_runtime_prediction s;
    double nan2[2] = {NAN, 1.0}, big[2] = {1.0, 1.0};
    /* Room for a message quoting a huge runtime in full (1e300 prints with 301 digits). */
    char msg[512];
    size_t mlen = 0;
    memset(&s, SENTINEL, sizeof s);
    EXPECT(agentsched_runtime_estimator_observe(NULL, 1, x, 2, 1.0), NULLP);
    EXPECT(agentsched_runtime_estimator_observe(e, 1, NULL, 2, 1.0), NULLP);
    EXPECT(agentsched_runtime_estimator_observe(e, 1, x, 3, 1.0), DIMS_BAD);
    EXPECT(agentsched_runtime_estimator_observe(e, 1, nan2, 2, 1.0), INVNUM);
    EXPECT(agentsched_runtime_estimator_observe(e, 1, x, 2, -1.0), INVNUM);
    EXPECT(agentsched_runtime_estimator_observe(e, 1, x, 2, NAN), INVNUM);
    EXPECT(agentsched_runtime_estimator_observe(e, 3, big, 2, 1e300), INVNUM);
    EXPECT(agentsched_runtime_estimator_last_error(e, msg, sizeof msg, &mlen), OK);
    CHECK(mlen > 0);
    EXPECT(agentsched_runtime_estimator_last_error(e, msg, 0, &mlen), TOO_SMALL);
    EXPECT(agentsched_runtime_estimator_last_error(NULL, msg, sizeof msg, &mlen), NULLP);
    EXPECT(agentsched_runtime_estimator_samples(e, 3, &n, &classes), OK);
    CHECK(n == 0 && classes == 1);
    EXPECT(agentsched_runtime_estimator_samples(e, 1, NULL, NULL), NULLP);
    EXPECT(agentsched_runtime_estimator_samples(NULL, 1, &n, NULL), NULLP);
    EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 1, 0.9, &s), DIMS_BAD);
    EXPECT(agentsched_runtime_estimator_predict(e, 9, nan2, 2, 0.9, &s), INVNUM);
    EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 1.5, &s), INVCFG);
    EXPECT(agentsched_runtime_estimator_predict(e, 1, x, 2, 0.9, NULL), NULLP);
    EXPECT(agentsched_runtime_estimator_predict(NULL, 1, x, 2, 0.9, &s), NULLP);
    EXPECT(agentsched_runtime_estimator_predict(e, 1, NULL, 2, 0.9, &s), NULLP);
    CHECK(all_bytes(&s, sizeof s, SENTINEL));
    s.has_value = false;
    EXPECT(agentsched_prediction_quantile(&s, 0.5, &s.mean), INVCFG);
  }
  agentsched_runtime_estimator_free(e);
  agentsched_runtime_estimator_free(NULL);

  /* Bad configurations, and a log target. */
  e = (agentsched_runtime_estimator *)0x1;
  EXPECT(agentsched_runtime_estimator_new(0, 1.0, 0.0, 0, 0.1, false, &e), INVCFG);
  EXPECT(agentsched_runtime_estimator_new(2, 0.0, 0.0, 0, 0.1, false, &e), INVCFG);
  EXPECT(agentsched_runtime_estimator_new(2, 1.0, -1.0, 0, 0.1, false, &e), INVNUM);
  EXPECT(agentsched_runtime_estimator_new(2, 1.0, 0.0, 0, 0.0, false, &e), INVCFG);
  EXPECT(agentsched_runtime_estimator_new(2, 1.0, 0.0, 0, NAN, false, &e), INVNUM);
  EXPECT(agentsched_runtime_estimator_new(2, 1.0, 0.0, 0, 0.1, false, NULL), NULLP);
  CHECK(e == (agentsched_runtime_estimator *)0x1);
  e = NULL;
  EXPECT(agentsched_runtime_estimator_new(2, 0.99, 1e-6, 4, 0.2, true, &e), OK);
  /* exp(0.5 + 0.3 k), k = 0..4 (a table: the shared link has no libm). */
  for (i = 0; i < 40; i++) {
    x[1] = (double)(i % 5);
    EXPECT(agentsched_runtime_estimator_observe(e, 0, x, 2, line_exp[i % 5] * (1.0 + 0.01 * (i % 3))), OK);
  }
  x[1] = 2.0;
  EXPECT(agentsched_runtime_estimator_predict(e, 0, x, 2, 0.9, &p), OK);
  CHECK(p.source == AGENTSCHED_PREDICTION_SOURCE_REGRESSION);
  CHECK(fabs(p.mean - 3.0041660239464334) /* exp(1.1) */ < 0.05);
  /* The back-transformed interval is asymmetric (log-normal). */
  CHECK(p.lo > 0.0 && p.lo < p.mean && p.mean < p.hi && p.hi - p.mean > p.mean - p.lo);
  agentsched_runtime_estimator_free(e);
}

int main(void) {
  line_oracle();
  rls_degenerate();
  estimator_ladder();
  return CHECK_SUMMARY("estimate_runtime_test");
}
