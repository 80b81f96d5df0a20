/*
 * The hybrid-cloud placement C ABI, from C: burst to public when the private pool is full; the
 * sensitivity rule and the cost recomputed here on random pools; every unplaced reason checked
 * from first principles; consolidation onto heterogeneous hosts; hostile inputs (NULL for every
 * pointer, dimension mismatch, NaN/infinite/negative costs, zero capacities, unknown tier and
 * sensitivity values, duplicate ids, too-small buffers) leave outputs untouched.
 */
#include "agentsched.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXA 8
#define MAXT 40
#define D 2

typedef struct {
  size_t na, nt;
  uint32_t aid[MAXA], tier[MAXA];
  uint64_t cap[MAXA * D];
  double unit[MAXA * D], fixed[MAXA];
  uint32_t tid[MAXT], sens[MAXT];
  uint64_t dem[MAXT * D];
} pool;

static agentsched_hybrid_agents agents_of(const pool *p) {
  agentsched_hybrid_agents a;
  a.ids = p->aid;
  a.tiers = p->tier;
  a.capacity = p->cap;
  a.capacity_len = p->na * D;
  a.unit_cost = p->unit;
  a.unit_cost_len = p->na * D;
  a.fixed_cost = p->fixed;
  a.len = p->na;
  return a;
}

static agentsched_hybrid_tasks tasks_of(const pool *p) {
  agentsched_hybrid_tasks t;
  t.ids = p->tid;
  t.sensitivity = p->sens;
  t.demand = p->dem;
  t.demand_len = p->nt * D;
  t.len = p->nt;
  return t;
}

/* The rule, written out again: confidential never public; internal on public only if allowed. */
static int allowed(uint32_t sens, uint32_t tier, int internal) {
  if (tier == AGENTSCHED_TIER_PRIVATE) return 1;
  if (sens == AGENTSCHED_SENSITIVITY_PUBLIC) return 1;
  if (sens == AGENTSCHED_SENSITIVITY_INTERNAL) return internal;
  return 0;
}

static int fits_alone(const pool *p, size_t i, size_t j) {
  size_t k;
  for (k = 0; k < D; k++)
    if (p->dem[i * D + k] > p->cap[j * D + k]) return 0;
  return 1;
}

static size_t agent_index(const pool *p, uint32_t id) {
  size_t j;
  for (j = 0; j < p->na; j++)
    if (p->aid[j] == id) return j;
  return SIZE_MAX;
}

static size_t task_index(const pool *p, uint32_t id) {
  size_t i;
  for (i = 0; i < p->nt; i++)
    if (p->tid[i] == id) return i;
  return SIZE_MAX;
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-9 * (1.0 + fabs(a) + fabs(b)); }

