/*
 * The fault-tolerance part of the C ABI of agentsched, tested from C: expected durations under
 * both failure models, expected times and critical paths, the probabilities of finishing without
 * a backup and of finishing at all, and the expected makespan, exact and Monte Carlo.
 *
 * Oracles: the one-backup formula p_hat = (1 - f) p + f p_b evaluated in C (bit for
 * bit), chains of backups, graphs and makespan distributions worked out by hand in the comments,
 * and, on random graphs, everything recomputed from the definition in C: each task's attempts
 * enumerated with their probabilities (including the outcome "every attempt fails", which the
 * expectations are conditioned away from), the exact expected makespan by brute force over every
 * combination of attempts with a CPM longest path written here, and the Monte Carlo estimate
 * checked against that exact value within 5 standard errors (fixed seeds).
 * Hostile arguments: NULL for every pointer argument, backups NULL with a non-zero length,
 * lengths too large for memory, failure probabilities NaN / infinite / negative / above 1, times
 * NaN / infinite / negative, the wrong number of specs, unknown model and delays values, too few
 * Monte Carlo samples, tasks that can never complete. Each failure's message names the task (by
 * id, the lowest index first) and the field; the outputs stay untouched (pre-filled sentinels)
 * and the dag gives the same answers afterwards.
 *
 * Prints one summary line and exits non-zero on any failure. Uses no libm function (squares are
 * compared instead of square roots), so that it links like the other suites, without -lm.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/dag_fault_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o dag_fault_test
 */
#include "agentsched.h"

#include <float.h>
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

/* |got - want| <= tol * max(1, |want|). */
static void check_close(double got, double want, double tol, const char *what, int line) {
  char msg[256];
  double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
  snprintf(msg, sizeof msg, "%s: got %.17g, want %.17g (tolerance %g)", what, got, want, tol);
  check_true(fabs(got - want) <= tol * scale, msg, line);
}

#define CHECK(cond) check_true((cond) ? 1 : 0, #cond, __LINE__)
#define CLOSE(got, want, tol) check_close((got), (want), (tol), #got, __LINE__)
#define EXPECT(call, want) expect_status((call), (want), #call, __LINE__)
#define OK AGENTSCHED_STATUS_OK
#define NULLP AGENTSCHED_STATUS_NULL_POINTER
#define INVAL AGENTSCHED_STATUS_INVALID_ARGUMENT
#define TOO_SMALL AGENTSCHED_STATUS_BUFFER_TOO_SMALL
#define BAD_NUMBER AGENTSCHED_STATUS_INVALID_NUMBER
#define DIMS_BAD AGENTSCHED_STATUS_DIMENSION_MISMATCH
#define BAD_CONFIG AGENTSCHED_STATUS_INVALID_CONFIG
#define NONE AGENTSCHED_DELAYS_NONE
#define DATA AGENTSCHED_DELAYS_DATA
#define REPL AGENTSCHED_FAILURE_MODEL_REPLACEMENT
#define RETRY AGENTSCHED_FAILURE_MODEL_SEQUENTIAL_RETRY
#define EXACT AGENTSCHED_MAKESPAN_EXACT
#define MONTE_CARLO AGENTSCHED_MAKESPAN_MONTE_CARLO

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
#define SENTINEL_TIMES ((agentsched_times *)(void *)&g_sentinel_obj)

static uint64_t g_rng = 0x2545f4914f6cdd1du;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng % n);
}

/* ---- messages --------------------------------------------------------------------------- */

/* The dag's last error, read with the size protocol (checked on the way). */
static char *last_error(const agentsched_dag *d, int line) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
  agentsched_status s = agentsched_dag_last_error(d, NULL, 0, &len);
  check_true(s == TOO_SMALL && len != (size_t)-1, "last_error(NULL, 0) reports the size", line);
  if (s != TOO_SMALL) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  s = agentsched_dag_last_error(d, msg, len + 1, &len2);
  check_true(s == OK && len2 == len && msg[len] == '\0' && strlen(msg) == len,
             "last_error(cap = len + 1) succeeds", line);
  return msg;
}

/* The message contains every one of the (up to three) needles. */
static void expect_error(const agentsched_dag *d, const char *a, const char *b, const char *c,
                         int line) {
  char *msg = last_error(d, line);
  char what[640];
  const char *needles[3];
  int i;
  needles[0] = a;
  needles[1] = b;
  needles[2] = c;
  for (i = 0; i < 3; i++) {
    if (needles[i] == NULL) continue;
    snprintf(what, sizeof what, "last_error mentions \"%s\" (got \"%s\")", needles[i],
             msg ? msg : "(none)");
    check_true(msg != NULL && strstr(msg, needles[i]) != NULL, what, line);
  }
  free(msg);
}
#define EXPECT_ERROR(d, needle) expect_error((d), (needle), NULL, NULL, __LINE__)
#define EXPECT_ERROR2(d, a, b) expect_error((d), (a), (b), NULL, __LINE__)

/* ---- fixtures --------------------------------------------------------------------------- */

typedef struct {
  uint32_t from, to;
  double data;
} edge;

static agentsched_dag *new_dag(size_t n, const uint32_t *ids, const double *durations, size_t m,
                               const edge *edges, int line) {
  agentsched_task_graph *g = NULL;
  agentsched_dag *d = NULL;
  size_t i;
  int ok = agentsched_task_graph_new(&g) == OK;
  for (i = 0; ok && i < n; i++) ok = agentsched_task_graph_add_task(g, ids[i], durations[i]) == OK;
  for (i = 0; ok && i < m; i++)
    ok = agentsched_task_graph_add_edge(g, edges[i].from, edges[i].to, edges[i].data) == OK;
  ok = ok && agentsched_dag_new(g, &d) == OK;
  check_true(ok && d != NULL, "fixture: a dag", line);
  agentsched_task_graph_free(g);
  return d;
}

static agentsched_fault_spec spec(double failure, const agentsched_backup *backups, size_t n) {
  agentsched_fault_spec s;
  memset(&s, 0, sizeof s);
  s.failure = failure;
  s.has_time = false;
  s.time = NAN; /* ignored without has_time */
  s.backups = backups;
  s.backups_len = n;
  return s;
}

static agentsched_fault_spec timed(double time, double failure, const agentsched_backup *backups,
                                   size_t n) {
  agentsched_fault_spec s = spec(failure, backups, n);
  s.has_time = true;
  s.time = time;
  return s;
}

static agentsched_backup backup(double time, double failure) {
  agentsched_backup b;
  b.time = time;
  b.failure = failure;
  return b;
}

/* Expected durations into `out` (capacity n), checking the size protocol on the way. */
static int durations(agentsched_dag *d, const agentsched_fault_spec *s, size_t n, uint32_t model,
                     double *out, int line) {
  size_t len = (size_t)-1;
  agentsched_status st = agentsched_dag_expected_durations(d, s, n, model, NULL, 0, &len);
  check_true(st == (n ? TOO_SMALL : OK) && len == n, "expected_durations(NULL, 0) reports n",
             line);
  st = agentsched_dag_expected_durations(d, s, n, model, out, n, &len);
  check_true(st == OK && len == n, "expected_durations succeeds with room", line);
  return st == OK && len == n;
}

