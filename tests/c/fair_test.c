/*
 * Fair sharing through the C ABI, tested from C.
 *
 * The DRF paper's example (Ghodsi et al., NSDI 2011, Section 4: capacity <9 CPU, 18 GB>, A needs
 * <1, 4>, B needs <3, 1> per task: A gets 3 tasks, B 2, both with a dominant share of 2/3), then
 * properties recomputed here on random pools: capacity never exceeded; DRF is Pareto-efficient
 * (every tenant is capped or uses a saturated resource), envy-free and sharing-incentive with
 * weights; the per-task version leaves no tenant whose next task still fits; the task-maximising
 * LP is feasible and its objective equals the dual value of the prices it returns; water-filling
 * gives every unsatisfied tenant the same level and never more than its demand. Hostile
 * arguments: NULL for every pointer, NULL arrays with non-zero lengths, zero dimensions, zero
 * capacities, dimension mismatches, NaN / infinite / negative / zero weights, all-zero demands
 * without a limit, too-small buffers (the size needed is reported and nothing else is written);
 * a failed call leaves its outputs untouched.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/fair_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
 */
#include "agentsched.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAXT 8
#define MAXD 4
#define TOL 1e-7

/* Not fmin: the shared builds do not link libm. */
static double dmin(double a, double b) { return a < b ? a : b; }
static int close_to(double a, double b) { return fabs(a - b) <= TOL * (1.0 + fabs(b)); }
static int le(double a, double b) { return a <= b + TOL * (1.0 + fabs(b)); }

static agentsched_fair_problem problem(const uint64_t *cap, size_t dims, size_t tenants,
                                       const uint64_t *dem, const double *w, const uint64_t *mx) {
  agentsched_fair_problem p;
  p.capacity = cap;
  p.dims = dims;
  p.tenants = tenants;
  p.demands = dem;
  p.demands_len = tenants * dims;
  p.weights = w;
  p.weights_len = w ? tenants : 0;
  p.max_tasks = mx;
  p.max_tasks_len = mx ? tenants : 0;
  return p;
}

static void paper_example(void) {
  const uint64_t cap[2] = {9, 18}, dem[4] = {1, 4, 3, 1};
  agentsched_fair_problem p = problem(cap, 2, 2, dem, NULL, NULL);
  agentsched_drf_share sh[2];
  double used[2], tasks[2], prices[2], obj = 0, x, y;
  uint64_t whole[2], wused[2];
  size_t n = 0;
  EXPECT(agentsched_drf(&p, sh, 2, &n, used), OK);
  CHECK(n == 2);
  CHECK(close_to(sh[0].tasks, 3.0) && close_to(sh[1].tasks, 2.0));
  CHECK(close_to(sh[0].dominant_share, 2.0 / 3.0) && close_to(sh[1].dominant_share, 2.0 / 3.0));
  CHECK(close_to(used[0], 9.0) && close_to(used[1], 14.0));
  /* CPU saturates (3 + 6 = 9): both stop on resource 0. */
  CHECK(sh[0].stop == AGENTSCHED_DRF_STOP_RESOURCE && sh[0].stop_resource == 0);
  CHECK(sh[1].stop == AGENTSCHED_DRF_STOP_RESOURCE && sh[1].stop_resource == 0);
  EXPECT(agentsched_drf_discrete(&p, whole, 2, &n, wused), OK);
  CHECK(n == 2 && whole[0] == 3 && whole[1] == 2 && wused[0] == 9 && wused[1] == 14);
  /* The LP's optimum is the vertex where both resources bind: x + 3y = 9, 4x + y = 18. */
  y = (9.0 * 4.0 - 18.0) / (3.0 * 4.0 - 1.0);
  x = 9.0 - 3.0 * y;
  EXPECT(agentsched_max_tasks(&p, tasks, 2, &n, prices, &obj), OK);
  CHECK(close_to(tasks[0], x) && close_to(tasks[1], y) && close_to(obj, x + y));
  CHECK(close_to(9.0 * prices[0] + 18.0 * prices[1], obj));
  /* Weighted DRF: B with weight 2 gets twice A's dominant share (CPU still binds: a + 3b = 9,
   * b * 3/9 = 2 * a * 4/18 -> a = 9/5, b = 12/5). */
  {
    const double w[2] = {1.0, 2.0};
    agentsched_fair_problem q = problem(cap, 2, 2, dem, w, NULL);
    EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), OK);
    CHECK(close_to(sh[1].dominant_share, 2.0 * sh[0].dominant_share));
    CHECK(close_to(sh[0].tasks, 9.0 / 5.0) && close_to(sh[1].tasks, 12.0 / 5.0));
  }
  /* A task limit: A wants 1 task; B takes the 8 CPUs left, 8/3 tasks. */
  {
    const uint64_t mx[2] = {1, UINT64_MAX};
    agentsched_fair_problem q = problem(cap, 2, 2, dem, NULL, mx);
    EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), OK);
    CHECK(sh[0].stop == AGENTSCHED_DRF_STOP_CAP && close_to(sh[0].tasks, 1.0));
    CHECK(close_to(sh[1].tasks, 8.0 / 3.0));
  }
  /* Water-filling: 10 units among demands 2, 8, unbounded with weights 1, 1, 2. */
  {
    const double dm[3] = {2.0, 8.0, INFINITY}, w[3] = {1.0, 1.0, 2.0};
    double a[3], level = 0;
    EXPECT(agentsched_max_min_fair(10.0, dm, 3, w, 3, a, 3, &n, &level), OK);
    CHECK(n == 3 && close_to(a[0], 2.0) && close_to(a[1], 8.0 / 3.0));
    CHECK(close_to(a[2], 16.0 / 3.0) && close_to(level, 8.0 / 3.0));
    /* NULL weights: all 1. */
    EXPECT(agentsched_max_min_fair(10.0, dm, 3, NULL, 0, a, 3, &n, NULL), OK);
    CHECK(close_to(a[0], 2.0) && close_to(a[1], 4.0) && close_to(a[2], 4.0));
  }
}