/* Every invariant of a result, recomputed from the pool; returns the recomputed cost. */
static double check_result(const pool *p, int internal, const agentsched_hybrid_result *r) {
  agentsched_hybrid_summary s;
  agentsched_placement asg[MAXT];
  agentsched_hybrid_unplaced un[MAXT];
  uint32_t used_ids[MAXA];
  uint64_t load[MAXA * D];
  int seen[MAXT], used[MAXA];
  size_t n_asg = 0, n_un = 0, n_used = 0, x, k;
  double cost = 0.0;
  memset(load, 0, sizeof load);
  memset(seen, 0, sizeof seen);
  memset(used, 0, sizeof used);
  EXPECT(agentsched_hybrid_result_get_summary(r, &s), OK);
  EXPECT(agentsched_hybrid_result_assignment(r, asg, MAXT, &n_asg), OK);
  EXPECT(agentsched_hybrid_result_unplaced(r, un, MAXT, &n_un), OK);
  EXPECT(agentsched_hybrid_result_agents_used(r, used_ids, MAXA, &n_used), OK);
  CHECK(s.placed == n_asg && s.unplaced == n_un && s.agents_used == n_used);
  CHECK(n_asg + n_un == p->nt);
  for (x = 0; x < n_asg; x++) {
    size_t i = task_index(p, asg[x].task), j = agent_index(p, asg[x].agent);
    CHECK(i != SIZE_MAX && j != SIZE_MAX);
    if (i == SIZE_MAX || j == SIZE_MAX) continue;
    CHECK(x == 0 || asg[x - 1].task < asg[x].task);
    seen[i]++;
    CHECK(allowed(p->sens[i], p->tier[j], internal));
    for (k = 0; k < D; k++) {
      load[j * D + k] += p->dem[i * D + k];
      cost += p->unit[j * D + k] * (double)p->dem[i * D + k];
    }
    used[j] = 1;
  }
  for (x = 0; x < p->na; x++) {
    for (k = 0; k < D; k++) CHECK(load[x * D + k] <= p->cap[x * D + k]);
    if (used[x]) cost += p->fixed[x];
  }
  {
    size_t count = 0;
    for (x = 0; x < p->na; x++) count += (size_t)used[x];
    CHECK(count == n_used);
    for (x = 0; x < n_used; x++) {
      size_t j = agent_index(p, used_ids[x]);
      CHECK(j != SIZE_MAX && used[j]);
    }
  }
  for (x = 0; x < n_un; x++) {
    size_t i = task_index(p, un[x].task), j, n_allowed = 0, n_fit = 0, n = 99;
    agentsched_shortfall sf[MAXA];
    uint32_t cons[MAXA];
    CHECK(i != SIZE_MAX);
    if (i == SIZE_MAX) continue;
    seen[i]++;
    for (j = 0; j < p->na; j++)
      if (allowed(p->sens[i], p->tier[j], internal)) {
        n_allowed++;
        n_fit += (size_t)fits_alone(p, i, j);
      }
    EXPECT(agentsched_hybrid_result_shortfalls(r, x, sf, MAXA, &n), OK);
    if (un[x].reason == AGENTSCHED_HYBRID_UNPLACED_NO_ALLOWED_AGENT) {
      CHECK(n_allowed == 0 && un[x].agents == 0 && n == 0);
    } else if (un[x].reason == AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE) {
      CHECK(n_allowed > 0 && n_fit == 0 && n == n_allowed && un[x].agents == n);
      for (j = 0; j < n && j < MAXA; j++) {
        size_t a = agent_index(p, sf[j].agent), kk;
        CHECK(a != SIZE_MAX && sf[j].dimension < D);
        if (a == SIZE_MAX || sf[j].dimension >= D) continue;
        CHECK(p->dem[i * D + sf[j].dimension] > p->cap[a * D + sf[j].dimension]);
        for (kk = 0; kk < sf[j].dimension; kk++) CHECK(p->dem[i * D + kk] <= p->cap[a * D + kk]);
      }
    } else {
      CHECK(un[x].reason == AGENTSCHED_HYBRID_UNPLACED_NO_ROOM_LEFT);
      CHECK(n == 0);
      EXPECT(agentsched_hybrid_result_considered(r, x, cons, MAXA, &n), OK);
      CHECK(n == n_fit && n > 0 && un[x].agents == n);
      for (j = 0; j < n && j < MAXA; j++) {
        size_t a = agent_index(p, cons[j]);
        CHECK(a != SIZE_MAX && allowed(p->sens[i], p->tier[a], internal) && fits_alone(p, i, a));
      }
    }
  }
  for (x = 0; x < p->nt; x++) CHECK(seen[x] == 1);
  CHECK(close_to(cost, s.total_cost));
  CHECK(close_to(s.variable_cost + s.fixed_cost, s.total_cost));
  CHECK(s.lower_bound <= s.total_cost + 1e-9 * (1.0 + s.total_cost));
  CHECK(s.lower_bound >= 0.0 && s.gap >= 0.0 && s.gap <= 1.0);
  CHECK(s.bound == AGENTSCHED_BOUND_LP || s.bound == AGENTSCHED_BOUND_LAGRANGIAN);
  return cost;
}