static agentsched_times *expected_times(agentsched_dag *d, const agentsched_fault_spec *s,
                                        size_t n, uint32_t model, uint32_t delays, int line) {
  agentsched_times *t = NULL;
  check_true(agentsched_dag_expected_times(d, s, n, model, delays, &t) == OK && t != NULL,
             "expected_times succeeds", line);
  return t;
}

static double makespan_of(const agentsched_times *t) {
  double ms = NAN;
  EXPECT(agentsched_times_makespan(t, &ms), OK);
  return ms;
}

static int values(const agentsched_times *t, uint32_t which, double *out, size_t n) {
  size_t len = 0;
  return agentsched_times_values(t, which, out, n, &len) == OK && len == n;
}

static agentsched_makespan_estimate estimate(agentsched_dag *d, const agentsched_fault_spec *s,
                                             size_t n, uint32_t model, uint32_t delays,
                                             const agentsched_makespan_options *o, int line) {
  agentsched_makespan_estimate e;
  memset(&e, 0, sizeof e);
  e.mean = NAN;
  check_true(agentsched_dag_expected_makespan(d, s, n, model, delays, o, &e) == OK,
             "expected_makespan succeeds", line);
  return e;
}

/* Field by field: the padding after `method` is not part of the value. */
static int same_estimate(const agentsched_makespan_estimate *a,
                         const agentsched_makespan_estimate *b) {
  return a->mean == b->mean && a->std_dev == b->std_dev && a->std_error == b->std_error &&
         a->low == b->low && a->high == b->high && a->method == b->method &&
         a->evaluated == b->evaluated && a->seed == b->seed &&
         a->lower_bound == b->lower_bound && a->upper_bound == b->upper_bound &&
         a->completion_probability == b->completion_probability;
}

static agentsched_makespan_options options(uint64_t max_scenarios, uint64_t samples,
                                           uint64_t seed) {
  agentsched_makespan_options o;
  memset(&o, 0, sizeof o);
  o.max_scenarios = max_scenarios;
  o.samples = samples;
  o.seed = seed;
  return o;
}

/* ---- the formula, and chains of backups ----------------------------------------- */

/* Five independent tasks of durations p, each with failure f and one backup of time p_b that
 * never fails: the expected duration is (1 - f) p + f p_b, computed with exactly those floating
 * point operations. By hand: 0.8 * 10 + 0.2 * 15 = 11; 0.5 * 4 + 0.5 * 8 = 6; f = 0 keeps p;
 * f = 1 gives p_b. */
static void test_formula(void) {
  const uint32_t ids[5] = {1, 2, 3, 4, 5};
  const double p[5] = {10, 4, 3, 2, 2};
  const double f[5] = {0.2, 0.5, 0.1, 0.0, 1.0};
  const double pb[5] = {15, 8, 5, 100, 7};
  const double by_hand[5] = {11, 6, 3.2, 2, 7};
  agentsched_backup b[5];
  agentsched_fault_spec s[5];
  double e[5];
  agentsched_dag *d = new_dag(5, ids, p, 0, NULL, __LINE__);
  size_t i;
  if (d == NULL) return;
  for (i = 0; i < 5; i++) {
    b[i] = backup(pb[i], 0.0);
    s[i] = spec(f[i], &b[i], 1);
  }
  if (durations(d, s, 5, REPL, e, __LINE__))
    for (i = 0; i < 5; i++) {
      CHECK(e[i] == (1.0 - f[i]) * p[i] + f[i] * pb[i]);
      CLOSE(e[i], by_hand[i], 1e-15);
    }
  /* A primary time of its own replaces the dag's: 0.8 * 4 + 0.2 * 15 = 6.2. */
  s[0] = timed(4.0, 0.2, &b[0], 1);
  if (durations(d, s, 5, REPL, e, __LINE__)) {
    CHECK(e[0] == (1.0 - 0.2) * 4.0 + 0.2 * 15.0);
    CLOSE(e[0], 6.2, 1e-15);
  }
  /* Sequential retry: the failed primary's time is spent too: 10 + 0.2 * 15 = 13. */
  s[0] = spec(0.2, &b[0], 1);
  if (durations(d, s, 5, RETRY, e, __LINE__)) {
    CLOSE(e[0], 13.0, 1e-15);
    CLOSE(e[1], 4.0 + 0.5 * 8.0, 1e-15);
    CHECK(e[3] == 2.0);       /* never fails */
    CLOSE(e[4], 9.0, 1e-15);  /* always fails: 2 + 7 */
  }
  /* The backups are tried in the order given (the host sorts them fastest first for the
   * issue's "min over backups"): 0.8 * 10 + 0.2 * 9 = 9.8, then 0.8 * 10 + 0.2 * 6 = 9.2. */
  {
    agentsched_backup two[2];
    two[0] = backup(9.0, 0.0);
    two[1] = backup(6.0, 0.0);
    s[0] = spec(0.2, two, 2);
    if (durations(d, s, 5, REPL, e, __LINE__)) CLOSE(e[0], 9.8, 1e-15);
    two[0] = backup(6.0, 0.0);
    two[1] = backup(9.0, 0.0);
    if (durations(d, s, 5, REPL, e, __LINE__)) CLOSE(e[0], 9.2, 1e-15);
  }
  /* All zeros: a task that never fails and runs the dag's duration. */
  memset(s, 0, sizeof s);
  if (durations(d, s, 5, REPL, e, __LINE__))
    for (i = 0; i < 5; i++) CHECK(e[i] == p[i]);
  agentsched_dag_free(d);
}

/* A chain of attempts: primary 4 (f = 1/2), backup 6 (f = 1/2), backup 10 (f = 0). Attempt k
 * completes the task with P = 1/2, 1/4, 1/4.
 *   Replacement:      E = 1/2 * 4 + 1/4 * 6 + 1/4 * 10       = 2 + 1.5 + 2.5 = 6.
 *   Sequential retry: E = 1/2 * 4 + 1/4 * 10 + 1/4 * 20      = 2 + 2.5 + 5   = 9.5.
 * A last backup that may fail: primary 2 (f = 1/2), backup 4 (f = 1/2): P = 1/2, 1/4, and 1/4
 * that both fail; conditional on completing, E = (1/2 * 2 + 1/4 * 4) / (3/4) = 8/3, and the
 * task completes with probability 3/4.
 * The tasks in a chain 1 -> 2 -> 3 (durations 4, 3, 2): task 2 has f = 1/2 and a certain backup
 * 5 (E = 4, retry 1/2 * 3 + 1/2 * 8 = 5.5), task 3 is reliable. A chain's makespan is the sum
 * of its durations, so the expected makespan is the sum of the expected durations: 6 + 4 + 2 =
 * 12 (retry: 9.5 + 5.5 + 2 = 17); the longest times give 10 + 5 + 2 = 17 (retry 20 + 8 + 2 =
 * 30); 3 * 2 = 6 scenarios. */
