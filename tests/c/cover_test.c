/*
 * The covering part of the C ABI of agentsched (renting nodes), tested from C:
 * agentsched_cover_exact and agentsched_cover_heuristic.
 *
 * Oracles: every returned cover is checked here from scratch (the chosen indices are in range,
 * sorted, within each offer's copies; their capacity covers the demand in every dimension,
 * summed in 64 bits (the library rejects totals past 2^64 - 1); their cost recomputed;
 * bound <= cost; chosen_len in the summary). On small
 * random instances a brute force over all subsets (and over all copy counts with counts) written
 * here gives the optimum: the exact solver's proven cost equals it, the heuristic's cost is no
 * lower, and both bounds are no higher. A set-cover instance where the greedy's first pick is
 * redundant, with its optimum worked out by hand. Hostile arguments: NULL for every pointer,
 * NULL arrays with non-zero lengths, dimension mismatches of every array, NaN / infinite /
 * negative costs, duplicate ids, capacity sums past 2^64, infeasible demand (UNCOVERABLE),
 * lengths too large for memory, too-small buffers (the size needed is reported and nothing
 * else is written), the size query, zero demand and no offers. A failed call leaves its
 * outputs untouched (pre-filled sentinels).
 *
 * Prints one summary line and exits non-zero on any failure.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/cover_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o cover_test
 */
#include "agentsched.h"
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define UNCOVERABLE AGENTSCHED_STATUS_UNCOVERABLE
#define OVERFLOW AGENTSCHED_STATUS_OVERFLOW

#define MAX_N 40
#define MAX_D 6
#define MAX_CHOSEN 256

static int close_to(double a, double b) {
  double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  if (m < 1.0) m = 1.0;
  return fabs(a - b) <= 1e-9 * m;
}

static agentsched_cover_problem problem(size_t n, size_t d, const uint64_t *caps,
                                        const double *costs, const uint32_t *counts,
                                        const uint64_t *demand) {
  agentsched_cover_problem p;
  memset(&p, 0, sizeof p);
  p.dims = d;
  p.capacities = caps;
  p.capacities_len = n * d;
  p.costs = costs;
  p.costs_len = n;
  p.counts = counts;
  p.counts_len = counts ? n : 0;
  p.demand = demand;
  p.demand_len = d;
  return p;
}

/* Checks a cover from scratch; returns its recomputed cost (NAN when it is not a cover). */
static double check_cover(const agentsched_cover_problem *p, const size_t *chosen, size_t len,
                          const agentsched_cover_summary *s) {
  size_t n = p->costs_len, d = p->dims, i, k;
  uint64_t got[MAX_D]; /* no overflow: the library accepts only totals below 2^64 */
  uint32_t used[MAX_N];
  double cost = 0.0;
  int ok = 1;
  memset(got, 0, sizeof got);
  memset(used, 0, sizeof used);
  CHECK(s->chosen_len == len);
  for (i = 0; i < len; i++) {
    if (chosen[i] >= n || (i > 0 && chosen[i] < chosen[i - 1])) {
      ok = 0;
      break;
    }
    used[chosen[i]]++;
    for (k = 0; k < d; k++) got[k] += p->capacities[chosen[i] * d + k];
  }
  CHECK(ok);
  if (!ok) return NAN;
  for (i = 0; i < n; i++) {
    uint32_t avail = p->counts ? p->counts[i] : 1;
    if (used[i] > avail) ok = 0;
    cost += p->costs[i] * (double)used[i];
  }
  for (k = 0; k < d; k++)
    if (got[k] < p->demand[k]) ok = 0;
  CHECK(ok);
  CHECK(close_to(cost, s->cost));
  CHECK(s->lower_bound <= s->cost + 1e-9 * (s->cost > 1 ? s->cost : 1));
  CHECK(s->lower_bound >= 0.0);
  if (s->proven_optimal) CHECK(close_to(s->lower_bound, s->cost));
  return ok ? cost : NAN;
}

/* The optimum by enumerating every vector of copy counts; -1 when nothing covers. */
static double brute_force(const agentsched_cover_problem *p) {
  size_t n = p->costs_len, d = p->dims, i, k;
  uint32_t x[MAX_N];
  double best = -1.0;
  memset(x, 0, sizeof x);
  for (;;) {
    uint64_t got[MAX_D]; /* no overflow: the library accepts only totals below 2^64 */
    double cost = 0.0;
    int ok = 1;
    memset(got, 0, sizeof got);
    for (i = 0; i < n; i++) {
      cost += p->costs[i] * (double)x[i];
      for (k = 0; k < d; k++) got[k] += p->capacities[i * d + k] * x[i];
    }
    for (k = 0; k < d; k++)
      if (got[k] < p->demand[k]) ok = 0;
    if (ok && (best < 0 || cost < best)) best = cost;
    for (i = 0; i < n; i++) {
      uint32_t avail = p->counts ? p->counts[i] : 1;
      if (x[i] < avail) {
        x[i]++;
        break;
      }
      x[i] = 0;
    }
    if (i == n) return best;
  }
}