static void random_properties(void) {
  int round;
  for (round = 0; round < 400; round++) {
    size_t d = 1 + rnd(MAXD), n = rnd(MAXT + 1), i, j, r;
    uint64_t cap[MAXD], dem[MAXT * MAXD], mx[MAXT], whole[MAXT], wused[MAXD];
    double w[MAXT], used[MAXD], tasks[MAXT], prices[MAXD], obj = 0, wsum = 0, dual;
    agentsched_drf_share sh[MAXT];
    size_t len = 0;
    int capped = rnd(2);
    agentsched_fair_problem p;
    for (r = 0; r < d; r++) cap[r] = 1 + rnd(1000);
    for (i = 0; i < n; i++) {
      int any = 0;
      for (r = 0; r < d; r++) {
        dem[i * d + r] = rnd(3) == 0 ? 0 : 1 + rnd(60);
        any |= dem[i * d + r] > 0;
      }
      if (!any) dem[i * d] = 1;
      w[i] = 0.5 + rnd(8);
      wsum += w[i];
      mx[i] = rnd(3) == 0 ? UINT64_MAX : rnd(40);
    }
    p = problem(cap, d, n, dem, w, capped ? mx : NULL);
#define LIMIT(i) (capped && mx[i] != UINT64_MAX ? (double)mx[i] : INFINITY)

    /* Continuous DRF. */
    EXPECT(agentsched_drf(&p, sh, MAXT, &len, used), OK);
    CHECK(len == n);
    for (r = 0; r < d; r++) {
      double u = 0;
      for (i = 0; i < n; i++) u += sh[i].tasks * (double)dem[i * d + r];
      CHECK(close_to(u, used[r]) && le(u, (double)cap[r]));
    }
    for (i = 0; i < n; i++) {
      double own = INFINITY, share = 0;
      for (r = 0; r < d; r++)
        if (dem[i * d + r] > 0) {
          double s = (double)dem[i * d + r] / (double)cap[r];
          if (s > share) share = s;
          /* Sharing incentive: at least what weight_i / sum of weights of every resource runs. */
          if (w[i] / wsum * (double)cap[r] / (double)dem[i * d + r] < own)
            own = w[i] / wsum * (double)cap[r] / (double)dem[i * d + r];
        }
      CHECK(close_to(sh[i].dominant_share, sh[i].tasks * share));
      CHECK(le(dmin(own, LIMIT(i)), sh[i].tasks));
      /* Pareto efficiency: capped, or a resource it demands is saturated. */
      if (sh[i].stop == AGENTSCHED_DRF_STOP_CAP) {
        CHECK(close_to(sh[i].tasks, LIMIT(i)));
      } else {
        r = sh[i].stop_resource;
        CHECK(sh[i].stop == AGENTSCHED_DRF_STOP_RESOURCE && r < d && dem[i * d + r] > 0);
        if (r < d) CHECK(close_to(used[r], (double)cap[r]));
      }
      /* Envy-freeness (weighted): i runs no more tasks on j's bundle scaled by w_i / w_j. */
      for (j = 0; j < n; j++) {
        double theirs = INFINITY;
        if (j == i || sh[i].stop == AGENTSCHED_DRF_STOP_CAP) continue;
        for (r = 0; r < d; r++)
          if (dem[i * d + r] > 0) {
            double t = sh[j].tasks * (double)dem[j * d + r] * (w[i] / w[j]) / (double)dem[i * d + r];
            if (t < theirs) theirs = t;
          }
        CHECK(le(theirs, sh[i].tasks));
      }
    }

    /* Per-task DRF: exact use within capacity; no tenant's next task fits. */
    EXPECT(agentsched_drf_discrete(&p, whole, MAXT, &len, wused), OK);
    for (r = 0; r < d; r++) {
      uint64_t u = 0;
      for (i = 0; i < n; i++) u += whole[i] * dem[i * d + r];
      CHECK(u == wused[r] && u <= cap[r]);
    }
    for (i = 0; i < n; i++) {
      int fits = 1;
      if ((double)whole[i] >= LIMIT(i)) continue;
      for (r = 0; r < d; r++)
        if (wused[r] + dem[i * d + r] > cap[r]) fits = 0;
      CHECK(!fits);
    }

    /* The LP: feasible, and its objective equals the dual value of its prices (for
     * max w.x, D x <= C, 0 <= x <= U: C.y + sum_i U_i max(0, w_i - d_i.y)). */
    EXPECT(agentsched_max_tasks(&p, tasks, MAXT, &len, prices, &obj), OK);
    dual = 0;
    for (r = 0; r < d; r++) {
      double u = 0;
      for (i = 0; i < n; i++) u += tasks[i] * (double)dem[i * d + r];
      CHECK(le(u, (double)cap[r]) && prices[r] >= 0);
      dual += (double)cap[r] * prices[r];
    }
    {
      double o = 0;
      for (i = 0; i < n; i++) {
        double reduced = w[i];
        o += w[i] * tasks[i];
        CHECK(tasks[i] >= -TOL && le(tasks[i], LIMIT(i)));
        for (r = 0; r < d; r++) reduced -= (double)dem[i * d + r] * prices[r];
        /* The bound of x_i in the dual: its limit and what fits alone (the capacities imply
         * the latter). */
        if (reduced > 0) {
          double ub = LIMIT(i);
          for (r = 0; r < d; r++)
            if (dem[i * d + r] > 0) ub = dmin(ub, (double)cap[r] / (double)dem[i * d + r]);
          dual += ub * reduced;
        }
      }
      CHECK(close_to(o, obj));
      CHECK(fabs(dual - obj) <= 1e-6 * (1.0 + obj));
    }

    /* Water-filling on the first resource, demands in tasks * demand. */
    {
      double dm[MAXT], a[MAXT], level = 0, sum = 0, dsum = 0, c = (double)cap[0];
      for (i = 0; i < n; i++) {
        dm[i] = rnd(4) == 0 ? INFINITY : (double)rnd(400);
        dsum += dm[i];
      }
      EXPECT(agentsched_max_min_fair(c, dm, n, w, n, a, MAXT, &len, &level), OK);
      for (i = 0; i < n; i++) {
        sum += a[i];
        CHECK(a[i] >= 0 && le(a[i], dm[i]));
        if (a[i] < dm[i] - TOL * (1.0 + a[i])) CHECK(close_to(a[i], w[i] * level));
      }
      CHECK(le(sum, c));
      if (dsum > c) CHECK(close_to(sum, c));
    }
#undef LIMIT
  }
}