static void test_chain(void) {
  const uint32_t ids[3] = {1, 2, 3};
  const double p[3] = {4, 3, 2};
  const edge e[2] = {{1, 2, 0.0}, {2, 3, 0.0}};
  agentsched_backup b1[2], b2[1], b3[1];
  agentsched_fault_spec s[3];
  double v[3], q = NAN;
  agentsched_dag *d = new_dag(3, ids, p, 2, e, __LINE__);
  agentsched_times *t;
  agentsched_makespan_estimate m;
  size_t path[3], len = 0;
  if (d == NULL) return;
  b1[0] = backup(6.0, 0.5);
  b1[1] = backup(10.0, 0.0);
  b2[0] = backup(5.0, 0.0);
  s[0] = spec(0.5, b1, 2);
  s[1] = spec(0.5, b2, 1);
  s[2] = spec(0.0, NULL, 0);
  if (durations(d, s, 3, REPL, v, __LINE__)) CHECK(v[0] == 6.0 && v[1] == 4.0 && v[2] == 2.0);
  if (durations(d, s, 3, RETRY, v, __LINE__)) CHECK(v[0] == 9.5 && v[1] == 5.5 && v[2] == 2.0);

  t = expected_times(d, s, 3, REPL, NONE, __LINE__);
  if (t != NULL) {
    CHECK(makespan_of(t) == 12.0);
    if (values(t, AGENTSCHED_TIMES_EST, v, 3)) CHECK(v[0] == 0 && v[1] == 6 && v[2] == 10);
    EXPECT(agentsched_times_critical_path(t, path, 3, &len), OK);
    CHECK(len == 3 && path[0] == 0 && path[1] == 1 && path[2] == 2);
    agentsched_times_free(t);
  }
  m = estimate(d, s, 3, REPL, NONE, NULL, __LINE__);
  CLOSE(m.mean, 12.0, 1e-15);
  CHECK(m.method == EXACT && m.evaluated == 6 && m.seed == 0 && m.std_error == 0.0);
  CHECK(m.lower_bound == 12.0 && m.upper_bound == 17.0 && m.completion_probability == 1.0);
  m = estimate(d, s, 3, RETRY, NONE, NULL, __LINE__);
  CLOSE(m.mean, 17.0, 1e-15);
  CHECK(m.lower_bound == 17.0 && m.upper_bound == 30.0);

  /* A last backup that may fail: conditional expectations. */
  b3[0] = backup(4.0, 0.5);
  s[0] = timed(2.0, 0.5, b3, 1);
  if (durations(d, s, 3, REPL, v, __LINE__)) CLOSE(v[0], 8.0 / 3.0, 1e-15);
  EXPECT(agentsched_dag_completion_probability(d, s, 3, &q), OK);
  CHECK(q == 0.75);
  m = estimate(d, s, 3, REPL, NONE, NULL, __LINE__);
  CLOSE(m.mean, 8.0 / 3.0 + 4.0 + 2.0, 1e-14);
  CHECK(m.completion_probability == 0.75);
  agentsched_dag_free(d);
}

/* ---- expected times on a small graph, by hand ------------------------------------------- */

/* The diamond of dag_test.c, ids 1..4 inserted in order (index = id - 1), durations 2, 3, 1, 2,
 * edges 1 -> 2 (data 3), 1 -> 3 (0), 2 -> 4 (1), 3 -> 4 (5). Without faults, DELAYS_DATA gives
 * the makespan 11 on the path 1 2 4.
 * Faults: task 1 fails 1/4 of the time, backup 6 (E = 3/4 * 2 + 1/4 * 6 = 3); task 3 fails half
 * the time, backup 9 (E = 1/2 * 1 + 1/2 * 9 = 5); tasks 2 and 4 never fail. Expected durations
 * (3, 3, 5, 2).
 * DELAYS_NONE: ES (0, 3, 3, 8), EF (3, 6, 8, 10), makespan 10; LF 4 = 10 (LS 8), LF 2 = LF 3 =
 * 8 (LS 5 and 3), LF 1 = min(5, 3) = 3 (LS 0); slack (0, 2, 0, 0); path 1 3 4.
 * DELAYS_DATA: ES 2 = 3 + 3 = 6 (EF 9), ES 3 = 3 (EF 8), ES 4 = max(9 + 1, 8 + 5) = 13 (EF 15),
 * makespan 15; LF 2 = 13 - 1 = 12 (LS 9), LF 3 = 13 - 5 = 8 (LS 3), LF 1 = min(9 - 3, 3) = 3;
 * slack (0, 3, 0, 0); the backup moved the critical path to 1 3 4.
 * Without any backup: every primary succeeds with probability 3/4 * 1 * 1/2 * 1 = 3/8. */