static void random_instances(int rounds, size_t max_n, uint32_t max_count) {
  int r;
  for (r = 0; r < rounds; r++) {
    size_t n = rnd((uint32_t)max_n + 1), d = 1 + rnd(3), i, k;
    uint64_t caps[MAX_N * MAX_D], demand[MAX_D], total[MAX_D];
    double costs[MAX_N];
    uint32_t counts[MAX_N];
    size_t chosen[MAX_CHOSEN], len = 0;
    agentsched_cover_summary se, sh;
    agentsched_cover_problem p;
    double opt;
    memset(total, 0, sizeof total);
    for (i = 0; i < n; i++) {
      counts[i] = 1 + rnd(max_count);
      costs[i] = rnd(2) ? (double)rnd(13) : (double)rnd(10000) / 997.0;
      for (k = 0; k < d; k++) {
        caps[i * d + k] = rnd(21);
        total[k] += caps[i * d + k] * counts[i];
      }
    }
    /* Up to 110% of the total: some instances are infeasible. */
    for (k = 0; k < d; k++) demand[k] = total[k] * rnd(111) / 100;
    p = problem(n, d, caps, costs, max_count > 1 ? counts : NULL, demand);
    opt = brute_force(&p);
    if (opt < 0) {
      memset(&se, SENTINEL, sizeof se);
      EXPECT(agentsched_cover_exact(&p, 0, 0, chosen, MAX_CHOSEN, &len, &se), UNCOVERABLE);
      EXPECT(agentsched_cover_heuristic(&p, 0, chosen, MAX_CHOSEN, &len, &se), UNCOVERABLE);
      CHECK(all_bytes(&se, sizeof se, SENTINEL));
      continue;
    }
    EXPECT(agentsched_cover_exact(&p, 0, 0, chosen, MAX_CHOSEN, &len, &se), OK);
    CHECK(close_to(check_cover(&p, chosen, len, &se), opt));
    CHECK(se.proven_optimal);
    CHECK(close_to(se.cost, opt));
    EXPECT(agentsched_cover_heuristic(&p, 0, chosen, MAX_CHOSEN, &len, &sh), OK);
    check_cover(&p, chosen, len, &sh);
    CHECK(sh.cost >= opt - 1e-9 * (opt > 1 ? opt : 1));
    CHECK(sh.lower_bound <= opt + 1e-9 * (opt > 1 ? opt : 1));
    CHECK(sh.nodes == 0);
  }
}

/* A = {1,2,3,4}, B = {1,2,5}, C = {3,4,6}, cost 1 each: the greedy takes A first, but B and C
 * alone cover; the optimum is {B, C} at 2. */
static void set_cover_trap(void) {
  static const uint64_t caps[3 * 6] = {1, 1, 1, 1, 0, 0, /* A */
                                       1, 1, 0, 0, 1, 0, /* B */
                                       0, 0, 1, 1, 0, 1 /* C */};
  static const double costs[3] = {1, 1, 1};
  static const uint64_t demand[6] = {1, 1, 1, 1, 1, 1};
  static const uint32_t ids[3] = {10, 20, 30};
  agentsched_cover_problem p = problem(3, 6, caps, costs, NULL, demand);
  size_t chosen[4], len = 99;
  agentsched_cover_summary s;
  p.ids = ids;
  p.ids_len = 3;
  EXPECT(agentsched_cover_exact(&p, 0, 0, chosen, 4, &len, &s), OK);
  CHECK(len == 2 && chosen[0] == 1 && chosen[1] == 2);
  CHECK(s.cost == 2.0 && s.proven_optimal && s.gap == 0.0);
  check_cover(&p, chosen, len, &s);
  EXPECT(agentsched_cover_heuristic(&p, 0, chosen, 4, &len, &s), OK);
  CHECK(len == 2 && chosen[0] == 1 && chosen[1] == 2);
  check_cover(&p, chosen, len, &s);
}

/* Thirty offers in three dimensions, a node budget of 1: a valid cover and a bound no larger
 * than the optimum found without a budget. */
