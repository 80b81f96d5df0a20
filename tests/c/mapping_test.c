/*
 * The batch-mapping part of the C ABI of agentsched, tested from C: ETC matrices, the eight
 * heuristics by name, local search, the portfolio, lower bounds, load balancing and migration
 * plans.
 *
 * Every result is checked against what C recomputes from scratch: a mapping's completion times
 * and makespan from its assignment (bit for bit: the library sums each machine's tasks in task
 * order from its ready time, and so does this file); a balance's per-agent usage, capacities and
 * loads from its assignment; a migration plan by replaying every move and checking capacities
 * after each one. Hostile arguments: NaN / infinite / zero / negative times, wrong lengths, zero
 * machines, NULL with non-zero lengths, lengths too large for memory, unknown heuristic names,
 * bad start assignments, duplicate and unknown ids, dimension mismatches, pinned tasks over
 * capacity, too-small buffers (the size needed is reported and nothing else is written), NULL
 * handles and free(NULL). A failed call leaves its outputs untouched (pre-filled sentinels).
 *
 * Prints one summary line and exits non-zero on any failure.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/mapping_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o mapping_test
 */
#include "agentsched.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the harness ------------------------------------------------------------------------ */

static unsigned g_checks, g_failed, g_hostile;

static void check_true(int ok, const char *what, int line) {
  g_checks++;
  if (!ok) {
    g_failed++;
    fprintf(stderr, "FAIL line %d: %s\n", line, what);
  }
}

static void expect_status(agentsched_status got, agentsched_status want, const char *expr,
                          int line) {
  g_checks++;
  if (want != AGENTSCHED_STATUS_OK) g_hostile++;
  if (got != want) {
    g_failed++;
    fprintf(stderr, "FAIL line %d: %s\n  got %s (%u), want %s (%u)\n", line, expr,
            agentsched_status_str(got), (unsigned)got, agentsched_status_str(want),
            (unsigned)want);
  }
}

#define CHECK(cond) check_true((cond) ? 1 : 0, #cond, __LINE__)
#define EXPECT(call, want) expect_status((call), (want), #call, __LINE__)
#define OK AGENTSCHED_STATUS_OK
#define NULLP AGENTSCHED_STATUS_NULL_POINTER
#define INVAL AGENTSCHED_STATUS_INVALID_ARGUMENT
#define TOO_SMALL AGENTSCHED_STATUS_BUFFER_TOO_SMALL
#define BAD_NUMBER AGENTSCHED_STATUS_INVALID_NUMBER
#define DIMS_BAD AGENTSCHED_STATUS_DIMENSION_MISMATCH
#define BAD_CONFIG AGENTSCHED_STATUS_INVALID_CONFIG

#define SENTINEL 0xA5
#define HUGE_LEN SIZE_MAX

static int all_bytes(const void *p, size_t n, unsigned char v) {
  const unsigned char *b = p;
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i] != v) return 0;
  return 1;
}

/* A properly aligned object whose address serves as a sentinel handle value. */
static union {
  void *p;
  long double d;
  uint64_t u;
} g_sentinel_obj;
#define SENTINEL_ETC ((agentsched_etc *)(void *)&g_sentinel_obj)
#define SENTINEL_MAPPING ((agentsched_mapping *)(void *)&g_sentinel_obj)
#define SENTINEL_BALANCE ((agentsched_balance_result *)(void *)&g_sentinel_obj)
#define SENTINEL_MIGRATION ((agentsched_migration_result *)(void *)&g_sentinel_obj)

static uint64_t g_rng = 0x2545f4914f6cdd1du;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng % n);
}

static const char *const HEURISTICS[] = {"olb",    "met",       "mct", "min-min",
                                         "max-min", "duplex", "sufferage", "lpt"};
#define N_HEURISTICS (sizeof HEURISTICS / sizeof HEURISTICS[0])

/* ---- ETC helpers ------------------------------------------------------------------------ */

/* The handle's last error, read with the size protocol (which is checked on the way). */
static char *etc_error(const agentsched_etc *h, int line) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
  agentsched_status s = agentsched_etc_last_error(h, NULL, 0, &len);
  check_true(s == TOO_SMALL && len != (size_t)-1, "etc_last_error(NULL, 0) reports the size",
             line);
  if (s != TOO_SMALL) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  memset(msg, SENTINEL, len + 1);
  if (len > 0) {
    s = agentsched_etc_last_error(h, msg, len, &len2);
    check_true(s == TOO_SMALL && len2 == len && all_bytes(msg, len + 1, SENTINEL),
               "etc_last_error(cap = len) is too small and writes nothing", line);
  }
  s = agentsched_etc_last_error(h, msg, len + 1, &len2);
  check_true(s == OK && len2 == len && msg[len] == '\0' && strlen(msg) == len,
             "etc_last_error(cap = len + 1) succeeds", line);
  return msg;
}

static void expect_etc_error(const agentsched_etc *h, const char *needle, int line) {
  char *msg = etc_error(h, line);
  char what[512];
  snprintf(what, sizeof what, "etc_last_error mentions \"%s\" (got \"%s\")", needle ? needle : "",
           msg ? msg : "(none)");
  check_true(msg != NULL && msg[0] != '\0' && (needle == NULL || strstr(msg, needle) != NULL),
             what, line);
  free(msg);
}
#define EXPECT_ETC_ERROR(h, needle) expect_etc_error((h), (needle), __LINE__)

static agentsched_etc *new_etc(size_t n, size_t m, const double *etc, const double *ready) {
  agentsched_etc *h = NULL;
  agentsched_status s = agentsched_etc_new(n, m, etc, n * m, ready, ready ? m : 0, &h);
  check_true(s == OK && h != NULL, "fixture: etc_new", __LINE__);
  return h;
}

/* etc_new must fail with `want` and leave `*out` as it was. */
static void expect_etc_new_fails(size_t n, size_t m, const double *etc, size_t etc_len,
                                 const double *ready, size_t ready_len, agentsched_status want,
                                 int line) {
  agentsched_etc *out = SENTINEL_ETC;
  expect_status(agentsched_etc_new(n, m, etc, etc_len, ready, ready_len, &out), want, "etc_new",
                line);
  check_true(out == SENTINEL_ETC, "etc_new left *out untouched", line);
  if (out != SENTINEL_ETC && out != NULL) agentsched_etc_free(out);
}
#define EXPECT_ETC_NEW_FAILS(n, m, etc, etc_len, ready, ready_len, want) \
  expect_etc_new_fails((n), (m), (etc), (etc_len), (ready), (ready_len), (want), __LINE__)

/* A mapping's assignment and completion times, read with the size protocol; NULL on failure. */
static size_t *assignment_of(const agentsched_mapping *m, size_t n, int line) {
  size_t len = (size_t)-1;
  size_t *a = malloc((n + 1) * sizeof *a);
  if (a == NULL) return NULL;
  check_true(agentsched_mapping_assignment(m, NULL, 0, &len) == (n ? TOO_SMALL : OK) && len == n,
             "mapping_assignment(NULL, 0) reports the number of tasks", line);
  memset(a, SENTINEL, (n + 1) * sizeof *a);
  if (agentsched_mapping_assignment(m, a, n + 1, &len) != OK || len != n) {
    check_true(0, "mapping_assignment succeeds with room", line);
    free(a);
    return NULL;
  }
  check_true(all_bytes(a + n, sizeof *a, SENTINEL), "mapping_assignment writes n values only",
             line);
  return a;
}

static double *completion_of(const agentsched_mapping *m, size_t machines, int line) {
  size_t len = (size_t)-1;
  double *c = malloc(machines * sizeof *c);
  if (c == NULL) return NULL;
  if (agentsched_mapping_completion(m, c, machines, &len) != OK || len != machines) {
    check_true(0, "mapping_completion succeeds with room", line);
    free(c);
    return NULL;
  }
  return c;
}

static double makespan_of(const agentsched_mapping *m) {
  double ms = NAN;
  EXPECT(agentsched_mapping_makespan(m, &ms), OK);
  return ms;
}

/* Completion times and makespan recomputed from scratch; 0 if the assignment is out of range. */
static int recompute(const double *etc, const double *ready, size_t n, size_t machines,
                     const size_t *assign, double *completion, double *makespan) {
  size_t t, p;
  double ms = 0.0;
  for (p = 0; p < machines; p++) completion[p] = ready ? ready[p] : 0.0;
  for (t = 0; t < n; t++) {
    if (assign[t] >= machines) return 0;
    completion[assign[t]] += etc[t * machines + assign[t]];
  }
  for (p = 0; p < machines; p++)
    if (completion[p] > ms) ms = completion[p];
  *makespan = ms;
  return 1;
}