static void test_expected_times(void) {
  const uint32_t ids[4] = {1, 2, 3, 4};
  const double dur[4] = {2, 3, 1, 2};
  const edge e[4] = {{1, 2, 3.0}, {1, 3, 0.0}, {2, 4, 1.0}, {3, 4, 5.0}};
  agentsched_backup b1 = backup(6.0, 0.0), b3 = backup(9.0, 0.0), b4 = backup(1.0, 0.5);
  agentsched_fault_spec s[4];
  double v[4], w[4], p = NAN;
  size_t path[4], len = 0, i;
  agentsched_dag *d = new_dag(4, ids, dur, 4, e, __LINE__);
  agentsched_times *t, *t2 = NULL;
  if (d == NULL) return;
  s[0] = spec(0.25, &b1, 1);
  s[1] = spec(0.0, NULL, 0);
  s[2] = spec(0.5, &b3, 1);
  s[3] = spec(0.0, NULL, 0);
  if (durations(d, s, 4, REPL, v, __LINE__))
    CHECK(v[0] == 3.0 && v[1] == 3.0 && v[2] == 5.0 && v[3] == 2.0);

  t = expected_times(d, s, 4, REPL, NONE, __LINE__);
  if (t != NULL) {
    CHECK(makespan_of(t) == 10.0);
    if (values(t, AGENTSCHED_TIMES_EST, v, 4)) CHECK(v[0] == 0 && v[1] == 3 && v[2] == 3 && v[3] == 8);
    if (values(t, AGENTSCHED_TIMES_EFT, v, 4)) CHECK(v[0] == 3 && v[1] == 6 && v[2] == 8 && v[3] == 10);
    if (values(t, AGENTSCHED_TIMES_LST, v, 4)) CHECK(v[0] == 0 && v[1] == 5 && v[2] == 3 && v[3] == 8);
    if (values(t, AGENTSCHED_TIMES_SLACK, v, 4)) CHECK(v[0] == 0 && v[1] == 2 && v[2] == 0 && v[3] == 0);
    EXPECT(agentsched_times_critical_path(t, path, 4, &len), OK);
    CHECK(len == 3 && path[0] == 0 && path[1] == 2 && path[2] == 3);
    agentsched_times_free(t);
  }
  t = expected_times(d, s, 4, REPL, DATA, __LINE__);
  if (t != NULL) {
    CHECK(makespan_of(t) == 15.0);
    if (values(t, AGENTSCHED_TIMES_EST, v, 4)) CHECK(v[0] == 0 && v[1] == 6 && v[2] == 3 && v[3] == 13);
    if (values(t, AGENTSCHED_TIMES_LFT, v, 4)) CHECK(v[0] == 3 && v[1] == 12 && v[2] == 8 && v[3] == 15);
    if (values(t, AGENTSCHED_TIMES_SLACK, v, 4)) CHECK(v[0] == 0 && v[1] == 3 && v[2] == 0 && v[3] == 0);
    EXPECT(agentsched_times_critical_path(t, path, 4, &len), OK);
    CHECK(len == 3 && path[0] == 0 && path[1] == 2 && path[2] == 3);
    EXPECT(agentsched_times_critical_tasks(t, path, 4, &len), OK);
    CHECK(len == 3 && path[0] == 0 && path[1] == 2 && path[2] == 3);
    /* The same as the plain times on the expected durations. */
    if (durations(d, s, 4, REPL, w, __LINE__) &&
        agentsched_dag_times_with(d, w, 4, DATA, &t2) == OK) {
      uint32_t which;
      for (which = AGENTSCHED_TIMES_EST; which <= AGENTSCHED_TIMES_SLACK; which++)
        if (values(t, which, v, 4) && values(t2, which, w, 4))
          for (i = 0; i < 4; i++) CHECK(v[i] == w[i]);
      CHECK(makespan_of(t) == makespan_of(t2));
    }
    agentsched_times_free(t2);
    agentsched_times_free(t);
  }

  EXPECT(agentsched_dag_no_backup_probability(d, s, 4, &p), OK);
  CHECK(p == 0.375);
  EXPECT(agentsched_dag_completion_probability(d, s, 4, &p), OK);
  CHECK(p == 1.0);
  /* Task 4 fails half the time and so may its backup: no backup used 3/8 * 1/2 = 3/16; every
   * task completes with probability 1 - 1/4 = 3/4. */
  s[3] = spec(0.5, &b4, 1);
  EXPECT(agentsched_dag_no_backup_probability(d, s, 4, &p), OK);
  CHECK(p == 0.1875);
  EXPECT(agentsched_dag_completion_probability(d, s, 4, &p), OK);
  CHECK(p == 0.75);
  agentsched_dag_free(d);
}

/* The probability of using no backup is the product of (1 - f_i), multiplied in task order from
 * 1; on 200 tasks with failures k / 64, bit for bit. */
static void test_no_backup_product(void) {
  enum { N = 200 };
  uint32_t ids[N];
  double dur[N], want = 1.0, got = NAN, f;
  agentsched_fault_spec s[N];
  agentsched_backup b = backup(1.0, 0.0);
  agentsched_dag *d;
  size_t i;
  for (i = 0; i < N; i++) {
    ids[i] = (uint32_t)(N - i);
    dur[i] = 1.0;
  }
  d = new_dag(N, ids, dur, 0, NULL, __LINE__);
  if (d == NULL) return;
  for (i = 0; i < N; i++) {
    f = (double)rnd(9) / 64.0;
    s[i] = spec(f, &b, 1);
    want *= 1.0 - f;
  }
  EXPECT(agentsched_dag_no_backup_probability(d, s, N, &got), OK);
  CHECK(got == want);
  EXPECT(agentsched_dag_completion_probability(d, s, N, &got), OK);
  CHECK(got == 1.0);
  agentsched_dag_free(d);
}

/* ---- the expected makespan, by hand ----------------------------------------------------- */

/* Tasks A (id 1, duration 1) and B (id 2, duration 2) in parallel, both before C (id 3, duration
 * 1). A fails half the time (backup 3), B a quarter of the time (backup 4); backups never fail.
 * Replacement, no delays: the four scenarios and max(A, B) + C:
 *   A 1, B 2: p 1/2 * 3/4 = 3/8, makespan 3      A 3, B 2: 3/8, makespan 4
 *   A 1, B 4: 1/2 * 1/4 = 1/8,   makespan 5      A 3, B 4: 1/8, makespan 5
 * E = 3 * 3/8 + 4 * 3/8 + 5 * 1/4 = 3.875; E[M^2] = 9 * 3/8 + 16 * 3/8 + 25 / 4 = 15.625, so the
 * variance is 15.625 - 3.875^2 = 0.609375. The expected durations (2, 2.5, 1) give the lower
 * bound 3.5; the longest times (3, 4, 1) the upper bound 5.
 * With the data delay 1 on A -> C (DELAYS_DATA): max(A + 1, B) + C = 3, 5, 5, 5: E = 3 * 3/8 +
 * 5 * 5/8 = 4.25.
 * Sequential retry: A takes 1 or 1 + 3 = 4, B 2 or 2 + 4 = 6: makespans 3, 5, 7, 7: E = 3 * 3/8
 * + 5 * 3/8 + 7 / 4 = 4.75.
 * If A's backup fails half the time too, A completes with probability 3/4 and, conditional on
 * that, takes 1 (2/3) or 3 (1/3): makespans 3 (1/2), 4 (1/4), 5 (1/6 + 1/12): E = 1.5 + 1 +
 * 1.25 = 3.75, completion probability 3/4. */