static void stopped_search(void) {
  uint64_t caps[30 * 3], demand[3] = {0, 0, 0};
  double costs[30];
  size_t chosen[64], len = 0, i, k;
  agentsched_cover_summary full, cut;
  agentsched_cover_problem p;
  for (i = 0; i < 30; i++) {
    uint64_t sum = 0;
    for (k = 0; k < 3; k++) {
      caps[i * 3 + k] = 1 + rnd(32);
      sum += caps[i * 3 + k];
      demand[k] += caps[i * 3 + k];
    }
    costs[i] = (double)sum * (0.5 + rnd(100) / 100.0);
  }
  for (k = 0; k < 3; k++) demand[k] = demand[k] * 2 / 5;
  p = problem(30, 3, caps, costs, NULL, demand);
  EXPECT(agentsched_cover_exact(&p, 0, 0, chosen, 64, &len, &full), OK);
  check_cover(&p, chosen, len, &full);
  CHECK(full.proven_optimal);
  EXPECT(agentsched_cover_exact(&p, 1, 0, chosen, 64, &len, &cut), OK);
  check_cover(&p, chosen, len, &cut);
  CHECK(cut.nodes <= 1);
  CHECK(cut.cost >= full.cost - 1e-9 * full.cost);
  CHECK(cut.lower_bound <= full.cost + 1e-9 * full.cost);
  /* A time limit gives some valid cover too. */
  EXPECT(agentsched_cover_exact(&p, 0, 1, chosen, 64, &len, &cut), OK);
  check_cover(&p, chosen, len, &cut);
  EXPECT(agentsched_cover_heuristic(&p, 1, chosen, 64, &len, &cut), OK);
  check_cover(&p, chosen, len, &cut);
}

static void buffers_and_edges(void) {
  /* Two copies of a (3, 1) node and one (2, 2) node; demand (6, 2): two copies of the first
   * (cost 2) beat anything with the second (cost 5). */
  static const uint64_t caps[2 * 2] = {3, 1, 2, 2};
  static const double costs[2] = {1.0, 5.0};
  static const uint32_t counts[2] = {2, 1};
  static const uint64_t demand[2] = {6, 2};
  agentsched_cover_problem p = problem(2, 2, caps, costs, counts, demand);
  size_t chosen[4], len = 0;
  agentsched_cover_summary s;

  /* Size query, then a buffer one too small, then the right size. */
  memset(&s, SENTINEL, sizeof s);
  EXPECT(agentsched_cover_exact(&p, 0, 0, NULL, 0, &len, &s), TOO_SMALL);
  CHECK(len == 2);
  CHECK(all_bytes(&s, sizeof s, SENTINEL));
  memset(chosen, SENTINEL, sizeof chosen);
  EXPECT(agentsched_cover_heuristic(&p, 0, chosen, 1, &len, &s), TOO_SMALL);
  CHECK(len == 2);
  CHECK(all_bytes(chosen, sizeof chosen, SENTINEL));
  CHECK(all_bytes(&s, sizeof s, SENTINEL));
  EXPECT(agentsched_cover_exact(&p, 0, 0, chosen, 2, &len, &s), OK);
  CHECK(len == 2 && chosen[0] == 0 && chosen[1] == 0 && s.cost == 2.0);
  check_cover(&p, chosen, len, &s);

  /* Zero demand: the empty choice at cost 0, with a NULL buffer. */
  {
    static const uint64_t zero[2] = {0, 0};
    agentsched_cover_problem z = problem(2, 2, caps, costs, counts, zero);
    agentsched_cover_problem none = problem(0, 2, NULL, NULL, NULL, zero);
    len = 7;
    EXPECT(agentsched_cover_exact(&z, 0, 0, NULL, 0, &len, &s), OK);
    CHECK(len == 0 && s.cost == 0.0 && s.lower_bound == 0.0 && s.proven_optimal);
    len = 7;
    EXPECT(agentsched_cover_heuristic(&none, 0, NULL, 0, &len, &s), OK);
    CHECK(len == 0 && s.cost == 0.0);
    none.demand = demand;
    EXPECT(agentsched_cover_heuristic(&none, 0, NULL, 0, &len, &s), UNCOVERABLE);
  }
  /* Zero copies: the offer is unavailable. */
  {
    static const uint32_t no_second[2] = {2, 0};
    agentsched_cover_problem q = problem(2, 2, caps, costs, no_second, demand);
    EXPECT(agentsched_cover_exact(&q, 0, 0, chosen, 4, &len, &s), OK);
    CHECK(len == 2 && chosen[0] == 0 && chosen[1] == 0);
    q.counts = NULL;
    q.counts_len = 0; /* one copy each: (5, 3) < (6, 2) in dimension 0 */
    memset(&s, SENTINEL, sizeof s);
    EXPECT(agentsched_cover_exact(&q, 0, 0, chosen, 4, &len, &s), UNCOVERABLE);
    CHECK(all_bytes(&s, sizeof s, SENTINEL));
  }
}