static agentsched_hybrid_result *solve(const pool *p, int internal) {
  agentsched_hybrid_agents a = agents_of(p);
  agentsched_hybrid_tasks t = tasks_of(p);
  agentsched_hybrid_problem *pr = NULL;
  agentsched_hybrid_result *r = NULL;
  agentsched_hybrid_options o;
  EXPECT(agentsched_hybrid_options_default(&o), OK);
  o.allow_internal_on_public = internal != 0;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), OK);
  EXPECT(agentsched_hybrid_solve(pr, &o, &r), OK);
  agentsched_hybrid_problem_free(pr);
  return r;
}

static void set_agent(pool *p, size_t j, uint32_t id, uint32_t tier, uint64_t c0, uint64_t c1,
                      double u0, double u1, double f) {
  p->aid[j] = id;
  p->tier[j] = tier;
  p->cap[j * D] = c0;
  p->cap[j * D + 1] = c1;
  p->unit[j * D] = u0;
  p->unit[j * D + 1] = u1;
  p->fixed[j] = f;
}

static void set_task(pool *p, size_t i, uint32_t id, uint32_t sens, uint64_t d0, uint64_t d1) {
  p->tid[i] = id;
  p->sens[i] = sens;
  p->dem[i * D] = d0;
  p->dem[i * D + 1] = d1;
}

/* The private agent is cheap and holds 4 tasks; the other 2 burst to the cheaper public agent. */
static void burst_to_public(void) {
  pool p;
  agentsched_hybrid_result *r;
  agentsched_placement asg[6];
  size_t n = 0, i, on[3] = {0, 0, 0};
  memset(&p, 0, sizeof p);
  p.na = 3;
  p.nt = 6;
  set_agent(&p, 0, 1, AGENTSCHED_TIER_PRIVATE, 8, 16, 0.1, 0.01, 0.0);
  set_agent(&p, 1, 2, AGENTSCHED_TIER_PUBLIC, 64, 128, 1.0, 0.1, 5.0);
  set_agent(&p, 2, 3, AGENTSCHED_TIER_PUBLIC, 64, 128, 1.2, 0.1, 1.0);
  for (i = 0; i < 6; i++) set_task(&p, i, (uint32_t)i, AGENTSCHED_SENSITIVITY_PUBLIC, 2, 4);
  r = solve(&p, 0);
  if (!r) return;
  check_result(&p, 0, r);
  EXPECT(agentsched_hybrid_result_assignment(r, asg, 6, &n), OK);
  for (i = 0; i < n; i++) on[agent_index(&p, asg[i].agent)]++;
  CHECK(on[0] == 4 && on[1] == 0 && on[2] == 2);
  {
    agentsched_hybrid_summary s;
    EXPECT(agentsched_hybrid_result_get_summary(r, &s), OK);
    CHECK(close_to(s.total_cost, 4 * 0.24 + 2 * 2.8 + 1.0));
    CHECK(s.bound == AGENTSCHED_BOUND_LP);
  }
  agentsched_hybrid_result_free(r);
}

/* A confidential task with only public room is reported; a too-small private agent is named. */
static void sensitivity_reasons(void) {
  pool p;
  agentsched_hybrid_result *r;
  agentsched_hybrid_unplaced un[2];
  agentsched_shortfall sf[2];
  size_t n = 0;
  memset(&p, 0, sizeof p);
  p.na = 1;
  p.nt = 2;
  set_agent(&p, 0, 7, AGENTSCHED_TIER_PUBLIC, 10, 10, 1.0, 1.0, 0.0);
  set_task(&p, 0, 0, AGENTSCHED_SENSITIVITY_CONFIDENTIAL, 1, 1);
  set_task(&p, 1, 1, AGENTSCHED_SENSITIVITY_PUBLIC, 1, 1);
  r = solve(&p, 1);
  if (!r) return;
  check_result(&p, 1, r);
  EXPECT(agentsched_hybrid_result_unplaced(r, un, 2, &n), OK);
  CHECK(n == 1 && un[0].task == 0 && un[0].reason == AGENTSCHED_HYBRID_UNPLACED_NO_ALLOWED_AGENT);
  agentsched_hybrid_result_free(r);

  p.na = 2;
  p.nt = 1;
  set_agent(&p, 0, 3, AGENTSCHED_TIER_PRIVATE, 4, 1, 0.0, 0.0, 0.0);
  set_agent(&p, 1, 7, AGENTSCHED_TIER_PUBLIC, 10, 10, 1.0, 1.0, 0.0);
  set_task(&p, 0, 0, AGENTSCHED_SENSITIVITY_CONFIDENTIAL, 2, 2);
  r = solve(&p, 1);
  if (!r) return;
  check_result(&p, 1, r);
  EXPECT(agentsched_hybrid_result_unplaced(r, un, 2, &n), OK);
  CHECK(n == 1 && un[0].reason == AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE && un[0].agents == 1);
  EXPECT(agentsched_hybrid_result_shortfalls(r, 0, sf, 2, &n), OK);
  CHECK(n == 1 && sf[0].agent == 3 && sf[0].dimension == 1);
  agentsched_hybrid_result_free(r);
}