static void test_makespan_by_hand(void) {
  const uint32_t ids[3] = {1, 2, 3};
  const double dur[3] = {1, 2, 1};
  const edge e[2] = {{1, 3, 1.0}, {2, 3, 0.0}};
  agentsched_backup ba = backup(3.0, 0.0), bb = backup(4.0, 0.0);
  agentsched_fault_spec s[3];
  agentsched_makespan_options o, def;
  agentsched_makespan_estimate m, m2;
  agentsched_dag *d = new_dag(3, ids, dur, 2, e, __LINE__);
  if (d == NULL) return;
  s[0] = spec(0.5, &ba, 1);
  s[1] = spec(0.25, &bb, 1);
  s[2] = spec(0.0, NULL, 0);

  memset(&def, SENTINEL, sizeof def);
  EXPECT(agentsched_makespan_options_default(&def), OK);
  CHECK(def.max_scenarios == 65536 && def.samples == 10000 && def.seed == 0);

  /* Exact, with the defaults (NULL or filled). */
  m = estimate(d, s, 3, REPL, NONE, NULL, __LINE__);
  CLOSE(m.mean, 3.875, 1e-15);
  CLOSE(m.std_dev * m.std_dev, 0.609375, 1e-14);
  CHECK(m.std_error == 0.0 && m.low == m.mean && m.high == m.mean);
  CHECK(m.method == EXACT && m.evaluated == 4 && m.seed == 0);
  CHECK(m.lower_bound == 3.5 && m.upper_bound == 5.0 && m.completion_probability == 1.0);
  m2 = estimate(d, s, 3, REPL, NONE, &def, __LINE__);
  CHECK(same_estimate(&m, &m2));
  /* Exactly at the limit still enumerates. */
  o = options(4, 2, 7);
  m2 = estimate(d, s, 3, REPL, NONE, &o, __LINE__);
  CHECK(m2.method == EXACT && m2.mean == m.mean);

  /* Monte Carlo around it: the mean within 4 standard errors, the standard error the sample
   * standard deviation over sqrt(samples), the 95% interval 1.96 standard errors wide. */
  o = options(0, 20000, 42);
  m2 = estimate(d, s, 3, REPL, NONE, &o, __LINE__);
  CHECK(m2.method == MONTE_CARLO && m2.evaluated == 20000 && m2.seed == 42);
  CHECK(m2.std_error > 0.0 && fabs(m2.mean - 3.875) <= 4.0 * m2.std_error);
  CLOSE(m2.std_error * m2.std_error * 20000.0, m2.std_dev * m2.std_dev, 1e-12);
  CLOSE(m2.std_dev * m2.std_dev, 0.609375, 0.05);
  CLOSE(m2.high - m2.mean, 1.96 * m2.std_error, 1e-3);
  CLOSE(m2.mean - m2.low, 1.96 * m2.std_error, 1e-3);
  CHECK(m2.lower_bound == 3.5 && m2.upper_bound == 5.0 && m2.completion_probability == 1.0);
  /* Same seed, same estimate; one scenario short of the count, the simulation runs. */
  m = estimate(d, s, 3, REPL, NONE, &o, __LINE__);
  CHECK(same_estimate(&m, &m2));
  o = options(3, 10000, 5);
  m = estimate(d, s, 3, REPL, NONE, &o, __LINE__);
  CHECK(m.method == MONTE_CARLO && m.evaluated == 10000 && m.seed == 5);
  CHECK(fabs(m.mean - 3.875) <= 4.0 * m.std_error);

  /* Data delays, sequential retry. */
  m = estimate(d, s, 3, REPL, DATA, NULL, __LINE__);
  CLOSE(m.mean, 4.25, 1e-15);
  CHECK(m.method == EXACT && m.upper_bound == 5.0);
  o = options(0, 20000, 3);
  m2 = estimate(d, s, 3, REPL, DATA, &o, __LINE__);
  CHECK(fabs(m2.mean - 4.25) <= 4.0 * m2.std_error);
  m = estimate(d, s, 3, RETRY, NONE, NULL, __LINE__);
  CLOSE(m.mean, 4.75, 1e-15);
  CHECK(m.upper_bound == 7.0);
  m2 = estimate(d, s, 3, RETRY, NONE, &o, __LINE__);
  CHECK(fabs(m2.mean - 4.75) <= 4.0 * m2.std_error);

  /* A backup that may fail: conditional on completing. */
  ba = backup(3.0, 0.5);
  m = estimate(d, s, 3, REPL, NONE, NULL, __LINE__);
  CLOSE(m.mean, 3.75, 1e-15);
  CHECK(m.completion_probability == 0.75);
  m2 = estimate(d, s, 3, REPL, NONE, &o, __LINE__);
  CHECK(fabs(m2.mean - 3.75) <= 4.0 * m2.std_error);
  CHECK(m2.completion_probability == 0.75);
  agentsched_dag_free(d);
}

/* ---- random graphs against the definition ----------------------------------------------- */

#define RN 7
#define RB 2

typedef struct {
  size_t n, m;
  uint32_t ids[RN];
  double dur[RN];
  edge edges[RN * RN];
  size_t from[RN * RN], to[RN * RN];
  agentsched_backup b[RN][RB];
  agentsched_fault_spec s[RN];
} rinst;

/* Attempt times (under `model`) and the probability that each one completes the task; returns
 * the number of attempts and puts the probability that all fail in *q. */
static size_t attempts(const rinst *r, size_t i, int retry, double *t, double *p, double *q) {
  const agentsched_fault_spec *s = &r->s[i];
  double reach = 1.0, elapsed = 0.0, time, f;
  size_t k, n = 1 + s->backups_len;
  for (k = 0; k < n; k++) {
    time = k == 0 ? (s->has_time ? s->time : r->dur[i]) : s->backups[k - 1].time;
    f = k == 0 ? s->failure : s->backups[k - 1].failure;
    elapsed += time;
    t[k] = retry ? elapsed : time;
    p[k] = reach * (1.0 - f);
    reach *= f;
  }
  *q = reach;
  return n;
}

/* Longest path with durations d (edges go from lower to higher index). */
static double longest(const rinst *r, const double *d, int data) {
  double eft[RN], est, ms = 0.0;
  size_t i, k;
  for (i = 0; i < r->n; i++) {
    est = 0.0;
    for (k = 0; k < r->m; k++)
      if (r->to[k] == i) {
        double ready = eft[r->from[k]] + (data ? r->edges[k].data : 0.0);
        if (ready > est) est = ready;
      }
    eft[i] = est + d[i];
    if (eft[i] > ms) ms = eft[i];
  }
  return ms;
}

/* Every combination of attempts, "all fail" included (and then left out of the expectation):
 * accumulates the completing scenarios' probability and probability-weighted makespans. */
static void brute(const rinst *r, int retry, int data, size_t i, double w, double *d,
                  double *mass, double *sum, double *sum2) {
  double t[1 + RB], p[1 + RB], q, ms;
  size_t k, n;
  if (i == r->n) {
    ms = longest(r, d, data);
    *mass += w;
    *sum += w * ms;
    *sum2 += w * ms * ms;
    return;
  }
  n = attempts(r, i, retry, t, p, &q);
  for (k = 0; k < n; k++) {
    if (p[k] == 0.0) continue;
    d[i] = t[k];
    brute(r, retry, data, i + 1, w * p[k], d, mass, sum, sum2);
  }
}

static void random_instance(rinst *r) {
  static const double fs[] = {0.0, 0.0, 0.1, 0.25, 0.5, 0.75, 1.0};
  size_t i, j, k;
  r->n = 1 + rnd(RN);
  r->m = 0;
  for (i = 0; i < r->n; i++) {
    size_t nb = rnd(RB + 1);
    double q;
    r->ids[i] = (uint32_t)(1000 + 7 * i);
    r->dur[i] = (double)rnd(10) + (double)rnd(4) / 4.0;
    for (k = 0; k < nb; k++) r->b[i][k] = backup((double)rnd(12) + 0.5, fs[rnd(7)]);
    r->s[i] = rnd(4) == 0 ? timed((double)rnd(8), fs[rnd(7)], r->b[i], nb)
                          : spec(fs[rnd(7)], nb ? r->b[i] : NULL, nb);
    /* A task must be able to complete. */
    q = r->s[i].failure;
    for (k = 0; k < nb; k++) q *= r->b[i][k].failure;
    if (q == 1.0) r->s[i].failure = 0.5;
  }
  for (i = 0; i < r->n; i++)
    for (j = i + 1; j < r->n; j++)
      if (rnd(3) == 0) {
        r->from[r->m] = i;
        r->to[r->m] = j;
        r->edges[r->m].from = r->ids[i];
        r->edges[r->m].to = r->ids[j];
        r->edges[r->m].data = (double)rnd(3);
        r->m++;
      }
}