/* Checks a mapping against the recomputation; returns its makespan. */
static double check_mapping(const agentsched_mapping *m, const double *etc, const double *ready,
                            size_t n, size_t machines, const char *what, int line) {
  size_t *a = assignment_of(m, n, line);
  double *c = completion_of(m, machines, line);
  double *mine = malloc(machines * sizeof *mine);
  double ms = makespan_of(m), my_ms = -1.0;
  char buf[256];
  int ok = a != NULL && c != NULL && mine != NULL &&
           recompute(etc, ready, n, machines, a, mine, &my_ms);
  snprintf(buf, sizeof buf, "%s: assignment in range, completion and makespan recomputed", what);
  check_true(ok && ms == my_ms && memcmp(c, mine, machines * sizeof *c) == 0, buf, line);
  free(a);
  free(c);
  free(mine);
  return ms;
}
#define CHECK_MAPPING(m, etc, ready, n, machines, what) \
  check_mapping((m), (etc), (ready), (n), (machines), (what), __LINE__)

/* ---- ETC matrices --------------------------------------------------------------------------- */

static void test_etc_new(void) {
  const double good[6] = {4.0, 6.0, 4.0, 6.0, 5.0, 2.0};
  const double ready[2] = {0.0, 1.5};
  const double bad_values[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, -1.0};
  const double bad_ready[] = {NAN, INFINITY, -INFINITY, -1.0, -1e-300};
  double etc[6];
  agentsched_etc *h = NULL;
  size_t n = 99, m = 99, i;

  EXPECT(agentsched_etc_new(3, 2, good, 6, ready, 2, &h), OK);
  EXPECT(agentsched_etc_shape(h, &n, &m), OK);
  CHECK(n == 3 && m == 2);
  {
    /* No failure yet: an empty message. */
    char msg[4] = {'x', 'x', 'x', 'x'};
    size_t len = 99;
    EXPECT(agentsched_etc_last_error(h, msg, sizeof msg, &len), OK);
    CHECK(len == 0 && msg[0] == '\0');
  }
  agentsched_etc_free(h);

  /* Each bad time, in each cell. */
  for (i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
    size_t cell;
    for (cell = 0; cell < 6; cell++) {
      memcpy(etc, good, sizeof etc);
      etc[cell] = bad_values[i];
      EXPECT_ETC_NEW_FAILS(3, 2, etc, 6, NULL, 0, BAD_NUMBER);
    }
  }
  /* Bad ready times; zero is fine. */
  for (i = 0; i < sizeof bad_ready / sizeof bad_ready[0]; i++) {
    double r[2] = {0.0, 0.0};
    r[1] = bad_ready[i];
    EXPECT_ETC_NEW_FAILS(3, 2, good, 6, r, 2, BAD_NUMBER);
  }
  /* Wrong lengths. */
  EXPECT_ETC_NEW_FAILS(3, 2, good, 5, NULL, 0, DIMS_BAD);
  EXPECT_ETC_NEW_FAILS(2, 2, good, 6, NULL, 0, DIMS_BAD);
  EXPECT_ETC_NEW_FAILS(3, 2, good, 0, NULL, 0, DIMS_BAD);
  EXPECT_ETC_NEW_FAILS(3, 2, good, 6, ready, 1, DIMS_BAD);
  EXPECT_ETC_NEW_FAILS(3, 2, good, 6, ready, 0, DIMS_BAD); /* non-NULL ready, empty */
  EXPECT_ETC_NEW_FAILS(2, 3, good, 6, ready, 2, DIMS_BAD);
  /* Zero machines, too many machines, a cell count that overflows. */
  EXPECT_ETC_NEW_FAILS(3, 0, good, 0, NULL, 0, BAD_CONFIG);
  EXPECT_ETC_NEW_FAILS(0, 0, NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_ETC_NEW_FAILS(0, (size_t)1 << 25, NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_ETC_NEW_FAILS(0, SIZE_MAX, NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_ETC_NEW_FAILS(SIZE_MAX, 2, good, 6, NULL, 0, AGENTSCHED_STATUS_OVERFLOW);
  /* NULL pointers with non-zero lengths, NULL out, lengths too large for memory. */
  EXPECT_ETC_NEW_FAILS(3, 2, NULL, 6, NULL, 0, NULLP);
  EXPECT_ETC_NEW_FAILS(3, 2, good, 6, NULL, 2, NULLP);
  EXPECT(agentsched_etc_new(3, 2, good, 6, NULL, 0, NULL), NULLP);
  EXPECT_ETC_NEW_FAILS(3, 2, good, HUGE_LEN, NULL, 0, INVAL);
  EXPECT_ETC_NEW_FAILS(3, 2, good, 6, ready, HUGE_LEN, INVAL);

  /* No tasks: a valid matrix (NULL etc with length 0); every mapping is empty. */
  h = NULL;
  EXPECT(agentsched_etc_new(0, 2, NULL, 0, ready, 2, &h), OK);
  if (h != NULL) {
    agentsched_mapping *mp = NULL;
    double c[2];
    size_t len = 99;
    EXPECT(agentsched_map_heuristic(h, "min-min", &mp), OK);
    EXPECT(agentsched_mapping_assignment(mp, NULL, 0, &len), OK);
    CHECK(len == 0);
    EXPECT(agentsched_mapping_completion(mp, c, 2, &len), OK);
    CHECK(len == 2 && c[0] == 0.0 && c[1] == 1.5 && makespan_of(mp) == 1.5);
    agentsched_mapping_free(mp);
    mp = NULL;
    EXPECT(agentsched_map_improve(h, NULL, 0, 100, 0, 1, &mp), OK);
    CHECK(makespan_of(mp) == 1.5);
    agentsched_mapping_free(mp);
    mp = NULL;
    EXPECT(agentsched_map_best(h, 100, 0, 1, &mp), OK);
    CHECK(makespan_of(mp) == 1.5);
    agentsched_mapping_free(mp);
    agentsched_etc_free(h);
  }
  /* One machine, with 0 ready time explicitly. */
  {
    const double one[3] = {1.0, 2.0, 3.0};
    const double r0[1] = {0.0};
    agentsched_mapping *mp = NULL;
    h = new_etc(3, 1, one, r0);
    EXPECT(agentsched_map_best(h, 100, 0, 1, &mp), OK);
    CHECK(CHECK_MAPPING(mp, one, r0, 3, 1, "one machine") == 6.0);
    agentsched_mapping_free(mp);
    agentsched_etc_free(h);
  }
  agentsched_etc_free(NULL);
}

/* Min-Min and Max-Min on a matrix small enough to follow by hand:
 *
 *        m0  m1
 *   t0    2   4
 *   t1    3   1
 *   t2    5   6
 *
 * Min-Min: earliest completions t0 2 (m0), t1 1 (m1), t2 5 (m0): t1 -> m1 (m1 = 1). Then t0 2
 * (m0), t2 5 (m0): t0 -> m0 (m0 = 2). Then t2: m0 2+5 = 7, m1 1+6 = 7, a tie: m0. Assignment
 * (0, 1, 0), completions (7, 1), makespan 7.
 * Max-Min: the largest earliest completion first: t2 5 (m0) -> m0 (m0 = 5). Then t0 4 (m1), t1
 * 1 (m1): t0 -> m1 (m1 = 4). Then t1: m0 8, m1 5: m1. Assignment (1, 1, 0), completions (5, 5),
 * makespan 5, which is optimal: t2 alone takes 5 (the lower bound). */
static void test_by_hand(void) {
  const double etc[6] = {2.0, 4.0, 3.0, 1.0, 5.0, 6.0};
  agentsched_etc *h = new_etc(3, 2, etc, NULL);
  agentsched_mapping *m = NULL;
  agentsched_bounds b;
  size_t a[3];
  double c[2];
  size_t len = 0;

  EXPECT(agentsched_map_heuristic(h, "min-min", &m), OK);
  EXPECT(agentsched_mapping_assignment(m, a, 3, &len), OK);
  CHECK(len == 3 && a[0] == 0 && a[1] == 1 && a[2] == 0);
  EXPECT(agentsched_mapping_completion(m, c, 2, &len), OK);
  CHECK(len == 2 && c[0] == 7.0 && c[1] == 1.0);
  CHECK(makespan_of(m) == 7.0);
  agentsched_mapping_free(m);

  m = NULL;
  EXPECT(agentsched_map_heuristic(h, "max-min", &m), OK);
  EXPECT(agentsched_mapping_assignment(m, a, 3, &len), OK);
  CHECK(len == 3 && a[0] == 1 && a[1] == 1 && a[2] == 0);
  EXPECT(agentsched_mapping_completion(m, c, 2, &len), OK);
  CHECK(len == 2 && c[0] == 5.0 && c[1] == 5.0);
  agentsched_mapping_free(m);

  m = NULL;
  EXPECT(agentsched_map_best(h, 1000, 0, 3, &m), OK);
  CHECK(makespan_of(m) == 5.0);
  agentsched_mapping_free(m);

  memset(&b, SENTINEL, sizeof b);
  EXPECT(agentsched_map_lower_bound(h, 100, &b), OK);
  CHECK(b.longest_task == 5.0 && b.best == 5.0 && b.lagrangian <= 5.0);
  agentsched_etc_free(h);
}

#define NT 24
#define NM 5

static void random_matrix(double *etc, double *ready, size_t n, size_t m) {
  size_t i;
  for (i = 0; i < n * m; i++) etc[i] = 1.0 + (double)rnd(1000) / 8.0; /* exact in binary */
  for (i = 0; i < m; i++) ready[i] = (double)rnd(4) * 2.5;
}

/* Every heuristic by name on random matrices: results recomputed in C; improvement never worse;
 * the portfolio never worse than any heuristic; the lower bound below everything. */
static void test_heuristics_improve_best(void) {
  double etc[NT * NM], ready[NM];
  size_t round;
  for (round = 0; round < 4; round++) {
    agentsched_etc *h;
    agentsched_mapping *best = NULL;
    agentsched_bounds b, b0;
    double best_ms, worst_heuristic = 0.0, min_heuristic = INFINITY;
    size_t i;
    const double *rd = round % 2 ? ready : NULL;
    random_matrix(etc, ready, NT, NM);
    h = new_etc(NT, NM, etc, rd);
    if (h == NULL) return;
    EXPECT(agentsched_map_lower_bound(h, 200, &b), OK);
    EXPECT(agentsched_map_lower_bound(h, 0, &b0), OK);
    CHECK(b.best == (b.longest_task > b.lagrangian ? b.longest_task : b.lagrangian));
    CHECK(b0.best <= b.best);
    EXPECT(agentsched_map_best(h, 3000, 0, 11, &best), OK);
    best_ms = CHECK_MAPPING(best, etc, rd, NT, NM, "best");
    CHECK(b.best <= best_ms && b0.best <= best_ms);

    for (i = 0; i < N_HEURISTICS; i++) {
      agentsched_mapping *m = SENTINEL_MAPPING, *better = NULL, *again = NULL;
      size_t *start;
      double ms, better_ms;
      EXPECT(agentsched_map_heuristic(h, HEURISTICS[i], &m), OK);
      CHECK(m != SENTINEL_MAPPING && m != NULL);
      ms = CHECK_MAPPING(m, etc, rd, NT, NM, HEURISTICS[i]);
      CHECK(best_ms <= ms);
      CHECK(b.best <= ms);
      if (ms > worst_heuristic) worst_heuristic = ms;
      if (ms < min_heuristic) min_heuristic = ms;
      /* Improve from the heuristic's own assignment: never worse, deterministic per seed. */
      start = assignment_of(m, NT, __LINE__);
      if (start != NULL) {
        size_t *a1, *a2;
        EXPECT(agentsched_map_improve(h, start, NT, 500, 0, 5, &better), OK);
        EXPECT(agentsched_map_improve(h, start, NT, 500, 0, 5, &again), OK);
        better_ms = CHECK_MAPPING(better, etc, rd, NT, NM, "improve");
        CHECK(better_ms <= ms);
        CHECK(b.best <= better_ms);
        a1 = assignment_of(better, NT, __LINE__);
        a2 = assignment_of(again, NT, __LINE__);
        CHECK(a1 != NULL && a2 != NULL && memcmp(a1, a2, NT * sizeof *a1) == 0);
        CHECK(makespan_of(again) == better_ms);
        free(a1);
        free(a2);
        free(start);
      }
      agentsched_mapping_free(again);
      agentsched_mapping_free(better);
      agentsched_mapping_free(m);
    }
    CHECK(best_ms <= min_heuristic && min_heuristic <= worst_heuristic);

    /* Improve from everything on machine 0, with and without a time limit. */
    {
      size_t start[NT];
      double mine[NM], start_ms = 0.0;
      agentsched_mapping *m = NULL;
      for (i = 0; i < NT; i++) start[i] = 0;
      recompute(etc, rd, NT, NM, start, mine, &start_ms);
      EXPECT(agentsched_map_improve(h, start, NT, 2000, 0, 1, &m), OK);
      CHECK(CHECK_MAPPING(m, etc, rd, NT, NM, "improve all-on-0") < start_ms);
      agentsched_mapping_free(m);
      m = NULL;
      EXPECT(agentsched_map_improve(h, start, NT, 1000000, 5, 1, &m), OK);
      CHECK(CHECK_MAPPING(m, etc, rd, NT, NM, "improve, 5 ms") <= start_ms);
      agentsched_mapping_free(m);
      m = NULL;
      EXPECT(agentsched_map_improve(h, start, NT, 0, 0, 1, &m), OK);
      CHECK(CHECK_MAPPING(m, etc, rd, NT, NM, "improve, 0 iterations") <= start_ms);
      agentsched_mapping_free(m);
      m = NULL;
      EXPECT(agentsched_map_best(h, 1000000, 5, 2, &m), OK);
      CHECK(CHECK_MAPPING(m, etc, rd, NT, NM, "best, 5 ms") <= min_heuristic);
      agentsched_mapping_free(m);
    }
    agentsched_mapping_free(best);
    agentsched_etc_free(h);
  }
}

static void test_mapping_errors(void) {
  static const char BAD_UTF8[] = {'m', 'i', 'n', (char)0xff, '\0'};
  const char *unknown[] = {"min_min", "Min-Min", "", "mct ", "heft", "minmin", "max-min-"};
  double etc[NT * NM], ready[NM];
  agentsched_etc *h;
  agentsched_mapping *m = SENTINEL_MAPPING, *ref = NULL;
  size_t start[NT + 1], i;
  double ref_ms;

  random_matrix(etc, ready, NT, NM);
  h = new_etc(NT, NM, etc, ready);
  if (h == NULL) return;
  EXPECT(agentsched_map_heuristic(h, "sufferage", &ref), OK);
  ref_ms = makespan_of(ref);

  /* Unknown names: INVALID_ARGUMENT, a message naming the name and the known ones. */
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    EXPECT(agentsched_map_heuristic(h, unknown[i], &m), INVAL);
    CHECK(m == SENTINEL_MAPPING);
    EXPECT_ETC_ERROR(h, "unknown heuristic");
    EXPECT_ETC_ERROR(h, "min-min, max-min");
  }
  EXPECT(agentsched_map_heuristic(h, "min_min", &m), INVAL);
  EXPECT_ETC_ERROR(h, "`min_min`");
  EXPECT(agentsched_map_heuristic(h, BAD_UTF8, &m), INVAL);
  EXPECT_ETC_ERROR(h, "UTF-8");
  EXPECT(agentsched_map_heuristic(h, NULL, &m), NULLP);
  EXPECT_ETC_ERROR(h, "null pointer");
  EXPECT(agentsched_map_heuristic(h, "mct", NULL), NULLP);
  CHECK(m == SENTINEL_MAPPING);

  /* Bad start assignments. */
  for (i = 0; i < NT + 1; i++) start[i] = i % NM;
  start[3] = NM; /* out of range */
  EXPECT(agentsched_map_improve(h, start, NT, 100, 0, 1, &m), BAD_CONFIG);
  EXPECT_ETC_ERROR(h, "assignment");
  start[3] = SIZE_MAX;
  EXPECT(agentsched_map_improve(h, start, NT, 100, 0, 1, &m), BAD_CONFIG);
  start[3] = 0;
  EXPECT(agentsched_map_improve(h, start, NT - 1, 100, 0, 1, &m), DIMS_BAD);
  EXPECT_ETC_ERROR(h, "assignment");
  EXPECT(agentsched_map_improve(h, start, NT + 1, 100, 0, 1, &m), DIMS_BAD);
  EXPECT(agentsched_map_improve(h, start, 0, 100, 0, 1, &m), DIMS_BAD);
  EXPECT(agentsched_map_improve(h, NULL, 0, 100, 0, 1, &m), DIMS_BAD);
  EXPECT(agentsched_map_improve(h, NULL, NT, 100, 0, 1, &m), NULLP);
  EXPECT(agentsched_map_improve(h, start, HUGE_LEN, 100, 0, 1, &m), INVAL);
  EXPECT_ETC_ERROR(h, "too large");
  EXPECT(agentsched_map_improve(h, start, NT, 100, 0, 1, NULL), NULLP);
  EXPECT(agentsched_map_best(h, 100, 0, 1, NULL), NULLP);
  EXPECT(agentsched_map_lower_bound(h, 10, NULL), NULLP);
  {
    size_t n = 7, mm = 7;
    EXPECT(agentsched_etc_shape(h, NULL, &mm), NULLP);
    EXPECT(agentsched_etc_shape(h, &n, NULL), NULLP);
    CHECK(n == 7 && mm == 7);
  }
  CHECK(m == SENTINEL_MAPPING);

  /* The handle is unchanged by the failures: the same result as before them. */
  m = NULL;
  EXPECT(agentsched_map_heuristic(h, "sufferage", &m), OK);
  CHECK(makespan_of(m) == ref_ms);
  {
    size_t *a1 = assignment_of(m, NT, __LINE__), *a2 = assignment_of(ref, NT, __LINE__);
    CHECK(a1 != NULL && a2 != NULL && memcmp(a1, a2, NT * sizeof *a1) == 0);
    free(a1);
    free(a2);
  }

  /* Buffers too small: the size needed is reported, nothing else written. */
  {
    size_t a[NT], len = 0;
    double c[NM];
    memset(a, SENTINEL, sizeof a);
    memset(c, SENTINEL, sizeof c);
    EXPECT(agentsched_mapping_assignment(m, a, NT - 1, &len), TOO_SMALL);
    CHECK(len == NT && all_bytes(a, sizeof a, SENTINEL));
    len = 0;
    EXPECT(agentsched_mapping_assignment(m, NULL, NT, &len), TOO_SMALL);
    CHECK(len == NT);
    len = 0;
    EXPECT(agentsched_mapping_completion(m, c, NM - 1, &len), TOO_SMALL);
    CHECK(len == NM && all_bytes(c, sizeof c, SENTINEL));
    len = 0;
    EXPECT(agentsched_mapping_completion(m, NULL, 0, &len), TOO_SMALL);
    CHECK(len == NM);
    EXPECT(agentsched_mapping_assignment(m, a, NT, NULL), NULLP);
    EXPECT(agentsched_mapping_completion(m, c, NM, NULL), NULLP);
    EXPECT(agentsched_mapping_makespan(m, NULL), NULLP);
    CHECK(all_bytes(a, sizeof a, SENTINEL) && all_bytes(c, sizeof c, SENTINEL));
  }
  agentsched_mapping_free(m);
  agentsched_mapping_free(ref);

  /* The last error is kept by a later success. */
  EXPECT(agentsched_map_heuristic(h, "nope", &m), INVAL);
  m = NULL;
  EXPECT(agentsched_map_heuristic(h, "olb", &m), OK);
  EXPECT_ETC_ERROR(h, "`nope`");
  agentsched_mapping_free(m);

  /* A mapping outlives its matrix. */
  m = NULL;
  EXPECT(agentsched_map_heuristic(h, "mct", &m), OK);
  agentsched_etc_free(h);
  CHECK_MAPPING(m, etc, ready, NT, NM, "mct after etc_free");
  agentsched_mapping_free(m);
  agentsched_mapping_free(NULL);
}

/* ---- load balancing ------------------------------------------------------------------------ */

#define BD 3          /* dimensions */
#define MAX_AGENTS 6
#define MAX_TASKS 40

typedef struct {
  uint64_t cap[MAX_AGENTS][BD];
  agentsched_balance_agent agents[MAX_AGENTS];
  size_t n_agents;
  uint64_t demand[MAX_TASKS][BD];
  agentsched_balance_task tasks[MAX_TASKS];
  agentsched_migration_task mtasks[MAX_TASKS];
  size_t n_tasks;
} problem;

static void add_agent(problem *p, uint32_t id, uint64_t c0, uint64_t c1, uint64_t c2) {
  size_t i = p->n_agents++;
  p->cap[i][0] = c0;
  p->cap[i][1] = c1;
  p->cap[i][2] = c2;
  p->agents[i].id = id;
  p->agents[i].capacity = p->cap[i];
  p->agents[i].capacity_len = BD;
}

static void add_task(problem *p, uint32_t id, uint64_t d0, uint64_t d1, uint64_t d2) {
  size_t i = p->n_tasks++;
  p->demand[i][0] = d0;
  p->demand[i][1] = d1;
  p->demand[i][2] = d2;
  memset(&p->tasks[i], 0, sizeof p->tasks[i]);
  p->tasks[i].id = id;
  p->tasks[i].demand = p->demand[i];
  p->tasks[i].demand_len = BD;
  memset(&p->mtasks[i], 0, sizeof p->mtasks[i]);
  p->mtasks[i].id = id;
  p->mtasks[i].demand = p->demand[i];
  p->mtasks[i].demand_len = BD;
}

/* Copies `p` into `q`, with `q`'s pointers into its own arrays. */
static void copy_problem(problem *q, const problem *p) {
  size_t i;
  *q = *p;
  for (i = 0; i < q->n_agents; i++) q->agents[i].capacity = q->cap[i];
  for (i = 0; i < q->n_tasks; i++) {
    q->tasks[i].demand = q->demand[i];
    q->mtasks[i].demand = q->demand[i];
  }
}

static long agent_index(const problem *p, uint32_t id) {
  size_t i;
  for (i = 0; i < p->n_agents; i++)
    if (p->agents[i].id == id) return (long)i;
  return -1;
}

static long task_index(const problem *p, uint32_t id) {
  size_t i;
  for (i = 0; i < p->n_tasks; i++)
    if (p->tasks[i].id == id) return (long)i;
  return -1;
}

static double load_of(const uint64_t *used, const uint64_t *cap) {
  double l = 0.0;
  size_t j;
  for (j = 0; j < BD; j++)
    if (cap[j] > 0) l += (double)used[j] / (double)cap[j];
  return l;
}

static int fits(const uint64_t *used, const uint64_t *cap) {
  size_t j;
  for (j = 0; j < BD; j++)
    if (used[j] > cap[j]) return 0;
  return 1;
}

/* Agents sorted by id (the order of the results). */
static void sorted_agents(const problem *p, size_t *order) {
  size_t i, j;
  for (i = 0; i < p->n_agents; i++) order[i] = i;
  for (i = 1; i < p->n_agents; i++)
    for (j = i; j > 0 && p->agents[order[j - 1]].id > p->agents[order[j]].id; j--) {
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
}

/* Checks a balance against the problem: every task placed or unplaced exactly once, pinned tasks
 * on their agent, capacities respected and loads as recomputed, the lower bound below. */
static void check_balance(const problem *p, const agentsched_balance_result *r, int line) {
  agentsched_balance_summary s;
  agentsched_placement pl[MAX_TASKS];
  agentsched_unplaced un[MAX_TASKS];
  agentsched_agent_load loads[MAX_AGENTS];
  uint64_t used[MAX_AGENTS][BD];
  size_t order[MAX_AGENTS];
  int seen[MAX_TASKS];
  size_t n_pl = 0, n_un = 0, n_loads = 0, i, j;
  double max_load = 0.0;
  int ok = 1;

  memset(used, 0, sizeof used);
  memset(seen, 0, sizeof seen);
  sorted_agents(p, order);
  expect_status(agentsched_balance_result_get_summary(r, &s), OK, "balance summary", line);
  expect_status(agentsched_balance_result_assignment(r, pl, MAX_TASKS, &n_pl), OK,
                "balance assignment", line);
  expect_status(agentsched_balance_result_unplaced(r, un, MAX_TASKS, &n_un), OK,
                "balance unplaced", line);
  expect_status(agentsched_balance_result_loads(r, loads, MAX_AGENTS, &n_loads), OK,
                "balance loads", line);
  check_true(s.placed == n_pl && s.unplaced == n_un && s.agents == n_loads &&
                 n_loads == p->n_agents && n_pl + n_un == p->n_tasks,
             "balance: counts agree", line);
  for (i = 0; i < n_pl; i++) {
    long t = task_index(p, pl[i].task), a = agent_index(p, pl[i].agent);
    if (t < 0 || a < 0 || seen[t]) {
      ok = 0;
      continue;
    }
    seen[t] = 1;
    if (i > 0 && pl[i - 1].task >= pl[i].task) ok = 0; /* by increasing task id */
    if (p->tasks[t].has_pinned_to && p->tasks[t].pinned_to != pl[i].agent) ok = 0;
    for (j = 0; j < BD; j++) used[a][j] += p->demand[t][j];
  }
  for (i = 0; i < n_un; i++) {
    long t = task_index(p, un[i].task);
    if (t < 0 || seen[t]) {
      ok = 0;
      continue;
    }
    seen[t] = 1;
    if (un[i].reason == AGENTSCHED_UNPLACED_PINNED_TO_UNKNOWN_AGENT &&
        (!p->tasks[t].has_pinned_to || p->tasks[t].pinned_to != un[i].agent ||
         agent_index(p, un[i].agent) >= 0))
      ok = 0;
    if (un[i].reason == AGENTSCHED_UNPLACED_TOO_LARGE && un[i].shortfalls != p->n_agents) ok = 0;
    if (un[i].reason > AGENTSCHED_UNPLACED_NO_ROOM_LEFT) ok = 0;
  }
  check_true(ok, "balance: each task once, pinned tasks on their agents", line);
  for (i = 0; i < n_loads; i++) {
    size_t a = order[i];
    uint64_t reported[BD];
    size_t len = 0;
    double l = load_of(used[a], p->cap[a]);
    check_true(loads[i].agent == p->agents[a].id, "balance: loads by increasing agent id", line);
    check_true(fits(used[a], p->cap[a]), "balance: capacity respected (recomputed in C)", line);
    check_true(loads[i].load == l, "balance: load recomputed in C", line);
    expect_status(agentsched_balance_result_used(r, i, reported, BD, &len), OK, "balance used",
                  line);
    check_true(len == BD && memcmp(reported, used[a], sizeof reported) == 0,
               "balance: used recomputed in C", line);
    if (l > max_load) max_load = l;
  }
  check_true(s.max_load == max_load, "balance: max load recomputed in C", line);
  check_true(s.lower_bound <= s.max_load, "balance: lower bound <= max load", line);
}
#define CHECK_BALANCE(p, r) check_balance((p), (r), __LINE__)

static void expect_balance_fails(const problem *p, agentsched_status want, int line) {
  agentsched_balance_result *r = SENTINEL_BALANCE;
  expect_status(agentsched_balance(p->agents, p->n_agents, p->tasks, p->n_tasks, NULL, &r), want,
                "balance", line);
  check_true(r == SENTINEL_BALANCE, "balance left *out untouched", line);
  if (r != SENTINEL_BALANCE && r != NULL) agentsched_balance_result_free(r);
}
#define EXPECT_BALANCE_FAILS(p, want) expect_balance_fails((p), (want), __LINE__)

static void test_balance(void) {
  problem p;
  agentsched_balance_result *r = NULL;
  agentsched_balance_summary s;
  agentsched_balance_options o;
  size_t i;

  memset(&p, 0, sizeof p);
  add_agent(&p, 7, 4000, 8192, 0); /* no GPU: takes only GPU demand 0 */
  add_agent(&p, 2, 2000, 4096, 2);
  add_agent(&p, 5, 8000, 16384, 1);
  add_task(&p, 10, 2000, 4096, 0);
  add_task(&p, 3, 1000, 2048, 1);
  add_task(&p, 4, 1000, 2048, 0);
  add_task(&p, 11, 500, 512, 1);
  add_task(&p, 12, 3000, 1024, 0);
  p.tasks[4].has_pinned_to = true; /* task 12 pinned to agent 7 */
  p.tasks[4].pinned_to = 7;
  add_task(&p, 20, 100000, 1, 0); /* fits nowhere: CPU */
  add_task(&p, 21, 1, 1, 1);
  p.tasks[6].has_pinned_to = true; /* pinned to an unknown agent */
  p.tasks[6].pinned_to = 99;

  EXPECT(agentsched_balance(p.agents, p.n_agents, p.tasks, p.n_tasks, NULL, &r), OK);
  CHECK_BALANCE(&p, r);
  EXPECT(agentsched_balance_result_get_summary(r, &s), OK);
  CHECK(s.unplaced == 2 && s.placed == 5);
  {
    agentsched_unplaced un[2];
    agentsched_shortfall sf[MAX_AGENTS];
    size_t len = 0;
    EXPECT(agentsched_balance_result_unplaced(r, un, 2, &len), OK);
    CHECK(len == 2 && un[0].task == 20 && un[0].reason == AGENTSCHED_UNPLACED_TOO_LARGE &&
          un[0].shortfalls == 3);
    CHECK(un[1].task == 21 && un[1].reason == AGENTSCHED_UNPLACED_PINNED_TO_UNKNOWN_AGENT &&
          un[1].agent == 99 && un[1].shortfalls == 0);
    /* Shortfalls by increasing agent id; agent 7 is short of CPU (dimension 0) after its pinned
     * task, like the others. */
    EXPECT(agentsched_balance_result_shortfalls(r, 0, sf, MAX_AGENTS, &len), OK);
    CHECK(len == 3 && sf[0].agent == 2 && sf[1].agent == 5 && sf[2].agent == 7);
    CHECK(sf[0].dimension == 0 && sf[1].dimension == 0 && sf[2].dimension == 0);
    len = 99;
    EXPECT(agentsched_balance_result_shortfalls(r, 1, sf, MAX_AGENTS, &len), OK);
    CHECK(len == 0);
    /* Too small, out of range. */
    memset(sf, SENTINEL, sizeof sf);
    EXPECT(agentsched_balance_result_shortfalls(r, 0, sf, 2, &len), TOO_SMALL);
    CHECK(len == 3 && all_bytes(sf, sizeof sf, SENTINEL));
    EXPECT(agentsched_balance_result_shortfalls(r, 2, sf, MAX_AGENTS, &len), INVAL);
    EXPECT(agentsched_balance_result_shortfalls(r, SIZE_MAX, sf, MAX_AGENTS, &len), INVAL);
    CHECK(all_bytes(sf, sizeof sf, SENTINEL));
  }
  {
    /* Task 3 and 11 need a GPU: never on agent 7 (GPU capacity 0). */
    agentsched_placement pl[MAX_TASKS];
    size_t len = 0;
    EXPECT(agentsched_balance_result_assignment(r, pl, MAX_TASKS, &len), OK);
    for (i = 0; i < len; i++)
      if (pl[i].task == 3 || pl[i].task == 11) CHECK(pl[i].agent != 7);
  }
  {
    /* Buffers too small: the size needed, nothing written. */
    agentsched_placement pl[5];
    agentsched_unplaced un[2];
    agentsched_agent_load lo[3];
    uint64_t used[BD];
    size_t len = 0;
    memset(pl, SENTINEL, sizeof pl);
    memset(un, SENTINEL, sizeof un);
    memset(lo, SENTINEL, sizeof lo);
    memset(used, SENTINEL, sizeof used);
    EXPECT(agentsched_balance_result_assignment(r, pl, 4, &len), TOO_SMALL);
    CHECK(len == 5);
    EXPECT(agentsched_balance_result_assignment(r, NULL, 0, &len), TOO_SMALL);
    CHECK(len == 5);
    EXPECT(agentsched_balance_result_unplaced(r, un, 1, &len), TOO_SMALL);
    CHECK(len == 2);
    EXPECT(agentsched_balance_result_loads(r, lo, 2, &len), TOO_SMALL);
    CHECK(len == 3);
    EXPECT(agentsched_balance_result_used(r, 0, used, BD - 1, &len), TOO_SMALL);
    CHECK(len == BD);
    EXPECT(agentsched_balance_result_used(r, 3, used, BD, &len), INVAL);
    EXPECT(agentsched_balance_result_used(r, 0, used, BD, NULL), NULLP);
    EXPECT(agentsched_balance_result_get_summary(r, NULL), NULLP);
    CHECK(all_bytes(pl, sizeof pl, SENTINEL) && all_bytes(un, sizeof un, SENTINEL) &&
          all_bytes(lo, sizeof lo, SENTINEL) && all_bytes(used, sizeof used, SENTINEL));
  }
  agentsched_balance_result_free(r);

  /* Options: no improvement steps. */
  o.max_iterations = 0;
  r = NULL;
  EXPECT(agentsched_balance(p.agents, p.n_agents, p.tasks, p.n_tasks, &o, &r), OK);
  CHECK_BALANCE(&p, r);
  EXPECT(agentsched_balance_result_get_summary(r, &s), OK);
  CHECK(s.iterations == 0 && s.greedy_max_load == s.max_load);
  agentsched_balance_result_free(r);

  /* Nothing at all. */
  r = NULL;
  EXPECT(agentsched_balance(NULL, 0, NULL, 0, NULL, &r), OK);
  EXPECT(agentsched_balance_result_get_summary(r, &s), OK);
  CHECK(s.agents == 0 && s.placed == 0 && s.unplaced == 0 && s.max_load == 0.0);
  agentsched_balance_result_free(r);
  agentsched_balance_result_free(NULL);

  /* Bad inputs. */
  {
    problem q;
    copy_problem(&q, &p);
    q.agents[1].capacity_len = 2;
    EXPECT_BALANCE_FAILS(&q, DIMS_BAD);
    copy_problem(&q, &p);
    q.tasks[2].demand_len = 4;
    EXPECT_BALANCE_FAILS(&q, DIMS_BAD);
    copy_problem(&q, &p);
    q.agents[2].id = 7;
    EXPECT_BALANCE_FAILS(&q, AGENTSCHED_STATUS_DUPLICATE_AGENT);
    copy_problem(&q, &p);
    q.tasks[3].id = 3;
    EXPECT_BALANCE_FAILS(&q, AGENTSCHED_STATUS_DUPLICATE_TASK);
    copy_problem(&q, &p);
    q.tasks[0].has_pinned_to = true; /* 2000 + 3000 CPU pinned on agent 7 (4000) */
    q.tasks[0].pinned_to = 7;
    EXPECT_BALANCE_FAILS(&q, AGENTSCHED_STATUS_AGENT_STATE);
    copy_problem(&q, &p);
    q.agents[0].capacity = NULL;
    EXPECT_BALANCE_FAILS(&q, NULLP);
    copy_problem(&q, &p);
    q.tasks[1].demand = NULL;
    EXPECT_BALANCE_FAILS(&q, NULLP);
    copy_problem(&q, &p);
    q.tasks[1].demand_len = HUGE_LEN;
    EXPECT_BALANCE_FAILS(&q, INVAL);
    r = SENTINEL_BALANCE;
    EXPECT(agentsched_balance(NULL, 3, p.tasks, p.n_tasks, NULL, &r), NULLP);
    EXPECT(agentsched_balance(p.agents, 3, NULL, 2, NULL, &r), NULLP);
    EXPECT(agentsched_balance(p.agents, HUGE_LEN, p.tasks, p.n_tasks, NULL, &r), INVAL);
    EXPECT(agentsched_balance(p.agents, p.n_agents, p.tasks, HUGE_LEN, NULL, &r), INVAL);
    EXPECT(agentsched_balance(p.agents, p.n_agents, p.tasks, p.n_tasks, NULL, NULL), NULLP);
    CHECK(r == SENTINEL_BALANCE);
  }

  /* Random problems. */
  for (i = 0; i < 60; i++) {
    problem q;
    size_t k, n_agents = 1 + rnd(MAX_AGENTS), n_tasks = rnd(MAX_TASKS + 1);
    memset(&q, 0, sizeof q);
    /* One rnd() per statement: the order of evaluation of arguments is unspecified in C. */
    for (k = 0; k < n_agents; k++) {
      uint32_t id = (uint32_t)k * 3 + rnd(3);
      uint64_t cpu = 1000 * (1 + (uint64_t)rnd(8)), mem = 1024 * (uint64_t)rnd(9);
      add_agent(&q, id, cpu, mem, rnd(3));
    }
    for (k = 0; k < n_tasks; k++) {
      uint32_t id = (uint32_t)k * 2 + rnd(2);
      uint64_t cpu = 100 * (uint64_t)rnd(20), mem = 128 * (uint64_t)rnd(16);
      add_task(&q, id, cpu, mem, rnd(4) == 0);
      if (rnd(8) == 0) {
        q.tasks[k].has_pinned_to = true;
        q.tasks[k].pinned_to = q.agents[rnd((uint32_t)n_agents)].id;
        q.tasks[k].pinned_to += rnd(6) == 0; /* sometimes an unknown or another agent */
      }
    }
    o.max_iterations = rnd(3) == 0 ? 0 : 1000;
    r = NULL;
    {
      agentsched_status st = agentsched_balance(q.agents, n_agents, q.tasks, n_tasks, &o, &r);
      /* Random pins may overload an agent: that is the only failure possible here. */
      CHECK(st == OK || st == AGENTSCHED_STATUS_AGENT_STATE);
      if (st == OK) CHECK_BALANCE(&q, r);
      else CHECK(r == NULL);
    }
    agentsched_balance_result_free(r);
  }
}

/* ---- migration ---------------------------------------------------------------------------- */

/* Replays a plan from the problem's placement: every move leaves an agent the task is on, moves
 * a task that is not pinned, and keeps capacities; the final usage and loads are the reported
 * ones; the migrated demand is the sum of the moved demands. */
static void check_migration(const problem *p, const agentsched_migration_result *r,
                            const agentsched_migration_options *o, int line) {
  agentsched_migration_summary s;
  agentsched_move moves[256];
  agentsched_agent_load before[MAX_AGENTS], after[MAX_AGENTS];
  uint64_t used[MAX_AGENTS][BD], migrated[BD], reported[BD];
  uint32_t where[MAX_TASKS];
  size_t order[MAX_AGENTS];
  size_t n_moves = 0, nb = 0, na = 0, len = 0, i, j;
  double max_before = 0.0, max_after = 0.0;
  int ok = 1, fit = 1;

  memset(used, 0, sizeof used);
  memset(migrated, 0, sizeof migrated);
  sorted_agents(p, order);
  for (i = 0; i < p->n_tasks; i++) {
    long a = agent_index(p, p->mtasks[i].agent);
    where[i] = p->mtasks[i].agent;
    if (a >= 0)
      for (j = 0; j < BD; j++) used[a][j] += p->demand[i][j];
  }
  expect_status(agentsched_migration_result_get_summary(r, &s), OK, "migration summary", line);
  expect_status(agentsched_migration_result_moves(r, moves, 256, &n_moves), OK, "moves", line);
  expect_status(agentsched_migration_result_loads(r, false, before, MAX_AGENTS, &nb), OK,
                "loads before", line);
  expect_status(agentsched_migration_result_loads(r, true, after, MAX_AGENTS, &na), OK,
                "loads after", line);
  check_true(s.moves == n_moves && s.agents == p->n_agents && nb == p->n_agents &&
                 na == p->n_agents,
             "migration: counts agree", line);
  for (i = 0; i < nb; i++) {
    size_t a = order[i];
    double l = load_of(used[a], p->cap[a]);
    check_true(before[i].agent == p->agents[a].id && before[i].load == l,
               "migration: loads before recomputed in C", line);
    expect_status(agentsched_migration_result_used(r, false, i, reported, BD, &len), OK,
                  "used before", line);
    check_true(len == BD && memcmp(reported, used[a], sizeof reported) == 0,
               "migration: used before recomputed in C", line);
    if (l > max_before) max_before = l;
  }
  for (i = 0; i < n_moves; i++) {
    long t = task_index(p, moves[i].task), from = agent_index(p, moves[i].from),
         to = agent_index(p, moves[i].to);
    if (t < 0 || from < 0 || to < 0 || from == to || where[t] != moves[i].from ||
        p->mtasks[t].pinned) {
      ok = 0;
      continue;
    }
    for (j = 0; j < BD; j++) {
      used[from][j] -= p->demand[t][j];
      used[to][j] += p->demand[t][j];
      migrated[j] += p->demand[t][j];
    }
    where[t] = moves[i].to;
    for (j = 0; j < p->n_agents; j++)
      if (!fits(used[j], p->cap[j])) fit = 0;
  }
  check_true(ok, "migration: each move takes an unpinned task from where it is", line);
  check_true(fit, "migration: capacities hold after every move (replayed in C)", line);
  for (i = 0; i < na; i++) {
    size_t a = order[i];
    double l = load_of(used[a], p->cap[a]);
    check_true(after[i].agent == p->agents[a].id && after[i].load == l,
               "migration: loads after recomputed in C", line);
    expect_status(agentsched_migration_result_used(r, true, i, reported, BD, &len), OK,
                  "used after", line);
    check_true(len == BD && memcmp(reported, used[a], sizeof reported) == 0,
               "migration: used after replayed in C", line);
    if (l > max_after) max_after = l;
  }
  check_true(s.max_load_before == max_before && s.max_load_after == max_after,
             "migration: max loads recomputed in C", line);
  check_true(n_moves == 0 || s.max_load_after <= s.max_load_before,
             "migration: never worse than before", line);
  expect_status(agentsched_migration_result_migrated_demand(r, reported, BD, &len), OK,
                "migrated demand", line);
  check_true(len == BD && memcmp(reported, migrated, sizeof reported) == 0,
             "migration: migrated demand recomputed in C", line);
  check_true(s.stop <= AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE, "migration: known stop", line);
  if (o != NULL) {
    if (o->has_max_moves) check_true(n_moves <= o->max_moves, "migration: move budget", line);
    if (o->max_demand != NULL)
      for (j = 0; j < BD; j++)
        check_true(migrated[j] <= o->max_demand[j], "migration: demand budget", line);
    if (o->target == AGENTSCHED_TARGET_MAX_LOAD)
      check_true(s.target_met == (s.max_load_after <= o->max_load), "migration: target_met",
                 line);
  }
  if (o == NULL || o->target == AGENTSCHED_TARGET_BALANCED)
    check_true(s.target_met == (s.stop == AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE),
               "migration: balanced target_met", line);
}
#define CHECK_MIGRATION(p, r, o) check_migration((p), (r), (o), __LINE__)

static void expect_plan_fails(const problem *p, const agentsched_migration_options *o,
                              agentsched_status want, int line) {
  agentsched_migration_result *r = SENTINEL_MIGRATION;
  expect_status(agentsched_plan_migration(p->agents, p->n_agents, p->mtasks, p->n_tasks, o, &r),
                want, "plan_migration", line);
  check_true(r == SENTINEL_MIGRATION, "plan_migration left *out untouched", line);
  if (r != SENTINEL_MIGRATION && r != NULL) agentsched_migration_result_free(r);
}
#define EXPECT_PLAN_FAILS(p, o, want) expect_plan_fails((p), (o), (want), __LINE__)

static void test_migration(void) {
  problem p;
  agentsched_migration_result *r = NULL;
  agentsched_migration_summary s;
  agentsched_migration_options o;
  uint64_t budget[BD];
  size_t i;

  /* A hot agent 1 and two idle ones; task 0 pinned. */
  memset(&p, 0, sizeof p);
  add_agent(&p, 1, 10000, 16384, 2);
  add_agent(&p, 2, 10000, 16384, 2);
  add_agent(&p, 3, 5000, 8192, 0);
  for (i = 0; i < 6; i++) {
    add_task(&p, (uint32_t)i, 500 + 300 * i, 2048, i == 4);
    p.mtasks[i].agent = 1;
  }
  p.mtasks[0].pinned = true;

  EXPECT(agentsched_plan_migration(p.agents, p.n_agents, p.mtasks, p.n_tasks, NULL, &r), OK);
  CHECK_MIGRATION(&p, r, NULL);
  EXPECT(agentsched_migration_result_get_summary(r, &s), OK);
  CHECK(s.moves > 0 && s.target_met && s.stop == AGENTSCHED_MIGRATION_STOP_NO_IMPROVING_MOVE);
  CHECK(s.max_load_after < s.max_load_before);
  {
    /* Buffers too small: the size needed, nothing written. */
    agentsched_move mv[64];
    agentsched_agent_load lo[3];
    uint64_t v[BD];
    size_t len = 0;
    memset(mv, SENTINEL, sizeof mv);
    memset(lo, SENTINEL, sizeof lo);
    memset(v, SENTINEL, sizeof v);
    EXPECT(agentsched_migration_result_moves(r, mv, s.moves - 1, &len), TOO_SMALL);
    CHECK(len == s.moves);
    EXPECT(agentsched_migration_result_moves(r, NULL, 0, &len), TOO_SMALL);
    CHECK(len == s.moves);
    EXPECT(agentsched_migration_result_loads(r, true, lo, 2, &len), TOO_SMALL);
    CHECK(len == 3);
    EXPECT(agentsched_migration_result_loads(r, false, NULL, 0, &len), TOO_SMALL);
    CHECK(len == 3);
    EXPECT(agentsched_migration_result_used(r, true, 0, v, BD - 1, &len), TOO_SMALL);
    CHECK(len == BD);
    EXPECT(agentsched_migration_result_migrated_demand(r, v, 1, &len), TOO_SMALL);
    CHECK(len == BD);
    EXPECT(agentsched_migration_result_used(r, false, 3, v, BD, &len), INVAL);
    EXPECT(agentsched_migration_result_used(r, true, SIZE_MAX, v, BD, &len), INVAL);
    EXPECT(agentsched_migration_result_moves(r, mv, 64, NULL), NULLP);
    EXPECT(agentsched_migration_result_get_summary(r, NULL), NULLP);
    CHECK(all_bytes(mv, sizeof mv, SENTINEL) && all_bytes(lo, sizeof lo, SENTINEL) &&
          all_bytes(v, sizeof v, SENTINEL));
  }
  agentsched_migration_result_free(r);

  /* A load target, a move budget, a demand budget. */
  memset(&o, 0, sizeof o);
  o.target = AGENTSCHED_TARGET_MAX_LOAD;
  o.max_load = 1.2;
  r = NULL;
  EXPECT(agentsched_plan_migration(p.agents, p.n_agents, p.mtasks, p.n_tasks, &o, &r), OK);
  CHECK_MIGRATION(&p, r, &o);
  EXPECT(agentsched_migration_result_get_summary(r, &s), OK);
  CHECK(s.target_met && s.stop == AGENTSCHED_MIGRATION_STOP_TARGET_MET && s.max_load_after <= 1.2);
  agentsched_migration_result_free(r);

  o.max_load = 0.0; /* unreachable */
  o.has_max_moves = true;
  o.max_moves = 1;
  r = NULL;
  EXPECT(agentsched_plan_migration(p.agents, p.n_agents, p.mtasks, p.n_tasks, &o, &r), OK);
  CHECK_MIGRATION(&p, r, &o);
  EXPECT(agentsched_migration_result_get_summary(r, &s), OK);
  CHECK(s.moves == 1 && !s.target_met && s.stop == AGENTSCHED_MIGRATION_STOP_MOVE_BUDGET);
  agentsched_migration_result_free(r);

  o.has_max_moves = false;
  budget[0] = 2000; /* CPU: at most 2000 migrated */
  budget[1] = UINT64_MAX;
  budget[2] = UINT64_MAX;
  o.max_demand = budget;
  o.max_demand_len = BD;
  r = NULL;
  EXPECT(agentsched_plan_migration(p.agents, p.n_agents, p.mtasks, p.n_tasks, &o, &r), OK);
  CHECK_MIGRATION(&p, r, &o);
  EXPECT(agentsched_migration_result_get_summary(r, &s), OK);
  CHECK(!s.target_met && s.stop == AGENTSCHED_MIGRATION_STOP_DEMAND_BUDGET);
  agentsched_migration_result_free(r);

  /* Bad inputs. */
  {
    problem q;
    agentsched_migration_options bad = o;
    copy_problem(&q, &p);
    q.mtasks[2].agent = 42;
    EXPECT_PLAN_FAILS(&q, NULL, AGENTSCHED_STATUS_UNKNOWN_AGENT);
    copy_problem(&q, &p);
    q.agents[2].id = 1;
    EXPECT_PLAN_FAILS(&q, NULL, AGENTSCHED_STATUS_DUPLICATE_AGENT);
    copy_problem(&q, &p);
    q.mtasks[5].id = 0;
    EXPECT_PLAN_FAILS(&q, NULL, AGENTSCHED_STATUS_DUPLICATE_TASK);
    copy_problem(&q, &p);
    q.mtasks[1].demand_len = 2;
    EXPECT_PLAN_FAILS(&q, NULL, DIMS_BAD);
    copy_problem(&q, &p);
    q.agents[0].capacity_len = 4;
    EXPECT_PLAN_FAILS(&q, NULL, DIMS_BAD);
    copy_problem(&q, &p);
    q.demand[3][0] = 9000; /* agent 1 over its CPU */
    EXPECT_PLAN_FAILS(&q, NULL, AGENTSCHED_STATUS_AGENT_STATE);
    copy_problem(&q, &p);
    q.mtasks[0].demand = NULL;
    EXPECT_PLAN_FAILS(&q, NULL, NULLP);
    bad.max_demand_len = 2;
    EXPECT_PLAN_FAILS(&p, &bad, DIMS_BAD);
    bad.max_demand = NULL;
    EXPECT_PLAN_FAILS(&p, &bad, NULLP);
    bad.max_demand_len = HUGE_LEN;
    bad.max_demand = budget;
    EXPECT_PLAN_FAILS(&p, &bad, INVAL);
    bad = o;
    bad.max_demand = NULL;
    bad.max_demand_len = 0;
    bad.target = 2;
    EXPECT_PLAN_FAILS(&p, &bad, INVAL);
    bad.target = UINT32_MAX;
    EXPECT_PLAN_FAILS(&p, &bad, INVAL);
    bad.target = AGENTSCHED_TARGET_MAX_LOAD;
    bad.max_load = NAN;
    EXPECT_PLAN_FAILS(&p, &bad, BAD_NUMBER);
    bad.max_load = INFINITY;
    EXPECT_PLAN_FAILS(&p, &bad, BAD_NUMBER);
    bad.max_load = -0.5;
    EXPECT_PLAN_FAILS(&p, &bad, BAD_NUMBER);
    r = SENTINEL_MIGRATION;
    EXPECT(agentsched_plan_migration(NULL, 2, p.mtasks, p.n_tasks, NULL, &r), NULLP);
    EXPECT(agentsched_plan_migration(p.agents, p.n_agents, NULL, 1, NULL, &r), NULLP);
    EXPECT(agentsched_plan_migration(p.agents, HUGE_LEN, p.mtasks, p.n_tasks, NULL, &r), INVAL);
    EXPECT(agentsched_plan_migration(p.agents, p.n_agents, p.mtasks, p.n_tasks, NULL, NULL),
           NULLP);
    CHECK(r == SENTINEL_MIGRATION);
  }

  /* Nothing at all. */
  r = NULL;
  EXPECT(agentsched_plan_migration(NULL, 0, NULL, 0, NULL, &r), OK);
  EXPECT(agentsched_migration_result_get_summary(r, &s), OK);
  CHECK(s.moves == 0 && s.agents == 0);
  agentsched_migration_result_free(r);
  agentsched_migration_result_free(NULL);

  /* Random pools: tasks placed first-fit, then planned. */
  for (i = 0; i < 60; i++) {
    problem q;
    size_t k, n_agents = 1 + rnd(MAX_AGENTS), n_tasks = rnd(MAX_TASKS + 1);
    uint64_t fill[MAX_AGENTS][BD];
    agentsched_status st;
    memset(&q, 0, sizeof q);
    memset(fill, 0, sizeof fill);
    for (k = 0; k < n_agents; k++) {
      uint32_t id = (uint32_t)k * 5 + rnd(5);
      uint64_t cpu = 1000 * (1 + (uint64_t)rnd(8)), mem = 1024 * (1 + (uint64_t)rnd(8));
      add_agent(&q, id, cpu, mem, rnd(3));
    }
    for (k = 0; k < n_tasks; k++) {
      size_t a, j, tries, t = q.n_tasks;
      uint32_t id = (uint32_t)k * 2 + rnd(2);
      uint64_t cpu = 100 * (uint64_t)rnd(20), mem = 128 * (uint64_t)rnd(16);
      add_task(&q, id, cpu, mem, rnd(5) == 0);
      /* Hot spots: most tasks on the first agents they fit. */
      for (tries = 0, a = rnd(4) ? 0 : rnd((uint32_t)n_agents); tries < n_agents;
           tries++, a = (a + 1) % n_agents) {
        int ok = 1;
        for (j = 0; j < BD; j++)
          if (fill[a][j] + q.demand[t][j] > q.cap[a][j]) ok = 0;
        if (ok) break;
      }
      if (tries == n_agents) { /* fits nowhere: drop it */
        q.n_tasks--;
        continue;
      }
      for (j = 0; j < BD; j++) fill[a][j] += q.demand[t][j];
      q.mtasks[t].agent = q.agents[a].id;
      q.mtasks[t].pinned = rnd(6) == 0;
    }
    memset(&o, 0, sizeof o);
    switch (rnd(4)) {
    case 0: break;
    case 1:
      o.target = AGENTSCHED_TARGET_MAX_LOAD;
      o.max_load = (double)rnd(30) / 10.0;
      break;
    case 2:
      o.has_max_moves = true;
      o.max_moves = rnd(4);
      break;
    default:
      budget[0] = 200 * rnd(10);
      budget[1] = UINT64_MAX;
      budget[2] = rnd(3);
      o.max_demand = budget;
      o.max_demand_len = BD;
    }
    r = NULL;
    st = agentsched_plan_migration(q.agents, q.n_agents, q.mtasks, q.n_tasks, &o, &r);
    EXPECT(st, OK);
    if (st == OK) CHECK_MIGRATION(&q, r, &o);
    agentsched_migration_result_free(r);
  }
}

/* ---- NULL handles ------------------------------------------------------------------------ */

static void test_null_handles(void) {
  agentsched_mapping *m = SENTINEL_MAPPING;
  agentsched_bounds b;
  agentsched_balance_summary bs;
  agentsched_migration_summary ms;
  agentsched_placement pl;
  agentsched_unplaced un;
  agentsched_shortfall sf;
  agentsched_agent_load lo;
  agentsched_move mv;
  size_t start[1] = {0}, u = 0, len = 0, n = 0;
  uint64_t v = 0;
  double d = 0.0;
  char ch = 0;

  memset(&b, SENTINEL, sizeof b);
  EXPECT(agentsched_etc_last_error(NULL, &ch, 1, &len), NULLP);
  EXPECT(agentsched_etc_shape(NULL, &n, &len), NULLP);
  EXPECT(agentsched_map_heuristic(NULL, "mct", &m), NULLP);
  EXPECT(agentsched_map_improve(NULL, start, 1, 10, 0, 1, &m), NULLP);
  EXPECT(agentsched_map_best(NULL, 10, 0, 1, &m), NULLP);
  EXPECT(agentsched_map_lower_bound(NULL, 10, &b), NULLP);
  EXPECT(agentsched_mapping_makespan(NULL, &d), NULLP);
  EXPECT(agentsched_mapping_assignment(NULL, &u, 1, &len), NULLP);
  EXPECT(agentsched_mapping_completion(NULL, &d, 1, &len), NULLP);
  EXPECT(agentsched_balance_result_get_summary(NULL, &bs), NULLP);
  EXPECT(agentsched_balance_result_assignment(NULL, &pl, 1, &len), NULLP);
  EXPECT(agentsched_balance_result_loads(NULL, &lo, 1, &len), NULLP);
  EXPECT(agentsched_balance_result_used(NULL, 0, &v, 1, &len), NULLP);
  EXPECT(agentsched_balance_result_unplaced(NULL, &un, 1, &len), NULLP);
  EXPECT(agentsched_balance_result_shortfalls(NULL, 0, &sf, 1, &len), NULLP);
  EXPECT(agentsched_migration_result_get_summary(NULL, &ms), NULLP);
  EXPECT(agentsched_migration_result_moves(NULL, &mv, 1, &len), NULLP);
  EXPECT(agentsched_migration_result_loads(NULL, true, &lo, 1, &len), NULLP);
  EXPECT(agentsched_migration_result_used(NULL, false, 0, &v, 1, &len), NULLP);
  EXPECT(agentsched_migration_result_migrated_demand(NULL, &v, 1, &len), NULLP);
  CHECK(m == SENTINEL_MAPPING && len == 0 && n == 0 && u == 0 && v == 0 && d == 0.0 &&
        ch == 0 && all_bytes(&b, sizeof b, SENTINEL));
  agentsched_etc_free(NULL);
  agentsched_mapping_free(NULL);
  agentsched_balance_result_free(NULL);
  agentsched_migration_result_free(NULL);
}

int main(void) {
  test_etc_new();
  test_by_hand();
  test_heuristics_improve_best();
  test_mapping_errors();
  test_balance();
  test_migration();
  test_null_handles();
  printf("mapping_test: %u checks (%u hostile calls), %u failed: %s\n", g_checks, g_hostile,
         g_failed, g_failed ? "FAIL" : "ok");
  return g_failed ? 1 : 0;
}