/* Random pools: every invariant recomputed here; the same input gives the same result. */
static void random_pools(void) {
  int round;
  for (round = 0; round < 40; round++) {
    pool p;
    size_t i, j;
    int internal = (int)rnd(2);
    agentsched_hybrid_result *r1, *r2;
    memset(&p, 0, sizeof p);
    p.na = 1 + rnd(6);
    p.nt = rnd(MAXT + 1);
    /* One rnd() per statement: the order in which C evaluates arguments is unspecified, and
     * the instances must be the same under every compiler. */
    for (j = 0; j < p.na; j++) {
      uint32_t tier = rnd(2) ? AGENTSCHED_TIER_PUBLIC : AGENTSCHED_TIER_PRIVATE;
      uint64_t c0 = rnd(8) ? 5 + rnd(30) : 0;
      uint64_t c1 = 5 + rnd(30);
      double u0 = rnd(5) * 0.5;
      double u1 = rnd(3) * 0.25;
      double f = (double)rnd(20);
      set_agent(&p, j, 100 + 3 * (uint32_t)j, tier, c0, c1, u0, u1, f);
    }
    for (i = 0; i < p.nt; i++) {
      uint32_t sens = rnd(3);
      uint64_t d0 = rnd(10);
      uint64_t d1 = rnd(10);
      set_task(&p, i, 1000 - 7 * (uint32_t)i, sens, d0, d1);
    }
    r1 = solve(&p, internal);
    r2 = solve(&p, internal);
    if (r1 && r2) {
      agentsched_placement a1[MAXT], a2[MAXT];
      size_t n1 = 0, n2 = 0;
      double c1 = check_result(&p, internal, r1), c2 = check_result(&p, internal, r2);
      CHECK(c1 == c2);
      EXPECT(agentsched_hybrid_result_assignment(r1, a1, MAXT, &n1), OK);
      EXPECT(agentsched_hybrid_result_assignment(r2, a2, MAXT, &n2), OK);
      CHECK(n1 == n2 && memcmp(a1, a2, n1 * sizeof a1[0]) == 0);
    }
    agentsched_hybrid_result_free(r1);
    agentsched_hybrid_result_free(r2);
  }
}

/* One large host is cheaper than two small ones. */
static void heterogeneous(void) {
  const uint32_t ids[3] = {0, 1, 2};
  const uint64_t cap[6] = {4, 4, 4, 4, 8, 8};
  const double cost[3] = {3.0, 3.0, 5.0};
  const uint64_t dem[8] = {2, 2, 2, 2, 2, 2, 2, 2};
  agentsched_hybrid_result *r = NULL;
  agentsched_hybrid_summary s;
  uint32_t used[3];
  size_t n = 0;
  EXPECT(agentsched_pack_heterogeneous(2, ids, cap, 6, cost, 3, dem, 8, 4, NULL, &r), OK);
  if (!r) return;
  EXPECT(agentsched_hybrid_result_get_summary(r, &s), OK);
  EXPECT(agentsched_hybrid_result_agents_used(r, used, 3, &n), OK);
  CHECK(n == 1 && used[0] == 2 && s.total_cost == 5.0 && s.placed == 4 && s.unplaced == 0);
  CHECK(s.lower_bound <= 5.0);
  agentsched_hybrid_result_free(r);
}