static void test_random(void) {
  int round;
  for (round = 0; round < 150; round++) {
    rinst r;
    agentsched_dag *d;
    int retry = rnd(2), data = rnd(2);
    uint32_t model = retry ? RETRY : REPL, delays = data ? DATA : NONE;
    double got[RN], want[RN], t[1 + RB], p[1 + RB], q, mass, sum, nb = 1.0, comp = 1.0, x;
    double dd[RN], mean, var, sum2 = 0.0;
    size_t i, k, n;
    agentsched_makespan_estimate m;
    agentsched_makespan_options o;
    agentsched_times *tm;
    random_instance(&r);
    d = new_dag(r.n, r.ids, r.dur, r.m, r.edges, __LINE__);
    if (d == NULL) return;
    /* Expected durations: sum_k P_k t_k over the attempts, divided by the probability that the
     * task completes. */
    for (i = 0; i < r.n; i++) {
      n = attempts(&r, i, retry, t, p, &q);
      mass = sum = 0.0;
      for (k = 0; k < n; k++) {
        mass += p[k];
        sum += p[k] * t[k];
      }
      want[i] = sum / mass;
      nb *= 1.0 - r.s[i].failure;
      comp *= 1.0 - q;
    }
    if (durations(d, r.s, r.n, model, got, __LINE__))
      for (i = 0; i < r.n; i++) CLOSE(got[i], want[i], 1e-12);
    EXPECT(agentsched_dag_no_backup_probability(d, r.s, r.n, &x), OK);
    CHECK(x == nb);
    EXPECT(agentsched_dag_completion_probability(d, r.s, r.n, &x), OK);
    CLOSE(x, comp, 1e-14);
    tm = expected_times(d, r.s, r.n, model, delays, __LINE__);
    if (tm != NULL) {
      CLOSE(makespan_of(tm), longest(&r, want, data), 1e-12);
      agentsched_times_free(tm);
    }
    /* The exact expectation by brute force over every combination of attempts. */
    mass = sum = 0.0;
    brute(&r, retry, data, 0, 1.0, dd, &mass, &sum, &sum2);
    mean = sum / mass;
    var = sum2 / mass - mean * mean;
    m = estimate(d, r.s, r.n, model, delays, NULL, __LINE__);
    CHECK(m.method == EXACT);
    CLOSE(m.mean, mean, 1e-12);
    CLOSE(m.std_dev * m.std_dev, var, 1e-9);
    CLOSE(m.completion_probability, mass, 1e-14);
    CLOSE(m.lower_bound, longest(&r, want, data), 1e-12);
    CHECK(m.lower_bound <= m.mean + 1e-9 && m.mean <= m.upper_bound + 1e-9);
    /* Monte Carlo within 5 standard errors of it. */
    o = options(0, 4000, (uint64_t)round);
    m = estimate(d, r.s, r.n, model, delays, &o, __LINE__);
    CHECK(m.method == MONTE_CARLO && m.evaluated == 4000 && m.seed == (uint64_t)round);
    {
      char what[128];
      snprintf(what, sizeof what, "round %d: Monte Carlo %.6g, exact %.6g, se %.3g", round,
               m.mean, mean, m.std_error);
      check_true(fabs(m.mean - mean) <= 5.0 * m.std_error + 1e-9 * (1.0 + mean), what,
                 __LINE__);
    }
    agentsched_dag_free(d);
  }
}

/* ---- hostile arguments ------------------------------------------------------------------ */

/* Sentinel outputs of every fault call, and whether they are untouched. */
typedef struct {
  double buf[4], p;
  size_t len;
  agentsched_times *t;
  agentsched_makespan_estimate m;
} outs;

static void fill(outs *o) {
  memset(o, SENTINEL, sizeof *o);
  o->t = SENTINEL_TIMES;
}

static int untouched(const outs *o) {
  return all_bytes(o->buf, sizeof o->buf, SENTINEL) && all_bytes(&o->p, sizeof o->p, SENTINEL) &&
         all_bytes(&o->m, sizeof o->m, SENTINEL) && o->t == SENTINEL_TIMES;
}

/* Every call that takes specs fails on these with `want` and a message holding the needles.
 * `probabilities`: whether the two probability calls fail too (not for a task that can never
 * complete, which they report as probability 0). */
static void expect_specs_fail(agentsched_dag *d, const agentsched_fault_spec *s, size_t n,
                              agentsched_status want, int probabilities, const char *a,
                              const char *b, int line) {
  outs o;
  fill(&o);
  o.len = 99;
  expect_status(agentsched_dag_expected_durations(d, s, n, REPL, o.buf, 4, &o.len), want,
                "expected_durations", line);
  expect_error(d, a, b, NULL, line);
  check_true(o.len == 99, "expected_durations leaves *out_len on failure", line);
  expect_status(agentsched_dag_expected_durations(d, s, n, RETRY, o.buf, 4, &o.len), want,
                "expected_durations (retry)", line);
  expect_status(agentsched_dag_expected_times(d, s, n, REPL, DATA, &o.t), want, "expected_times",
                line);
  expect_error(d, a, b, NULL, line);
  expect_status(agentsched_dag_expected_makespan(d, s, n, RETRY, NONE, NULL, &o.m), want,
                "expected_makespan", line);
  expect_error(d, a, b, NULL, line);
  if (probabilities) {
    expect_status(agentsched_dag_no_backup_probability(d, s, n, &o.p), want,
                  "no_backup_probability", line);
    expect_error(d, a, b, NULL, line);
    expect_status(agentsched_dag_completion_probability(d, s, n, &o.p), want,
                  "completion_probability", line);
    expect_error(d, a, b, NULL, line);
  }
  check_true(untouched(&o), "a failed call writes no output", line);
}
#define SPECS_FAIL(d, s, n, want, a, b) expect_specs_fail((d), (s), (n), (want), 1, (a), (b), __LINE__)

/* Three tasks, ids 10, 20, 30, durations 1, 2, 3, a chain. The good specs: 10 fails 1/4 of the
 * time (backups 2, then 4 with f = 1/2), 20 never fails, 30 fails half the time (backup 5). */
static void good_specs(agentsched_fault_spec *s, agentsched_backup *b) {
  b[0] = backup(2.0, 0.0);
  b[1] = backup(4.0, 0.5);
  b[2] = backup(5.0, 0.0);
  s[0] = spec(0.25, b, 2);
  s[1] = spec(0.0, NULL, 0);
  s[2] = spec(0.5, b + 2, 1);
}

/* The answers on the good specs, to compare after the failures. */
typedef struct {
  double durations[3], no_backup, completion, expected_makespan;
  agentsched_makespan_estimate mc;
} answers;