static void hostile(void) {
  const uint64_t cap[2] = {9, 18}, dem[4] = {1, 4, 3, 1}, zero_cap[2] = {0, 18},
                 zero_dem[4] = {0, 0, 3, 1};
  agentsched_fair_problem p = problem(cap, 2, 2, dem, NULL, NULL), q;
  agentsched_drf_share sh[2];
  double used[2], tasks[2], prices[2], obj, a[3];
  uint64_t whole[2], wused[2];
  size_t n = 0;
  const double nan_w[2] = {NAN, 1.0}, neg_w[2] = {1.0, -1.0}, zero_w[2] = {0.0, 1.0},
               inf_w[2] = {INFINITY, 1.0};
  const double *bad_w[4] = {nan_w, neg_w, zero_w, inf_w};
  int k;
  memset(whole, 0, sizeof whole);
  memset(a, 0, sizeof a);

  /* NULL for every pointer. */
  EXPECT(agentsched_drf(NULL, sh, 2, &n, used), NULLP);
  EXPECT(agentsched_drf(&p, sh, 2, NULL, used), NULLP);
  EXPECT(agentsched_drf_discrete(NULL, whole, 2, &n, wused), NULLP);
  EXPECT(agentsched_drf_discrete(&p, whole, 2, NULL, wused), NULLP);
  EXPECT(agentsched_max_tasks(NULL, tasks, 2, &n, prices, &obj), NULLP);
  EXPECT(agentsched_max_tasks(&p, tasks, 2, NULL, prices, &obj), NULLP);
  EXPECT(agentsched_max_min_fair(1.0, a, 3, NULL, 0, a, 3, NULL, NULL), NULLP);
  EXPECT(agentsched_max_min_fair(1.0, NULL, 3, NULL, 0, a, 3, &n, NULL), NULLP);
  q = p;
  q.capacity = NULL;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), NULLP);
  q = p;
  q.demands = NULL;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), NULLP);
  q = p;
  q.weights_len = 2;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), NULLP);
  q = p;
  q.demands_len = SIZE_MAX;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), INVAL);

  /* Dimension mismatches. */
  q = p;
  q.demands_len = 3;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), DIMS_BAD);
  q = p;
  q.tenants = 3;
  EXPECT(agentsched_drf_discrete(&q, whole, 2, &n, NULL), DIMS_BAD);
  q = problem(cap, 2, 2, dem, nan_w, NULL);
  q.weights_len = 1;
  EXPECT(agentsched_max_tasks(&q, tasks, 2, &n, NULL, NULL), DIMS_BAD);
  q = problem(cap, 2, 2, dem, NULL, whole);
  q.max_tasks_len = 3;
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), DIMS_BAD);
  EXPECT(agentsched_max_min_fair(1.0, a, 3, a, 2, a, 3, &n, NULL), DIMS_BAD);

  /* Bad weights, bad numbers; outputs untouched. */
  for (k = 0; k < 4; k++) {
    q = problem(cap, 2, 2, dem, bad_w[k], NULL);
    memset(sh, SENTINEL, sizeof sh);
    memset(used, SENTINEL, sizeof used);
    EXPECT(agentsched_drf(&q, sh, 2, &n, used), INVAL);
    CHECK(all_bytes(sh, sizeof sh, SENTINEL) && all_bytes(used, sizeof used, SENTINEL));
    memset(whole, SENTINEL, sizeof whole);
    EXPECT(agentsched_drf_discrete(&q, whole, 2, &n, NULL), INVAL);
    CHECK(all_bytes(whole, sizeof whole, SENTINEL));
    EXPECT(agentsched_max_tasks(&q, tasks, 2, &n, NULL, NULL), INVAL);
    {
      const double dm[2] = {1.0, 1.0};
      memset(a, SENTINEL, sizeof a);
      EXPECT(agentsched_max_min_fair(1.0, dm, 2, bad_w[k], 2, a, 3, &n, NULL), INVAL);
      CHECK(all_bytes(a, sizeof a, SENTINEL));
    }
  }
  {
    const double dm[2] = {1.0, NAN}, ok_dm[2] = {1.0, 1.0};
    EXPECT(agentsched_max_min_fair(1.0, dm, 2, NULL, 0, a, 3, &n, NULL), INVAL);
    EXPECT(agentsched_max_min_fair(NAN, ok_dm, 2, NULL, 0, a, 3, &n, NULL),
           AGENTSCHED_STATUS_INVALID_NUMBER);
    EXPECT(agentsched_max_min_fair(-1.0, ok_dm, 2, NULL, 0, a, 3, &n, NULL),
           AGENTSCHED_STATUS_INVALID_NUMBER);
    EXPECT(agentsched_max_min_fair(INFINITY, ok_dm, 2, NULL, 0, a, 3, &n, NULL),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  /* An all-zero demand needs a task limit. */
  q = problem(cap, 2, 2, zero_dem, NULL, NULL);
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), INVAL);
  {
    const uint64_t mx[2] = {5, UINT64_MAX};
    q = problem(cap, 2, 2, zero_dem, NULL, mx);
    EXPECT(agentsched_drf_discrete(&q, whole, 2, &n, NULL), OK);
    CHECK(whole[0] == 5 && whole[1] == 3);
  }
  /* Zero dimensions. */
  q = problem(cap, 0, 2, dem, NULL, NULL);
  EXPECT(agentsched_drf(&q, sh, 2, &n, NULL), AGENTSCHED_STATUS_INVALID_CONFIG);
  /* Zero capacities: A demands the CPU that is not there and gets nothing; B is bounded by the
   * CPU as well (it demands 3 of 0), so nobody runs. With memory only, B gets 18 tasks. */
  q = problem(zero_cap, 2, 2, dem, NULL, NULL);
  EXPECT(agentsched_drf(&q, sh, 2, &n, used), OK);
  CHECK(sh[0].tasks == 0.0 && sh[0].stop == AGENTSCHED_DRF_STOP_RESOURCE && sh[0].stop_resource == 0);
  CHECK(sh[1].tasks == 0.0);
  EXPECT(agentsched_drf_discrete(&q, whole, 2, &n, wused), OK);
  CHECK(whole[0] == 0 && whole[1] == 0 && wused[0] == 0 && wused[1] == 0);
  {
    const uint64_t mem_only[4] = {0, 4, 0, 1};
    q = problem(zero_cap, 2, 2, mem_only, NULL, NULL);
    EXPECT(agentsched_drf_discrete(&q, whole, 2, &n, wused), OK);
    CHECK(wused[1] <= 18 && wused[0] == 0 && whole[0] * 4 + whole[1] == wused[1]);
    CHECK(wused[1] + 1 > 18); /* nobody's next task fits: B's needs 1 */
  }

  /* Too-small buffers: the size needed, nothing written. */
  memset(sh, SENTINEL, sizeof sh);
  memset(used, SENTINEL, sizeof used);
  n = 0;
  EXPECT(agentsched_drf(&p, sh, 1, &n, used), TOO_SMALL);
  CHECK(n == 2 && all_bytes(sh, sizeof sh, SENTINEL) && all_bytes(used, sizeof used, SENTINEL));
  n = 0;
  EXPECT(agentsched_drf(&p, NULL, 0, &n, NULL), TOO_SMALL);
  CHECK(n == 2);
  memset(whole, SENTINEL, sizeof whole);
  EXPECT(agentsched_drf_discrete(&p, whole, 1, &n, NULL), TOO_SMALL);
  CHECK(n == 2 && all_bytes(whole, sizeof whole, SENTINEL));
  memset(tasks, SENTINEL, sizeof tasks);
  memset(prices, SENTINEL, sizeof prices);
  EXPECT(agentsched_max_tasks(&p, tasks, 0, &n, prices, NULL), TOO_SMALL);
  CHECK(n == 2 && all_bytes(tasks, sizeof tasks, SENTINEL) && all_bytes(prices, sizeof prices, SENTINEL));
  {
    const double dm[3] = {1.0, 2.0, 3.0};
    double lvl;
    memset(a, SENTINEL, sizeof a);
    memset(&lvl, SENTINEL, sizeof lvl);
    EXPECT(agentsched_max_min_fair(1.0, dm, 3, NULL, 0, a, 2, &n, &lvl), TOO_SMALL);
    CHECK(n == 3 && all_bytes(a, sizeof a, SENTINEL) && all_bytes(&lvl, sizeof lvl, SENTINEL));
  }
  /* No tenants: empty results. */
  q = problem(cap, 2, 0, NULL, NULL, NULL);
  EXPECT(agentsched_drf(&q, NULL, 0, &n, used), OK);
  CHECK(n == 0 && used[0] == 0.0 && used[1] == 0.0);
  EXPECT(agentsched_max_min_fair(1.0, NULL, 0, NULL, 0, NULL, 0, &n, NULL), OK);
  CHECK(n == 0);
}

int main(void) {
  paper_example();
  random_properties();
  hostile();
  return CHECK_SUMMARY("fair_test");
}