static void hostile(void) {
  pool p;
  agentsched_hybrid_agents a;
  agentsched_hybrid_tasks t;
  agentsched_hybrid_problem *pr, *const SENT = (agentsched_hybrid_problem *)(uintptr_t)0x5a5a;
  agentsched_hybrid_result *r = NULL, *rs = (agentsched_hybrid_result *)(uintptr_t)0x5a5a;
  agentsched_hybrid_options o;
  size_t n;
  memset(&p, 0, sizeof p);
  p.na = 2;
  p.nt = 3;
  set_agent(&p, 0, 1, AGENTSCHED_TIER_PRIVATE, 4, 4, 1.0, 1.0, 1.0);
  set_agent(&p, 1, 2, AGENTSCHED_TIER_PUBLIC, 0, 0, 1.0, 1.0, 1.0); /* zero capacities */
  set_task(&p, 0, 10, AGENTSCHED_SENSITIVITY_PUBLIC, 3, 3);
  set_task(&p, 1, 11, AGENTSCHED_SENSITIVITY_PUBLIC, 3, 3);
  set_task(&p, 2, 12, AGENTSCHED_SENSITIVITY_CONFIDENTIAL, 9, 1); /* larger than any host */
  a = agents_of(&p);
  t = tasks_of(&p);

  /* NULL for every pointer. */
  pr = SENT;
  EXPECT(agentsched_hybrid_problem_new(D, NULL, &t, &pr), NULLP);
  EXPECT(agentsched_hybrid_problem_new(D, &a, NULL, &pr), NULLP);
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, NULL), NULLP);
  a.ids = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  a = agents_of(&p);
  a.tiers = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  a = agents_of(&p);
  a.capacity = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  a = agents_of(&p);
  a.unit_cost = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  a = agents_of(&p);
  a.fixed_cost = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  a = agents_of(&p);
  t.ids = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  t = tasks_of(&p);
  t.sensitivity = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  t = tasks_of(&p);
  t.demand = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), NULLP);
  t = tasks_of(&p);
  /* Dimension mismatch. */
  a.capacity_len = 3;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), DIMS_BAD);
  a = agents_of(&p);
  a.unit_cost_len = 5;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), DIMS_BAD);
  a = agents_of(&p);
  t.demand_len = 5;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), DIMS_BAD);
  t = tasks_of(&p);
  EXPECT(agentsched_hybrid_problem_new(3, &a, &t, &pr), DIMS_BAD);
  EXPECT(agentsched_hybrid_problem_new(SIZE_MAX, &a, &t, &pr), AGENTSCHED_STATUS_OVERFLOW);
  /* NaN, infinite, negative costs. */
  p.unit[1] = NAN;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_INVALID_NUMBER);
  p.unit[1] = INFINITY;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_INVALID_NUMBER);
  p.unit[1] = -0.5;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_INVALID_NUMBER);
  p.unit[1] = 1.0;
  p.fixed[1] = -1.0;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_INVALID_NUMBER);
  p.fixed[1] = NAN;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_INVALID_NUMBER);
  p.fixed[1] = 1.0;
  /* Unknown tier and sensitivity values. */
  p.tier[0] = 2;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), INVAL);
  p.tier[0] = AGENTSCHED_TIER_PRIVATE;
  p.sens[1] = 3;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), INVAL);
  p.sens[1] = AGENTSCHED_SENSITIVITY_PUBLIC;
  /* Duplicate ids. */
  p.aid[1] = 1;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_DUPLICATE_AGENT);
  p.aid[1] = 2;
  p.tid[2] = 10;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), AGENTSCHED_STATUS_DUPLICATE_TASK);
  p.tid[2] = 12;
  CHECK(pr == SENT);

  /* Valid now: zero capacities and a task larger than any host are results, not errors. */
  pr = NULL;
  EXPECT(agentsched_hybrid_problem_new(D, &a, &t, &pr), OK);
  EXPECT(agentsched_hybrid_solve(NULL, NULL, &r), NULLP);
  EXPECT(agentsched_hybrid_solve(pr, NULL, NULL), NULLP);
  EXPECT(agentsched_hybrid_options_default(NULL), NULLP);
  EXPECT(agentsched_hybrid_options_default(&o), OK);
  o.max_iterations = 0;
  EXPECT(agentsched_hybrid_solve(pr, &o, &r), OK);
  agentsched_hybrid_problem_free(pr);
  agentsched_hybrid_problem_free(NULL);
  if (!r) return;
  check_result(&p, 0, r);
  {
    agentsched_hybrid_summary s;
    agentsched_placement asg[3];
    agentsched_hybrid_unplaced un[3];
    agentsched_shortfall sf[2];
    uint32_t ids[2];
    memset(&s, SENTINEL, sizeof s);
    EXPECT(agentsched_hybrid_result_get_summary(NULL, &s), NULLP);
    EXPECT(agentsched_hybrid_result_get_summary(r, NULL), NULLP);
    CHECK(all_bytes(&s, sizeof s, SENTINEL));
    /* Two tasks of 3x3 on a 4x4 private host: one placed, one no room left; the 9x1
     * confidential task is too large for the only private host (dimension 0). */
    memset(asg, SENTINEL, sizeof asg);
    n = 0;
    EXPECT(agentsched_hybrid_result_assignment(r, asg, 0, &n), TOO_SMALL);
    CHECK(n == 1 && all_bytes(asg, sizeof asg, SENTINEL));
    EXPECT(agentsched_hybrid_result_assignment(NULL, asg, 3, &n), NULLP);
    EXPECT(agentsched_hybrid_result_assignment(r, asg, 3, NULL), NULLP);
    EXPECT(agentsched_hybrid_result_assignment(r, NULL, 3, &n), TOO_SMALL);
    memset(un, SENTINEL, sizeof un);
    EXPECT(agentsched_hybrid_result_unplaced(r, un, 1, &n), TOO_SMALL);
    CHECK(n == 2 && all_bytes(un, sizeof un, SENTINEL));
    EXPECT(agentsched_hybrid_result_unplaced(NULL, un, 3, &n), NULLP);
    EXPECT(agentsched_hybrid_result_unplaced(r, un, 3, NULL), NULLP);
    EXPECT(agentsched_hybrid_result_unplaced(r, un, 3, &n), OK);
    CHECK(n == 2 && un[0].task == 11 && un[0].reason == AGENTSCHED_HYBRID_UNPLACED_NO_ROOM_LEFT);
    CHECK(un[1].task == 12 && un[1].reason == AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE);
    memset(sf, SENTINEL, sizeof sf);
    EXPECT(agentsched_hybrid_result_shortfalls(r, 1, sf, 0, &n), TOO_SMALL);
    CHECK(n == 1 && all_bytes(sf, sizeof sf, SENTINEL));
    EXPECT(agentsched_hybrid_result_shortfalls(r, 1, sf, 2, &n), OK);
    CHECK(n == 1 && sf[0].agent == 1 && sf[0].dimension == 0);
    EXPECT(agentsched_hybrid_result_shortfalls(r, 2, sf, 2, &n), INVAL);
    EXPECT(agentsched_hybrid_result_shortfalls(NULL, 0, sf, 2, &n), NULLP);
    EXPECT(agentsched_hybrid_result_shortfalls(r, 0, sf, 2, NULL), NULLP);
    memset(ids, SENTINEL, sizeof ids);
    EXPECT(agentsched_hybrid_result_considered(r, 0, ids, 0, &n), TOO_SMALL);
    CHECK(n == 1 && all_bytes(ids, sizeof ids, SENTINEL));
    EXPECT(agentsched_hybrid_result_considered(r, 0, ids, 2, &n), OK);
    CHECK(n == 1 && ids[0] == 1);
    EXPECT(agentsched_hybrid_result_considered(r, 1, ids, 2, &n), OK);
    CHECK(n == 0);
    EXPECT(agentsched_hybrid_result_considered(r, 9, ids, 2, &n), INVAL);
    EXPECT(agentsched_hybrid_result_considered(NULL, 0, ids, 2, &n), NULLP);
    EXPECT(agentsched_hybrid_result_considered(r, 0, ids, 2, NULL), NULLP);
    memset(ids, SENTINEL, sizeof ids);
    EXPECT(agentsched_hybrid_result_agents_used(r, ids, 0, &n), TOO_SMALL);
    CHECK(n == 1 && all_bytes(ids, sizeof ids, SENTINEL));
    EXPECT(agentsched_hybrid_result_agents_used(NULL, ids, 2, &n), NULLP);
    EXPECT(agentsched_hybrid_result_agents_used(r, ids, 2, NULL), NULLP);
  }
  agentsched_hybrid_result_free(r);
  agentsched_hybrid_result_free(NULL);

  /* The heterogeneous entry point. */
  {
    const uint32_t hid[2] = {0, 0};
    const uint64_t cap[4] = {4, 4, 0, 8};
    double cost[2] = {1.0, 2.0};
    const uint64_t dem[4] = {1, 1, 9, 9};
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 4, cost, 2, dem, 4, 2, NULL, NULL), NULLP);
    EXPECT(agentsched_pack_heterogeneous(2, NULL, cap, 4, cost, 2, dem, 4, 2, NULL, &rs), NULLP);
    EXPECT(agentsched_pack_heterogeneous(2, hid, NULL, 4, cost, 2, dem, 4, 2, NULL, &rs), NULLP);
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 4, NULL, 2, dem, 4, 2, NULL, &rs), NULLP);
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 4, cost, 2, NULL, 4, 2, NULL, &rs), NULLP);
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 3, cost, 2, dem, 4, 2, NULL, &rs), DIMS_BAD);
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 4, cost, 2, dem, 3, 2, NULL, &rs), DIMS_BAD);
    EXPECT(agentsched_pack_heterogeneous(SIZE_MAX, hid, cap, 4, cost, 2, dem, 4, 2, NULL, &rs),
           AGENTSCHED_STATUS_OVERFLOW);
    EXPECT(agentsched_pack_heterogeneous(2, hid, cap, 4, cost, 2, dem, 4, 2, NULL, &rs),
           AGENTSCHED_STATUS_DUPLICATE_AGENT);
    {
      const uint32_t hid2[2] = {0, 1};
      cost[1] = NAN;
      EXPECT(agentsched_pack_heterogeneous(2, hid2, cap, 4, cost, 2, dem, 4, 2, NULL, &rs),
             AGENTSCHED_STATUS_INVALID_NUMBER);
      cost[1] = -2.0;
      EXPECT(agentsched_pack_heterogeneous(2, hid2, cap, 4, cost, 2, dem, 4, 2, NULL, &rs),
             AGENTSCHED_STATUS_INVALID_NUMBER);
      CHECK(rs == (agentsched_hybrid_result *)(uintptr_t)0x5a5a);
      cost[1] = 2.0;
      /* The 9x9 item is larger than every host: reported, the other placed. */
      r = NULL;
      EXPECT(agentsched_pack_heterogeneous(2, hid2, cap, 4, cost, 2, dem, 4, 2, NULL, &r), OK);
      if (r) {
        agentsched_hybrid_unplaced un[2];
        agentsched_hybrid_summary s;
        EXPECT(agentsched_hybrid_result_unplaced(r, un, 2, &n), OK);
        CHECK(n == 1 && un[0].task == 1 && un[0].reason == AGENTSCHED_HYBRID_UNPLACED_TOO_LARGE &&
              un[0].agents == 2);
        EXPECT(agentsched_hybrid_result_get_summary(r, &s), OK);
        CHECK(s.total_cost == 1.0 && s.placed == 1);
        agentsched_hybrid_result_free(r);
      }
    }
  }
}

int main(void) {
  burst_to_public();
  sensitivity_reasons();
  random_pools();
  heterogeneous();
  hostile();
  return CHECK_SUMMARY("hybrid_test");
}