static answers answers_of(agentsched_dag *d, int line) {
  agentsched_fault_spec s[3];
  agentsched_backup b[3];
  agentsched_makespan_options o = options(0, 100, 1);
  agentsched_times *t = NULL;
  answers a;
  size_t len = 0;
  memset(&a, 0, sizeof a);
  good_specs(s, b);
  check_true(agentsched_dag_expected_durations(d, s, 3, REPL, a.durations, 3, &len) == OK &&
                 agentsched_dag_no_backup_probability(d, s, 3, &a.no_backup) == OK &&
                 agentsched_dag_completion_probability(d, s, 3, &a.completion) == OK &&
                 agentsched_dag_expected_times(d, s, 3, REPL, DATA, &t) == OK &&
                 agentsched_times_makespan(t, &a.expected_makespan) == OK &&
                 agentsched_dag_expected_makespan(d, s, 3, REPL, DATA, &o, &a.mc) == OK,
             "the good specs work", line);
  agentsched_times_free(t);
  return a;
}

static void test_bad_specs(void) {
  const uint32_t ids[3] = {10, 20, 30};
  const double dur[3] = {1, 2, 3};
  const edge e[2] = {{10, 20, 1.0}, {20, 30, 0.0}};
  const double bad_p[] = {NAN, -NAN, INFINITY, -INFINITY, -0.1, -1e-300, 1.5, 1.0 + DBL_EPSILON};
  const double bad_t[] = {NAN, INFINITY, -INFINITY, -1.0, -1e-300, -DBL_MAX};
  agentsched_fault_spec s[4];
  agentsched_backup b[3], bad[2];
  agentsched_dag *d = new_dag(3, ids, dur, 2, e, __LINE__);
  answers before, after;
  size_t k, n = 0, m = 0;
  if (d == NULL) return;
  before = answers_of(d, __LINE__);
  /* By hand: durations 3/4 * 1 + 1/4 * 2 = 1.25, 2, 1/2 * 3 + 1/2 * 5 = 4; no backup 3/8. */
  CHECK(before.durations[0] == 1.25 && before.durations[1] == 2.0 && before.durations[2] == 4.0);
  CHECK(before.no_backup == 0.375 && before.completion == 1.0);
  CHECK(before.expected_makespan == 1.25 + 1.0 + 2.0 + 4.0);

  /* The number of specs, and the specs array itself. */
  good_specs(s, b);
  s[3] = s[1];
  SPECS_FAIL(d, s, 2, DIMS_BAD, "specs", "expected 3");
  SPECS_FAIL(d, s, 4, DIMS_BAD, "specs", "got 4");
  SPECS_FAIL(d, NULL, 0, DIMS_BAD, "specs", "got 0");
  SPECS_FAIL(d, NULL, 3, NULLP, "null pointer", NULL);
  SPECS_FAIL(d, s, HUGE_LEN, INVAL, "specs", "too large");

  /* Backups NULL with a non-zero length, or a length too large: the task and `backups`. */
  good_specs(s, b);
  s[1].backups_len = 2;
  SPECS_FAIL(d, s, 3, NULLP, "task#20", "`backups`: NULL with backups_len 2");
  s[1].backups = b;
  s[1].backups_len = HUGE_LEN;
  SPECS_FAIL(d, s, 3, INVAL, "task#20", "`backups`: length too large");
  /* A NULL pointer with a zero length is an empty chain: task 20 fails half the time and has
   * no backup, so it completes with probability 1/2 and, when it does, takes 2. */
  s[1].backups = NULL;
  s[1].backups_len = 0;
  s[1].failure = 0.5;
  {
    double v[3], p = NAN;
    if (durations(d, s, 3, REPL, v, __LINE__)) CHECK(v[0] == 1.25 && v[1] == 2.0 && v[2] == 4.0);
    EXPECT(agentsched_dag_completion_probability(d, s, 3, &p), OK);
    CHECK(p == 0.5);
  }

  /* Failure probabilities: the primary's and a backup's. */
  for (k = 0; k < sizeof bad_p / sizeof bad_p[0]; k++) {
    good_specs(s, b);
    s[1].failure = bad_p[k];
    SPECS_FAIL(d, s, 3, BAD_NUMBER, "task task#20: fault spec `failure`", "probability");
    good_specs(s, b);
    bad[0] = backup(1.0, 0.0);
    bad[1] = backup(1.0, bad_p[k]);
    s[2] = spec(0.5, bad, 2);
    SPECS_FAIL(d, s, 3, BAD_NUMBER, "task task#30: fault spec `backups[1].failure`",
               "probability");
  }
  /* Times: the primary's own (with has_time) and a backup's. */
  for (k = 0; k < sizeof bad_t / sizeof bad_t[0]; k++) {
    good_specs(s, b);
    s[0] = timed(bad_t[k], 0.25, b, 2);
    SPECS_FAIL(d, s, 3, BAD_NUMBER, "task task#10: fault spec `time`", NULL);
    good_specs(s, b);
    bad[0] = backup(bad_t[k], 0.0);
    s[2] = spec(0.5, bad, 1);
    SPECS_FAIL(d, s, 3, BAD_NUMBER, "task task#30: fault spec `backups[0].time`", NULL);
  }
  /* Without has_time the time is not read, whatever it holds. */
  good_specs(s, b);
  s[0].time = NAN;
  s[1].time = -INFINITY;
  s[2].time = -1.0;
  {
    double v[3];
    if (durations(d, s, 3, REPL, v, __LINE__)) CHECK(v[0] == 1.25 && v[1] == 2.0 && v[2] == 4.0);
  }
  /* The lowest task index first; within a task, the first bad field: time, failure, backups. */
  good_specs(s, b);
  s[2].failure = 2.0;
  s[1] = timed(-1.0, NAN, NULL, 0);
  SPECS_FAIL(d, s, 3, BAD_NUMBER, "task#20", "`time`");
  bad[0] = backup(-1.0, 0.0);
  s[1] = spec(NAN, bad, 1);
  SPECS_FAIL(d, s, 3, BAD_NUMBER, "task#20", "`failure`");
  s[1] = spec(0.5, bad, 1);
  SPECS_FAIL(d, s, 3, BAD_NUMBER, "task#20", "`backups[0].time`");

  /* A task that can never complete: no expectation, probability 0. */
  good_specs(s, b);
  bad[0] = backup(1.0, 1.0);
  s[1] = spec(1.0, bad, 1);
  expect_specs_fail(d, s, 3, BAD_NUMBER, 0, "task#20", "never complete", __LINE__);
  {
    double p = NAN;
    EXPECT(agentsched_dag_completion_probability(d, s, 3, &p), OK);
    CHECK(p == 0.0);
    EXPECT(agentsched_dag_no_backup_probability(d, s, 3, &p), OK);
    CHECK(p == 0.0);
  }

  /* Unknown model and delays values, and too few samples. */
  {
    const uint32_t bad_enum[] = {2, 3, 100, UINT32_MAX};
    agentsched_makespan_options o = options(0, 1, 0);
    outs out;
    fill(&out);
    good_specs(s, b);
    out.len = 99;
    for (k = 0; k < sizeof bad_enum / sizeof bad_enum[0]; k++) {
      EXPECT(agentsched_dag_expected_durations(d, s, 3, bad_enum[k], out.buf, 4, &out.len), INVAL);
      EXPECT_ERROR2(d, "model", "unknown value");
      EXPECT(agentsched_dag_expected_times(d, s, 3, bad_enum[k], NONE, &out.t), INVAL);
      EXPECT_ERROR(d, "model");
      EXPECT(agentsched_dag_expected_times(d, s, 3, REPL, bad_enum[k], &out.t), INVAL);
      EXPECT_ERROR(d, "delays");
      EXPECT(agentsched_dag_expected_makespan(d, s, 3, bad_enum[k], NONE, NULL, &out.m), INVAL);
      EXPECT_ERROR(d, "model");
      EXPECT(agentsched_dag_expected_makespan(d, s, 3, REPL, bad_enum[k], NULL, &out.m), INVAL);
      EXPECT_ERROR(d, "delays");
    }
    EXPECT(agentsched_dag_expected_makespan(d, s, 3, REPL, NONE, &o, &out.m), BAD_CONFIG);
    EXPECT_ERROR(d, "samples");
    o.samples = 0;
    EXPECT(agentsched_dag_expected_makespan(d, s, 3, REPL, NONE, &o, &out.m), BAD_CONFIG);
    CHECK(untouched(&out) && out.len == 99);
    /* Few samples are fine when the enumeration runs: 2 * 1 * 2 = 4 scenarios (task 10's
     * second backup is never reached, since its first never fails). */
    o.max_scenarios = 4;
    EXPECT(agentsched_dag_expected_makespan(d, s, 3, REPL, NONE, &o, &out.m), OK);
    CHECK(out.m.method == EXACT && out.m.evaluated == 4);
  }

  /* The dag is unchanged and gives the same answers. */
  EXPECT(agentsched_dag_counts(d, &n, &m), OK);
  CHECK(n == 3 && m == 2);
  after = answers_of(d, __LINE__);
  CHECK(memcmp(before.durations, after.durations, sizeof before.durations) == 0);
  CHECK(before.no_backup == after.no_backup && before.completion == after.completion);
  CHECK(before.expected_makespan == after.expected_makespan);
  CHECK(same_estimate(&before.mc, &after.mc));
  agentsched_dag_free(d);
}