static void hostile(void) {
  static const uint64_t caps[2 * 2] = {3, 1, 2, 2};
  static const uint32_t counts[2] = {2, 1};
  static const uint64_t demand[2] = {6, 2};
  double costs[2] = {1.0, 5.0};
  agentsched_cover_problem good = problem(2, 2, caps, costs, counts, demand), p;
  size_t chosen[4], len;
  agentsched_cover_summary s;

#define EXPECT_BOTH(prob, want)                                                               \
  do {                                                                                        \
    memset(chosen, SENTINEL, sizeof chosen);                                                 \
    memset(&s, SENTINEL, sizeof s);                                                          \
    len = 12345;                                                                              \
    EXPECT(agentsched_cover_exact((prob), 0, 0, chosen, 4, &len, &s), (want));               \
    EXPECT(agentsched_cover_heuristic((prob), 0, chosen, 4, &len, &s), (want));              \
    CHECK(len == 12345);                                                                      \
    CHECK(all_bytes(chosen, sizeof chosen, SENTINEL));                                       \
    CHECK(all_bytes(&s, sizeof s, SENTINEL));                                                \
  } while (0)

  EXPECT_BOTH(NULL, NULLP);
  EXPECT(agentsched_cover_exact(&good, 0, 0, chosen, 4, NULL, &s), NULLP);
  EXPECT(agentsched_cover_exact(&good, 0, 0, chosen, 4, &len, NULL), NULLP);
  EXPECT(agentsched_cover_heuristic(&good, 0, chosen, 4, NULL, &s), NULLP);
  EXPECT(agentsched_cover_heuristic(&good, 0, chosen, 4, &len, NULL), NULLP);

  p = good;
  p.capacities = NULL;
  EXPECT_BOTH(&p, NULLP);
  p = good;
  p.costs = NULL;
  EXPECT_BOTH(&p, NULLP);
  p = good;
  p.demand = NULL;
  EXPECT_BOTH(&p, NULLP);
  p = good;
  p.counts_len = 5; /* with a non-NULL counts: wrong length */
  EXPECT_BOTH(&p, DIMS_BAD);
  p = good;
  p.counts = NULL; /* NULL with a non-zero length */
  EXPECT_BOTH(&p, NULLP);
  p = good;
  p.ids_len = 2; /* NULL ids with a length */
  EXPECT_BOTH(&p, NULLP);

  /* Dimension mismatches. */
  p = good;
  p.demand_len = 1;
  EXPECT_BOTH(&p, DIMS_BAD);
  p = good;
  p.capacities_len = 3;
  EXPECT_BOTH(&p, DIMS_BAD);
  p = good;
  p.dims = 1; /* capacities now hold 4 values for 2 offers of 1 dimension */
  p.demand_len = 1;
  EXPECT_BOTH(&p, DIMS_BAD);
  {
    static const uint32_t one_id[1] = {4};
    p = good;
    p.ids = one_id;
    p.ids_len = 1;
    EXPECT_BOTH(&p, DIMS_BAD);
  }
  /* A length no array can have. */
  p = good;
  p.capacities_len = SIZE_MAX;
  EXPECT_BOTH(&p, INVAL);

  /* Bad costs and ids. */
  {
    const double bad[4] = {NAN, INFINITY, -INFINITY, -1.0};
    int i;
    for (i = 0; i < 4; i++) {
      p = good;
      costs[1] = bad[i];
      EXPECT_BOTH(&p, INVAL);
    }
    costs[1] = 5.0;
  }
  {
    static const uint32_t dup[2] = {7, 7};
    p = good;
    p.ids = dup;
    p.ids_len = 2;
    EXPECT_BOTH(&p, INVAL);
  }
  {
    double huge[2] = {1e308, 1e308};
    p = good;
    p.costs = huge; /* 3 copies in all: the total cost is infinite */
    EXPECT_BOTH(&p, INVAL);
  }
  /* Capacity sums past 2^64 - 1. */
  {
    static const uint64_t big[2 * 2] = {1, UINT64_MAX / 2 + 1, 1, UINT64_MAX / 2 + 1};
    static const uint32_t ones[2] = {1, 1};
    p = problem(2, 2, big, costs, ones, demand);
    EXPECT_BOTH(&p, OVERFLOW);
  }
  /* Infeasible demand. */
  {
    static const uint64_t too_much[2] = {6, 100};
    p = good;
    p.demand = too_much;
    EXPECT_BOTH(&p, UNCOVERABLE);
  }
  CHECK(strcmp(agentsched_status_str(UNCOVERABLE), "demand cannot be covered") == 0);
  /* The good problem still solves after all that. */
  EXPECT(agentsched_cover_exact(&good, 0, 0, chosen, 4, &len, &s), OK);
  check_cover(&good, chosen, len, &s);
#undef EXPECT_BOTH
}

int main(void) {
  random_instances(300, 10, 1);
  random_instances(150, 5, 3);
  set_cover_trap();
  stopped_search();
  buffers_and_edges();
  hostile();
  return CHECK_SUMMARY("cover_test");
}