/* Buffers too small, empty graphs, NULL for every pointer argument. */
static void test_buffers_and_nulls(void) {
  const uint32_t ids[3] = {10, 20, 30};
  const double dur[3] = {1, 2, 3};
  agentsched_fault_spec s[3];
  agentsched_backup b[3];
  agentsched_dag *d = new_dag(3, ids, dur, 0, NULL, __LINE__), *empty;
  agentsched_makespan_options o = options(0, 10, 0);
  agentsched_makespan_estimate m;
  outs out;
  size_t len;
  if (d == NULL) return;
  good_specs(s, b);

  /* Too small: the size needed, nothing written, the previous message kept. */
  EXPECT(agentsched_dag_expected_durations(d, s, 3, 9, out.buf, 4, &len), INVAL);
  fill(&out);
  len = 0;
  EXPECT(agentsched_dag_expected_durations(d, s, 3, REPL, out.buf, 2, &len), TOO_SMALL);
  CHECK(len == 3 && untouched(&out));
  len = 0;
  EXPECT(agentsched_dag_expected_durations(d, s, 3, REPL, NULL, 100, &len), TOO_SMALL);
  CHECK(len == 3);
  EXPECT_ERROR(d, "model");

  /* NULL handles. */
  fill(&out);
  out.len = 99;
  EXPECT(agentsched_dag_expected_durations(NULL, s, 3, REPL, out.buf, 4, &out.len), NULLP);
  EXPECT(agentsched_dag_expected_times(NULL, s, 3, REPL, NONE, &out.t), NULLP);
  EXPECT(agentsched_dag_no_backup_probability(NULL, s, 3, &out.p), NULLP);
  EXPECT(agentsched_dag_completion_probability(NULL, s, 3, &out.p), NULLP);
  EXPECT(agentsched_dag_expected_makespan(NULL, s, 3, REPL, NONE, &o, &out.m), NULLP);
  EXPECT(agentsched_makespan_options_default(NULL), NULLP);
  /* NULL outputs on a live dag. */
  EXPECT(agentsched_dag_expected_durations(d, s, 3, REPL, out.buf, 4, NULL), NULLP);
  EXPECT_ERROR(d, "null pointer");
  EXPECT(agentsched_dag_expected_times(d, s, 3, REPL, NONE, NULL), NULLP);
  EXPECT_ERROR(d, "null pointer");
  EXPECT(agentsched_dag_no_backup_probability(d, s, 3, NULL), NULLP);
  EXPECT(agentsched_dag_completion_probability(d, s, 3, NULL), NULLP);
  EXPECT(agentsched_dag_expected_makespan(d, s, 3, REPL, NONE, &o, NULL), NULLP);
  EXPECT_ERROR(d, "null pointer");
  CHECK(untouched(&out) && out.len == 99);
  /* NULL options are the defaults. */
  m = estimate(d, s, 3, REPL, NONE, NULL, __LINE__);
  CHECK(m.method == EXACT && m.evaluated == 4);
  agentsched_dag_free(d);

  /* An empty graph: no specs, nothing expected, certain completion, makespan 0 in one
   * scenario. */
  empty = new_dag(0, NULL, NULL, 0, NULL, __LINE__);
  if (empty == NULL) return;
  {
    double p = NAN;
    agentsched_times *t = NULL;
    len = 99;
    EXPECT(agentsched_dag_expected_durations(empty, NULL, 0, REPL, NULL, 0, &len), OK);
    CHECK(len == 0);
    EXPECT(agentsched_dag_expected_times(empty, NULL, 0, RETRY, DATA, &t), OK);
    CHECK(makespan_of(t) == 0.0);
    agentsched_times_free(t);
    EXPECT(agentsched_dag_no_backup_probability(empty, NULL, 0, &p), OK);
    CHECK(p == 1.0);
    p = NAN;
    EXPECT(agentsched_dag_completion_probability(empty, NULL, 0, &p), OK);
    CHECK(p == 1.0);
    m = estimate(empty, NULL, 0, REPL, NONE, NULL, __LINE__);
    CHECK(m.mean == 0.0 && m.method == EXACT && m.evaluated == 1 && m.upper_bound == 0.0);
    EXPECT(agentsched_dag_expected_durations(empty, s, 1, REPL, NULL, 0, &len), DIMS_BAD);
    EXPECT_ERROR(empty, "specs");
  }
  agentsched_dag_free(empty);
}

int main(void) {
  test_formula();
  test_chain();
  test_expected_times();
  test_no_backup_product();
  test_makespan_by_hand();
  test_random();
  test_bad_specs();
  test_buffers_and_nulls();
  printf("dag_fault_test: %u checks (%u hostile calls), %u failed: %s\n", g_checks, g_hostile,
         g_failed, g_failed ? "FAIL" : "ok");
  return g_failed ? 1 : 0;
}
