/*
 * The task-graph part of the C ABI of agentsched, tested from C: building graphs, freezing them
 * (cycles named), topological orders, CPM times and critical paths, platforms, and checking
 * schedules.
 *
 * Oracles: a published textbook network (Hillier & Lieberman's Reliable Construction Co.
 * project: 14 activities, 44 weeks), small graphs computed by hand in the comments, and, on
 * random graphs, everything recomputed from scratch in C: the times bit for bit (the same
 * additions and max/min, in any order, give the same doubles), the critical path walked edge by
 * edge, the topological order by a naive lowest-index-first Kahn, cycles by transitive closure,
 * and schedules built in C that the validator must accept, then broken one rule at a time.
 * Hostile arguments: cyclic graphs (the graph stays usable, the message names a task on the
 * cycle), unknown ids, self-loops, duplicate edges and tasks, NaN / infinite / negative
 * durations, data, speeds, links and times, dimension mismatches, lengths too large for memory,
 * NULL for every pointer argument, too-small buffers (the size needed is reported and nothing is
 * written), unknown enum values, empty graphs. A failed call leaves its outputs untouched
 * (pre-filled sentinels) and its handle's counts unchanged.
 *
 * Prints one summary line and exits non-zero on any failure.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/dag_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o dag_test
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

#define CHECK(cond) check_true((cond) ? 1 : 0, #cond, __LINE__)
#define EXPECT(call, want) expect_status((call), (want), #call, __LINE__)
#define OK AGENTSCHED_STATUS_OK
#define NULLP AGENTSCHED_STATUS_NULL_POINTER
#define INVAL AGENTSCHED_STATUS_INVALID_ARGUMENT
#define TOO_SMALL AGENTSCHED_STATUS_BUFFER_TOO_SMALL
#define BAD_NUMBER AGENTSCHED_STATUS_INVALID_NUMBER
#define DIMS_BAD AGENTSCHED_STATUS_DIMENSION_MISMATCH
#define BAD_CONFIG AGENTSCHED_STATUS_INVALID_CONFIG
#define UNKNOWN AGENTSCHED_STATUS_UNKNOWN_TASK
#define DUPLICATE AGENTSCHED_STATUS_DUPLICATE_TASK
#define CYCLE AGENTSCHED_STATUS_CYCLE
#define BAD_GRAPH AGENTSCHED_STATUS_INVALID_GRAPH
#define BAD_SCHEDULE AGENTSCHED_STATUS_INVALID_SCHEDULE
#define NONE AGENTSCHED_DELAYS_NONE
#define DATA AGENTSCHED_DELAYS_DATA

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
#define SENTINEL_DAG ((agentsched_dag *)(void *)&g_sentinel_obj)
#define SENTINEL_GRAPH ((agentsched_task_graph *)(void *)&g_sentinel_obj)
#define SENTINEL_TIMES ((agentsched_times *)(void *)&g_sentinel_obj)
#define SENTINEL_PLATFORM ((agentsched_platform *)(void *)&g_sentinel_obj)

static uint64_t g_rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng % n);
}

/* ---- messages --------------------------------------------------------------------------- */

/* A handle's last error, read with the size protocol (which is checked on the way). `graph` or
 * `dag` is the handle (the other NULL). */
static char *last_error(const agentsched_task_graph *graph, const agentsched_dag *dag, int line) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
#define READ(buf, cap, out)                                                   \
  (graph != NULL ? agentsched_task_graph_last_error(graph, (buf), (cap), (out)) \
                 : agentsched_dag_last_error(dag, (buf), (cap), (out)))
  agentsched_status s = READ(NULL, 0, &len);
  check_true(s == TOO_SMALL && len != (size_t)-1, "last_error(NULL, 0) reports the size", line);
  if (s != TOO_SMALL) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  memset(msg, SENTINEL, len + 1);
  if (len > 0) {
    s = READ(msg, len, &len2);
    check_true(s == TOO_SMALL && len2 == len && all_bytes(msg, len + 1, SENTINEL),
               "last_error(cap = len) is too small and writes nothing", line);
  }
  s = READ(msg, len + 1, &len2);
#undef READ
  check_true(s == OK && len2 == len && msg[len] == '\0' && strlen(msg) == len,
             "last_error(cap = len + 1) succeeds", line);
  return msg;
}

static void expect_error(const agentsched_task_graph *graph, const agentsched_dag *dag,
                         const char *needle, int line) {
  char *msg = last_error(graph, dag, line);
  char what[512];
  snprintf(what, sizeof what, "last_error mentions \"%s\" (got \"%s\")", needle,
           msg ? msg : "(none)");
  check_true(msg != NULL && strstr(msg, needle) != NULL, what, line);
  free(msg);
}
#define EXPECT_GRAPH_ERROR(g, needle) expect_error((g), NULL, (needle), __LINE__)
#define EXPECT_DAG_ERROR(d, needle) expect_error(NULL, (d), (needle), __LINE__)

/* The task id named by the graph's message ("... task#17 ..."), or -1. */
static long named_task(const agentsched_task_graph *g) {
  char *msg = last_error(g, NULL, __LINE__);
  const char *p = msg ? strstr(msg, "task#") : NULL;
  long id = p ? strtol(p + 5, NULL, 10) : -1;
  free(msg);
  return id;
}

/* ---- fixtures --------------------------------------------------------------------------- */

typedef struct {
  uint32_t from, to;
  double data;
} edge;

static agentsched_task_graph *new_graph(size_t n, const uint32_t *ids, const double *durations,
                                        size_t m, const edge *edges, int line) {
  agentsched_task_graph *g = NULL;
  size_t i, tasks = 99, edges_n = 99;
  check_true(agentsched_task_graph_new(&g) == OK && g != NULL, "fixture: task_graph_new", line);
  if (g == NULL) return NULL;
  for (i = 0; i < n; i++)
    check_true(agentsched_task_graph_add_task(g, ids[i], durations[i]) == OK,
               "fixture: add_task", line);
  for (i = 0; i < m; i++)
    check_true(agentsched_task_graph_add_edge(g, edges[i].from, edges[i].to, edges[i].data) == OK,
               "fixture: add_edge", line);
  check_true(agentsched_task_graph_counts(g, &tasks, &edges_n) == OK && tasks == n &&
                 edges_n == m,
             "fixture: counts", line);
  return g;
}

static agentsched_dag *freeze(agentsched_task_graph *g, int line) {
  agentsched_dag *d = NULL;
  agentsched_status s = g ? agentsched_dag_new(g, &d) : NULLP;
  check_true(s == OK && d != NULL, "fixture: dag_new", line);
  return d;
}

static agentsched_times *times_of(agentsched_dag *d, uint32_t delays, int line) {
  agentsched_times *t = NULL;
  check_true(agentsched_dag_times(d, delays, &t) == OK && t != NULL, "fixture: dag_times", line);
  return t;
}

/* One time per task into `out` (capacity n), checking the size protocol on the way. */
static int values(const agentsched_times *t, uint32_t which, double *out, size_t n, int line) {
  size_t len = (size_t)-1;
  agentsched_status s = agentsched_times_values(t, which, NULL, 0, &len);
  check_true(s == (n ? TOO_SMALL : OK) && len == n, "times_values(NULL, 0) reports n", line);
  s = agentsched_times_values(t, which, out, n, &len);
  check_true(s == OK && len == n, "times_values succeeds with room", line);
  return s == OK && len == n;
}

static double makespan_of(const agentsched_times *t) {
  double ms = NAN;
  EXPECT(agentsched_times_makespan(t, &ms), OK);
  return ms;
}

static size_t index_of(agentsched_dag *d, uint32_t id) {
  size_t i = SIZE_MAX;
  EXPECT(agentsched_dag_index_of(d, id, &i), OK);
  return i;
}

/* ---- the textbook network --------------------------------------------------------------- */

/* Hillier & Lieberman, Introduction to Operations Research, "Reliable Construction Co.": 14
 * activities (weeks), the published schedule: project length 44 weeks, critical path
 * A B C E F J L N, and these earliest/latest starts (finish = start + duration):
 *
 *   act dur  preds   ES  LS  slack        act dur  preds   ES  LS  slack
 *   A    2   -        0   0   0           H    9   E G     29  33   4
 *   B    4   A        2   2   0           I    7   C       16  18   2
 *   C   10   B        6   6   0           J    8   F I     25  25   0
 *   D    6   C       16  20   4           K    4   J       33  34   1
 *   E    4   C       16  16   0           L    5   J       33  33   0
 *   F    5   E       20  20   0           M    2   H       38  42   4
 *   G    7   D       22  26   4           N    6   K L     38  38   0
 *
 * (By hand: H starts at max(EF E = 20, EF G = 29) = 29; J at max(EF F = 25, EF I = 23) = 25; N
 * at max(EF K = 37, EF L = 38) = 38 and finishes at 44; backwards, LF C = min(LS D = 20, LS E =
 * 16, LS I = 18) = 16.) Activity X has id 100 + (X - 'A' + 1): A = 101 ... N = 114. */
#define NA 14
static const double TB_DUR[NA] = {2, 4, 10, 6, 4, 5, 7, 9, 7, 8, 4, 5, 2, 6};
static const double TB_ES[NA] = {0, 2, 6, 16, 16, 20, 22, 29, 16, 25, 33, 33, 38, 38};
static const double TB_LS[NA] = {0, 2, 6, 20, 16, 20, 26, 33, 18, 25, 34, 33, 42, 38};
static const char TB_PRED[NA][3] = {"",   "A", "B",  "C", "C", "E", "D",
                                    "EG", "C", "FI", "J", "J", "H", "KL"};
#define TB_ID(letter) ((uint32_t)(101 + ((letter) - 'A')))

/* Inserted in reverse (N first), so that the index order is not topological. */
static agentsched_task_graph *textbook_graph(void) {
  agentsched_task_graph *g = NULL;
  int a;
  const char *p;
  EXPECT(agentsched_task_graph_new(&g), OK);
  for (a = NA - 1; a >= 0; a--)
    EXPECT(agentsched_task_graph_add_task(g, TB_ID('A' + a), TB_DUR[a]), OK);
  for (a = 0; a < NA; a++)
    for (p = TB_PRED[a]; *p; p++)
      EXPECT(agentsched_task_graph_add_edge(g, TB_ID(*p), TB_ID('A' + a), 0.0), OK);
  return g;
}

static void test_textbook(void) {
  agentsched_task_graph *g = textbook_graph();
  agentsched_dag *d = freeze(g, __LINE__);
  agentsched_times *t;
  double est[NA], eft[NA], lst[NA], lft[NA], slack[NA];
  size_t path[NA + 1], crit[NA + 1], order[NA], len = 0, i, n = 0, m = 0;
  uint32_t ids[NA];
  const char *want_path = "ABCEFJLN";
  int a;
  if (d == NULL) return;

  EXPECT(agentsched_dag_counts(d, &n, &m), OK);
  CHECK(n == NA && m == 16);
  /* Index = insertion position: N is 0, A is 13. */
  EXPECT(agentsched_dag_ids(d, ids, NA, &len), OK);
  CHECK(len == NA);
  for (a = 0; a < NA; a++)
    CHECK(ids[NA - 1 - a] == TB_ID('A' + a) && index_of(d, TB_ID('A' + a)) == (size_t)(NA - 1 - a));

  /* Topological order, the lowest ready index first (by hand: after A B C the ready tasks are D
   * (10), E (9), I (5): I; then E; then F (8) beside D; F; then J (4); then K (3) and L (2): L;
   * K; then N (0) beside D: N; D; G; H; M). */
  {
    const char *want = "ABCIEFJLKNDGHM";
    EXPECT(agentsched_dag_topological_order(d, order, NA, &len), OK);
    CHECK(len == NA);
    for (i = 0; i < NA; i++) CHECK(order[i] == index_of(d, TB_ID(want[i])));
  }

  t = times_of(d, NONE, __LINE__);
  if (t == NULL) return;
  CHECK(makespan_of(t) == 44.0);
  if (values(t, AGENTSCHED_TIMES_EST, est, NA, __LINE__) &&
      values(t, AGENTSCHED_TIMES_EFT, eft, NA, __LINE__) &&
      values(t, AGENTSCHED_TIMES_LST, lst, NA, __LINE__) &&
      values(t, AGENTSCHED_TIMES_LFT, lft, NA, __LINE__) &&
      values(t, AGENTSCHED_TIMES_SLACK, slack, NA, __LINE__)) {
    for (a = 0; a < NA; a++) {
      size_t k = (size_t)(NA - 1 - a);
      CHECK(est[k] == TB_ES[a] && eft[k] == TB_ES[a] + TB_DUR[a]);
      CHECK(lst[k] == TB_LS[a] && lft[k] == TB_LS[a] + TB_DUR[a]);
      CHECK(slack[k] == TB_LS[a] - TB_ES[a]);
    }
  }
  EXPECT(agentsched_times_critical_path(t, path, NA + 1, &len), OK);
  CHECK(len == strlen(want_path));
  for (i = 0; i < len && i < strlen(want_path); i++)
    CHECK(path[i] == index_of(d, TB_ID(want_path[i])));
  /* Critical tasks by ascending index: the path's tasks, N (0) first, A (13) last. */
  EXPECT(agentsched_times_critical_tasks(t, crit, NA + 1, &len), OK);
  {
    const char *want = "NLJFECBA";
    CHECK(len == strlen(want));
    for (i = 0; i < len && i < strlen(want); i++) CHECK(crit[i] == index_of(d, TB_ID(want[i])));
  }

  /* Too-small buffers: the size needed, nothing written. */
  {
    size_t small[NA];
    double dsmall[NA];
    uint32_t usmall[NA];
    memset(small, SENTINEL, sizeof small);
    memset(dsmall, SENTINEL, sizeof dsmall);
    memset(usmall, SENTINEL, sizeof usmall);
    len = 0;
    EXPECT(agentsched_times_critical_path(t, small, 7, &len), TOO_SMALL);
    CHECK(len == 8);
    len = 0;
    EXPECT(agentsched_times_critical_path(t, NULL, 100, &len), TOO_SMALL);
    CHECK(len == 8);
    len = 0;
    EXPECT(agentsched_times_critical_tasks(t, small, 0, &len), TOO_SMALL);
    CHECK(len == 8);
    len = 0;
    EXPECT(agentsched_times_values(t, AGENTSCHED_TIMES_LST, dsmall, NA - 1, &len), TOO_SMALL);
    CHECK(len == NA);
    len = 0;
    EXPECT(agentsched_dag_topological_order(d, small, NA - 1, &len), TOO_SMALL);
    CHECK(len == NA);
    len = 0;
    EXPECT(agentsched_dag_ids(d, usmall, 1, &len), TOO_SMALL);
    CHECK(len == NA);
    CHECK(all_bytes(small, sizeof small, SENTINEL) && all_bytes(dsmall, sizeof dsmall, SENTINEL) &&
          all_bytes(usmall, sizeof usmall, SENTINEL));
  }
  /* Unknown selectors and delays. */
  len = 7;
  EXPECT(agentsched_times_values(t, 5, est, NA, &len), INVAL);
  EXPECT(agentsched_times_values(t, UINT32_MAX, est, NA, &len), INVAL);
  CHECK(len == 7);
  {
    agentsched_times *t2 = SENTINEL_TIMES;
    EXPECT(agentsched_dag_times(d, 2, &t2), INVAL);
    EXPECT_DAG_ERROR(d, "delays");
    EXPECT(agentsched_dag_times(d, UINT32_MAX, &t2), INVAL);
    CHECK(t2 == SENTINEL_TIMES);
  }

  /* The times outlive the dag, which outlives the graph. */
  agentsched_task_graph_free(g);
  EXPECT(agentsched_dag_counts(d, &n, &m), OK);
  agentsched_dag_free(d);
  CHECK(makespan_of(t) == 44.0);
  agentsched_times_free(t);
}

/* ---- data delays and other durations, by hand ------------------------------------------- */

/* A diamond, ids 1..4 inserted in order (index = id - 1):
 *
 *        1 (2)
 *   d=3 /     \ d=0
 *    2 (3)   3 (1)
 *   d=1 \     / d=5
 *        4 (2)
 *
 * DELAYS_DATA: ES 1 = 0 (EF 2); ES 2 = 2 + 3 = 5 (EF 8); ES 3 = 2 + 0 = 2 (EF 3); ES 4 =
 * max(8 + 1, 3 + 5) = 9 (EF 11). Makespan 11. Backwards: LF 4 = 11 (LS 9); LF 2 = 9 - 1 = 8
 * (LS 5); LF 3 = 9 - 5 = 4 (LS 3); LF 1 = min(5 - 3, 3 - 0) = 2 (LS 0). Slack (0, 0, 1, 0); path
 * 1 2 4.
 * DELAYS_NONE: ES (0, 2, 2, 5), EF (2, 5, 3, 7), makespan 7; LS (0, 2, 4, 5): slack 3 = 2.
 * Durations (1, 1, 10, 1), no delays: ES (0, 1, 1, 11), makespan 12, path 1 3 4. */
static void test_by_hand(void) {
  const uint32_t ids[4] = {1, 2, 3, 4};
  const double dur[4] = {2, 3, 1, 2};
  const edge e[4] = {{1, 2, 3.0}, {1, 3, 0.0}, {2, 4, 1.0}, {3, 4, 5.0}};
  agentsched_task_graph *g = new_graph(4, ids, dur, 4, e, __LINE__);
  agentsched_dag *d = freeze(g, __LINE__);
  agentsched_times *t;
  double v[4];
  size_t path[4], len = 0;
  if (d == NULL) return;

  t = times_of(d, DATA, __LINE__);
  CHECK(makespan_of(t) == 11.0);
  if (values(t, AGENTSCHED_TIMES_EST, v, 4, __LINE__))
    CHECK(v[0] == 0 && v[1] == 5 && v[2] == 2 && v[3] == 9);
  if (values(t, AGENTSCHED_TIMES_EFT, v, 4, __LINE__))
    CHECK(v[0] == 2 && v[1] == 8 && v[2] == 3 && v[3] == 11);
  if (values(t, AGENTSCHED_TIMES_LFT, v, 4, __LINE__))
    CHECK(v[0] == 2 && v[1] == 8 && v[2] == 4 && v[3] == 11);
  if (values(t, AGENTSCHED_TIMES_LST, v, 4, __LINE__))
    CHECK(v[0] == 0 && v[1] == 5 && v[2] == 3 && v[3] == 9);
  if (values(t, AGENTSCHED_TIMES_SLACK, v, 4, __LINE__))
    CHECK(v[0] == 0 && v[1] == 0 && v[2] == 1 && v[3] == 0);
  EXPECT(agentsched_times_critical_path(t, path, 4, &len), OK);
  CHECK(len == 3 && path[0] == 0 && path[1] == 1 && path[2] == 3);
  EXPECT(agentsched_times_critical_tasks(t, path, 4, &len), OK);
  CHECK(len == 3 && path[0] == 0 && path[1] == 1 && path[2] == 3);
  agentsched_times_free(t);

  t = times_of(d, NONE, __LINE__);
  CHECK(makespan_of(t) == 7.0);
  if (values(t, AGENTSCHED_TIMES_EST, v, 4, __LINE__))
    CHECK(v[0] == 0 && v[1] == 2 && v[2] == 2 && v[3] == 5);
  if (values(t, AGENTSCHED_TIMES_LST, v, 4, __LINE__))
    CHECK(v[0] == 0 && v[1] == 2 && v[2] == 4 && v[3] == 5);
  agentsched_times_free(t);

  {
    const double other[4] = {1, 1, 10, 1};
    double bad[4] = {1, 1, 10, 1};
    const double nasty[] = {NAN, INFINITY, -INFINITY, -1.0, -1e-300};
    size_t k;
    t = NULL;
    EXPECT(agentsched_dag_times_with(d, other, 4, NONE, &t), OK);
    CHECK(makespan_of(t) == 12.0);
    if (values(t, AGENTSCHED_TIMES_EST, v, 4, __LINE__))
      CHECK(v[0] == 0 && v[1] == 1 && v[2] == 1 && v[3] == 11);
    EXPECT(agentsched_times_critical_path(t, path, 4, &len), OK);
    CHECK(len == 3 && path[0] == 0 && path[1] == 2 && path[2] == 3);
    agentsched_times_free(t);

    t = SENTINEL_TIMES;
    EXPECT(agentsched_dag_times_with(d, other, 3, NONE, &t), DIMS_BAD);
    EXPECT_DAG_ERROR(d, "durations");
    EXPECT(agentsched_dag_times_with(d, other, 5, NONE, &t), DIMS_BAD);
    EXPECT(agentsched_dag_times_with(d, NULL, 0, NONE, &t), DIMS_BAD);
    EXPECT(agentsched_dag_times_with(d, NULL, 4, NONE, &t), NULLP);
    EXPECT(agentsched_dag_times_with(d, other, HUGE_LEN, NONE, &t), INVAL);
    EXPECT_DAG_ERROR(d, "too large");
    EXPECT(agentsched_dag_times_with(d, other, 4, 7, &t), INVAL);
    EXPECT_DAG_ERROR(d, "delays");
    EXPECT(agentsched_dag_times_with(d, other, 4, NONE, NULL), NULLP);
    EXPECT_DAG_ERROR(d, "null pointer");
    for (k = 0; k < sizeof nasty / sizeof nasty[0]; k++) {
      bad[2] = nasty[k];
      EXPECT(agentsched_dag_times_with(d, bad, 4, DATA, &t), BAD_NUMBER);
      EXPECT_DAG_ERROR(d, "durations");
    }
    CHECK(t == SENTINEL_TIMES);
  }
  agentsched_dag_free(d);
  agentsched_task_graph_free(g);
}

/* ---- malformed graphs ------------------------------------------------------------------- */

static void expect_counts(agentsched_task_graph *g, size_t n, size_t m, int line) {
  size_t a = 99, b = 99;
  check_true(agentsched_task_graph_counts(g, &a, &b) == OK && a == n && b == m,
             "the graph's counts are unchanged", line);
}

static void test_malformed(void) {
  const double nasty[] = {NAN, -NAN, INFINITY, -INFINITY, -1.0, -1e-300, -DBL_MAX};
  agentsched_task_graph *g = NULL;
  size_t k;
  EXPECT(agentsched_task_graph_new(&g), OK);
  if (g == NULL) return;
  {
    /* No failure yet: an empty message. */
    char msg[4] = {'x', 'x', 'x', 'x'};
    size_t len = 99;
    EXPECT(agentsched_task_graph_last_error(g, msg, sizeof msg, &len), OK);
    CHECK(len == 0 && msg[0] == '\0');
  }
  EXPECT(agentsched_task_graph_add_task(g, 1, 2.0), OK);
  EXPECT(agentsched_task_graph_add_task(g, 2, 0.0), OK); /* zero is a duration */
  EXPECT(agentsched_task_graph_add_task(g, UINT32_MAX, 1.0), OK);
  EXPECT(agentsched_task_graph_add_edge(g, 1, 2, 0.0), OK);
  expect_counts(g, 3, 1, __LINE__);

  /* Duplicate task, even with another duration. */
  EXPECT(agentsched_task_graph_add_task(g, 1, 5.0), DUPLICATE);
  EXPECT_GRAPH_ERROR(g, "duplicate task task#1");
  EXPECT(agentsched_task_graph_add_task(g, UINT32_MAX, 1.0), DUPLICATE);
  /* Bad durations and data. */
  for (k = 0; k < sizeof nasty / sizeof nasty[0]; k++) {
    EXPECT(agentsched_task_graph_add_task(g, 9, nasty[k]), BAD_NUMBER);
    EXPECT_GRAPH_ERROR(g, "duration");
    EXPECT(agentsched_task_graph_add_edge(g, 2, UINT32_MAX, nasty[k]), BAD_NUMBER);
    EXPECT_GRAPH_ERROR(g, "data");
  }
  expect_counts(g, 3, 1, __LINE__);
  /* Unknown ids, at either end, and both. */
  EXPECT(agentsched_task_graph_add_edge(g, 1, 99, 0.0), UNKNOWN);
  EXPECT_GRAPH_ERROR(g, "unknown task task#99");
  EXPECT(agentsched_task_graph_add_edge(g, 98, 1, 0.0), UNKNOWN);
  EXPECT_GRAPH_ERROR(g, "unknown task task#98");
  EXPECT(agentsched_task_graph_add_edge(g, 97, 96, 0.0), UNKNOWN);
  EXPECT(agentsched_task_graph_add_edge(g, 0, 1, 0.0), UNKNOWN);
  /* Self-loops and duplicate edges (the reverse edge is not a duplicate). */
  EXPECT(agentsched_task_graph_add_edge(g, 2, 2, 0.0), BAD_GRAPH);
  EXPECT_GRAPH_ERROR(g, "self-loop on task task#2");
  EXPECT(agentsched_task_graph_add_edge(g, UINT32_MAX, UINT32_MAX, 1.0), BAD_GRAPH);
  EXPECT(agentsched_task_graph_add_edge(g, 1, 2, 0.0), BAD_GRAPH);
  EXPECT_GRAPH_ERROR(g, "duplicate edge task#1 -> task#2");
  EXPECT(agentsched_task_graph_add_edge(g, 1, 2, 7.5), BAD_GRAPH);
  expect_counts(g, 3, 1, __LINE__);
  /* The first error wins: an unknown end before a bad number, a self-loop before it too. */
  EXPECT(agentsched_task_graph_add_edge(g, 1, 99, NAN), UNKNOWN);
  EXPECT(agentsched_task_graph_add_edge(g, 2, 2, NAN), BAD_GRAPH);
  expect_counts(g, 3, 1, __LINE__);
  /* Still a good graph: freeze it. */
  {
    agentsched_dag *d = NULL;
    agentsched_times *t = NULL;
    size_t order[3], len = 0;
    EXPECT(agentsched_dag_new(g, &d), OK);
    EXPECT(agentsched_dag_topological_order(d, order, 3, &len), OK);
    CHECK(len == 3 && order[0] == 0 && order[1] == 1 && order[2] == 2);
    EXPECT(agentsched_dag_times(d, DATA, &t), OK);
    CHECK(makespan_of(t) == 2.0);
    {
      size_t i = 12345;
      EXPECT(agentsched_dag_index_of(d, 3, &i), UNKNOWN);
      EXPECT_DAG_ERROR(d, "unknown task task#3");
      CHECK(i == 12345);
      CHECK(index_of(d, UINT32_MAX) == 2);
    }
    agentsched_times_free(t);
    agentsched_dag_free(d);
  }
  /* The graph is still open: the reverse edge is fine to add (and makes a cycle). */
  EXPECT(agentsched_task_graph_add_edge(g, 2, 1, 0.0), OK);
  expect_counts(g, 3, 2, __LINE__);
  agentsched_task_graph_free(g);
}

/* ---- cycles ----------------------------------------------------------------------------- */

/* Freezing must fail with CYCLE, name `want` (or, with want < 0, some task), leave *out, the
 * counts and the graph's usability alone. Returns the named id. */
static long expect_cycle(agentsched_task_graph *g, long want, int line) {
  agentsched_dag *d = SENTINEL_DAG;
  size_t n = 0, m = 0, n2 = 0, m2 = 0;
  long id;
  agentsched_task_graph_counts(g, &n, &m);
  expect_status(agentsched_dag_new(g, &d), CYCLE, "dag_new on a cyclic graph", line);
  check_true(d == SENTINEL_DAG, "dag_new left *out untouched", line);
  id = named_task(g);
  if (want >= 0) {
    char what[128];
    snprintf(what, sizeof what, "the cycle is named by task#%ld (got %ld)", want, id);
    check_true(id == want, what, line);
  }
  expect_error(g, NULL, "cycle", line);
  agentsched_task_graph_counts(g, &n2, &m2);
  check_true(n == n2 && m == m2, "a failed freeze changes nothing", line);
  return id;
}

static void test_cycles(void) {
  /* Two tasks, each before the other. */
  {
    const uint32_t ids[2] = {7, 3};
    const double dur[2] = {1, 1};
    const edge e[2] = {{7, 3, 0.0}, {3, 7, 1.0}};
    agentsched_task_graph *g = new_graph(2, ids, dur, 2, e, __LINE__);
    expect_cycle(g, 3, __LINE__);
    /* Still usable: add a task and freeze again (still a cycle). */
    EXPECT(agentsched_task_graph_add_task(g, 8, 1.0), OK);
    EXPECT(agentsched_task_graph_add_edge(g, 7, 8, 0.0), OK);
    expect_cycle(g, 3, __LINE__);
    agentsched_task_graph_free(g);
  }
  /* A cycle {3, 4} with task 1 below it: the name is on the cycle, not the lowest leftover. */
  {
    const uint32_t ids[4] = {1, 2, 3, 4};
    const double dur[4] = {1, 1, 1, 1};
    const edge e[4] = {{1, 2, 0.0}, {3, 4, 0.0}, {4, 3, 0.0}, {3, 1, 0.0}};
    agentsched_task_graph *g = new_graph(4, ids, dur, 4, e, __LINE__);
    expect_cycle(g, 3, __LINE__);
    agentsched_task_graph_free(g);
  }
  /* A chain 0 -> 1 -> ... -> 999 closed by 999 -> 500: the cycle is 500..999, named by 500;
   * then the fix: the same graph without the back edge, built anew. */
  {
    enum { LEN = 1000 };
    agentsched_task_graph *g = NULL, *fixed = NULL;
    agentsched_dag *d = NULL;
    agentsched_times *t = NULL;
    uint32_t i;
    EXPECT(agentsched_task_graph_new(&g), OK);
    EXPECT(agentsched_task_graph_new(&fixed), OK);
    for (i = 0; i < LEN; i++) {
      EXPECT(agentsched_task_graph_add_task(g, i, 1.0), OK);
      EXPECT(agentsched_task_graph_add_task(fixed, i, 1.0), OK);
    }
    for (i = 0; i + 1 < LEN; i++) {
      EXPECT(agentsched_task_graph_add_edge(g, i, i + 1, 0.0), OK);
      EXPECT(agentsched_task_graph_add_edge(fixed, i, i + 1, 0.0), OK);
    }
    EXPECT(agentsched_task_graph_add_edge(g, LEN - 1, 500, 0.0), OK);
    expect_cycle(g, 500, __LINE__);
    EXPECT(agentsched_dag_new(fixed, &d), OK);
    EXPECT(agentsched_dag_times(d, NONE, &t), OK);
    CHECK(makespan_of(t) == (double)LEN);
    agentsched_times_free(t);
    agentsched_dag_free(d);
    agentsched_task_graph_free(fixed);
    agentsched_task_graph_free(g);
  }
  /* A ring of 200 tasks inserted in a scrambled order, ids 1000 + 7k mod 200: named by 1000. */
  {
    enum { RING = 200 };
    agentsched_task_graph *g = NULL;
    uint32_t k;
    EXPECT(agentsched_task_graph_new(&g), OK);
    for (k = 0; k < RING; k++)
      EXPECT(agentsched_task_graph_add_task(g, 1000 + (7 * k) % RING, 1.0), OK);
    for (k = 0; k < RING; k++)
      EXPECT(agentsched_task_graph_add_edge(g, 1000 + k, 1000 + (k + 1) % RING, 1.0), OK);
    expect_cycle(g, 1000, __LINE__);
    agentsched_task_graph_free(g);
  }
}

/* Random graphs with edges in any direction: freezing succeeds exactly when the transitive
 * closure has no task reaching itself, and a CYCLE names a task on a cycle. */
#define RN 12
static void test_random_cycles(void) {
  int round, cyclic = 0, acyclic = 0;
  for (round = 0; round < 300; round++) {
    unsigned char reach[RN][RN];
    uint32_t ids[RN];
    size_t n = 2 + rnd(RN - 1), i, j, k, m = 0, edges = rnd(2 * RN);
    agentsched_task_graph *g = NULL;
    agentsched_dag *d = SENTINEL_DAG;
    agentsched_status s;
    int has_cycle = 0;
    memset(reach, 0, sizeof reach);
    EXPECT(agentsched_task_graph_new(&g), OK);
    for (i = 0; i < n; i++) {
      ids[i] = (uint32_t)(i * 10 + rnd(10));
      EXPECT(agentsched_task_graph_add_task(g, ids[i], (double)rnd(8)), OK);
    }
    for (k = 0; k < edges; k++) {
      size_t u = rnd((uint32_t)n), v = rnd((uint32_t)n);
      s = agentsched_task_graph_add_edge(g, ids[u], ids[v], (double)rnd(4));
      if (u == v) {
        EXPECT(s, BAD_GRAPH);
      } else if (reach[u][v] == 2) {
        EXPECT(s, BAD_GRAPH); /* already there */
      } else {
        EXPECT(s, OK);
        reach[u][v] = 2; /* 2 marks an edge; closure adds 1s */
        m++;
      }
    }
    expect_counts(g, n, m, __LINE__);
    for (k = 0; k < n; k++)
      for (i = 0; i < n; i++)
        if (reach[i][k])
          for (j = 0; j < n; j++)
            if (reach[k][j] && !reach[i][j]) reach[i][j] = 1;
    for (i = 0; i < n; i++) has_cycle |= reach[i][i] != 0;
    s = agentsched_dag_new(g, &d);
    if (has_cycle) {
      long id;
      size_t at = n;
      cyclic++;
      EXPECT(s, CYCLE);
      CHECK(d == SENTINEL_DAG);
      id = named_task(g);
      for (i = 0; i < n; i++)
        if ((long)ids[i] == id) at = i;
      CHECK(at < n && reach[at][at]);
    } else {
      acyclic++;
      EXPECT(s, OK);
      if (s == OK) agentsched_dag_free(d);
    }
    agentsched_task_graph_free(g);
  }
  CHECK(cyclic > 50 && acyclic > 50);
}

/* ---- random DAGs, recomputed in C ------------------------------------------------------- */

#define MAXN 40
#define MAXE 160

typedef struct {
  size_t n, m;
  uint32_t ids[MAXN];
  double dur[MAXN];
  size_t from[MAXE], to[MAXE]; /* task indices */
  double data[MAXE];
  size_t rank_order[MAXN];     /* a topological order (by rank) */
} rdag;

/* A random DAG: tasks get random ranks, edges go from lower to higher rank; tasks are inserted
 * in a random order with random ids, so the index order is rarely topological. */
static void random_dag(rdag *r) {
  size_t rank[MAXN], i, k;
  memset(r, 0, sizeof *r);
  r->n = rnd(MAXN + 1);
  for (i = 0; i < r->n; i++) rank[i] = i;
  for (i = r->n; i > 1; i--) {
    size_t j = rnd((uint32_t)i), tmp = rank[i - 1];
    rank[i - 1] = rank[j];
    rank[j] = tmp;
  }
  for (i = 0; i < r->n; i++) {
    r->ids[i] = (uint32_t)(i * 1000 + rnd(1000));
    r->dur[i] = rnd(5) == 0 ? 0.0 : (double)rnd(400) / 8.0;
    r->rank_order[rank[i]] = i;
  }
  if (r->n < 2) return;
  for (k = 0; k < MAXE && rnd(MAXE + 20) < MAXE - r->m / 2; k++) {
    size_t u = rnd((uint32_t)r->n), v = rnd((uint32_t)r->n), e, dup = 0;
    if (rank[u] == rank[v]) continue;
    if (rank[u] > rank[v]) {
      size_t tmp = u;
      u = v;
      v = tmp;
    }
    for (e = 0; e < r->m; e++) dup |= r->from[e] == u && r->to[e] == v;
    if (dup) continue;
    r->from[r->m] = u;
    r->to[r->m] = v;
    r->data[r->m] = rnd(3) == 0 ? 0.0 : (double)rnd(64) / 4.0;
    r->m++;
  }
}

/* CPM from scratch over the rank order. */
static double cpm(const rdag *r, int data, double *est, double *eft, double *lst, double *lft) {
  size_t k, e;
  double ms = 0.0;
  for (k = 0; k < r->n; k++) {
    size_t v = r->rank_order[k];
    double s = 0.0;
    for (e = 0; e < r->m; e++)
      if (r->to[e] == v) {
        double f = eft[r->from[e]] + (data ? r->data[e] : 0.0);
        if (f > s) s = f;
      }
    est[v] = s;
    eft[v] = s + r->dur[v];
    if (eft[v] > ms) ms = eft[v];
  }
  for (k = r->n; k-- > 0;) {
    size_t v = r->rank_order[k];
    double f = ms;
    for (e = 0; e < r->m; e++)
      if (r->from[e] == v) {
        double l = lst[r->to[e]] - (data ? r->data[e] : 0.0);
        if (l < f) f = l;
      }
    lft[v] = f;
    lst[v] = f - r->dur[v];
  }
  return ms;
}

static void test_random_dags(void) {
  int round;
  for (round = 0; round < 200; round++) {
    rdag r;
    agentsched_task_graph *g;
    agentsched_dag *d;
    int data = round % 2;
    size_t i, e, len = SIZE_MAX, order[MAXN], path[MAXN], crit[MAXN];
    double est[MAXN], eft[MAXN], lst[MAXN], lft[MAXN], got[MAXN], ms;
    agentsched_times *t;
    edge edges[MAXE];
    random_dag(&r);
    for (e = 0; e < r.m; e++) {
      edges[e].from = r.ids[r.from[e]];
      edges[e].to = r.ids[r.to[e]];
      edges[e].data = r.data[e];
    }
    g = new_graph(r.n, r.ids, r.dur, r.m, edges, __LINE__);
    d = freeze(g, __LINE__);
    agentsched_task_graph_free(g);
    if (d == NULL) continue;

    /* The topological order: lowest-index-first Kahn, naively. */
    EXPECT(agentsched_dag_topological_order(d, order, MAXN, &len), OK);
    CHECK(len == r.n);
    {
      unsigned char done[MAXN];
      size_t k;
      memset(done, 0, sizeof done);
      for (k = 0; k < r.n && k < len; k++) {
        size_t v, want = r.n;
        for (v = 0; v < r.n && want == r.n; v++) {
          int ready = !done[v];
          for (e = 0; e < r.m && ready; e++) ready = !(r.to[e] == v && !done[r.from[e]]);
          if (ready) want = v;
        }
        CHECK(order[k] == want);
        if (want < r.n) done[want] = 1;
      }
    }

    ms = cpm(&r, data, est, eft, lst, lft);
    t = times_of(d, data ? DATA : NONE, __LINE__);
    if (t == NULL) {
      agentsched_dag_free(d);
      continue;
    }
    CHECK(makespan_of(t) == ms);
    if (values(t, AGENTSCHED_TIMES_EST, got, r.n, __LINE__))
      CHECK(memcmp(got, est, r.n * sizeof *got) == 0);
    if (values(t, AGENTSCHED_TIMES_EFT, got, r.n, __LINE__))
      CHECK(memcmp(got, eft, r.n * sizeof *got) == 0);
    if (values(t, AGENTSCHED_TIMES_LST, got, r.n, __LINE__))
      CHECK(memcmp(got, lst, r.n * sizeof *got) == 0);
    if (values(t, AGENTSCHED_TIMES_LFT, got, r.n, __LINE__))
      CHECK(memcmp(got, lft, r.n * sizeof *got) == 0);
    if (values(t, AGENTSCHED_TIMES_SLACK, got, r.n, __LINE__))
      for (i = 0; i < r.n; i++) CHECK(got[i] == lst[i] - est[i]);

    /* The critical path: from a task without predecessors, along tight edges, to the makespan. */
    EXPECT(agentsched_times_critical_path(t, path, MAXN, &len), OK);
    CHECK((r.n == 0) == (len == 0));
    if (len > 0 && len <= r.n) {
      size_t k;
      for (e = 0; e < r.m; e++) CHECK(r.to[e] != path[0]);
      CHECK(est[path[0]] == 0.0 && eft[path[len - 1]] == ms);
      for (k = 0; k + 1 < len; k++) {
        int tight = 0;
        for (e = 0; e < r.m; e++)
          if (r.from[e] == path[k] && r.to[e] == path[k + 1])
            tight = eft[path[k]] + (data ? r.data[e] : 0.0) == est[path[k + 1]];
        CHECK(tight);
      }
    }
    /* Critical tasks: slack within 1e-9 * max(1, makespan), ascending. */
    EXPECT(agentsched_times_critical_tasks(t, crit, MAXN, &len), OK);
    {
      size_t k = 0;
      double tol = 1e-9 * (ms > 1.0 ? ms : 1.0);
      for (i = 0; i < r.n; i++)
        if (lst[i] - est[i] <= tol) {
          CHECK(k < len && crit[k] == i);
          k++;
        }
      CHECK(k == len);
    }
    /* The same times with the durations passed in. */
    {
      agentsched_times *t2 = NULL;
      EXPECT(agentsched_dag_times_with(d, r.dur, r.n, data ? DATA : NONE, &t2), OK);
      if (values(t2, AGENTSCHED_TIMES_LFT, got, r.n, __LINE__))
        CHECK(memcmp(got, lft, r.n * sizeof *got) == 0);
      CHECK(makespan_of(t2) == ms);
      agentsched_times_free(t2);
    }
    agentsched_times_free(t);
    agentsched_dag_free(d);
  }
}

/* ---- platforms -------------------------------------------------------------------------- */

static void expect_related_fails(const double *speeds, size_t agents, const double *links,
                                 size_t links_len, agentsched_status want, int line) {
  agentsched_platform *p = SENTINEL_PLATFORM;
  expect_status(agentsched_platform_related(speeds, agents, links, links_len, &p), want,
                "platform_related", line);
  check_true(p == SENTINEL_PLATFORM, "platform_related left *out untouched", line);
}
#define EXPECT_RELATED_FAILS(s, a, l, ll, want) \
  expect_related_fails((s), (a), (l), (ll), (want), __LINE__)

static void expect_matrix_fails(size_t tasks, size_t agents, const double *times, size_t times_len,
                                const double *links, size_t links_len, agentsched_status want,
                                int line) {
  agentsched_platform *p = SENTINEL_PLATFORM;
  expect_status(agentsched_platform_matrix(tasks, agents, times, times_len, links, links_len, &p),
                want, "platform_matrix", line);
  check_true(p == SENTINEL_PLATFORM, "platform_matrix left *out untouched", line);
}
#define EXPECT_MATRIX_FAILS(t, a, x, xl, l, ll, want) \
  expect_matrix_fails((t), (a), (x), (xl), (l), (ll), (want), __LINE__)

static void test_platforms(void) {
  const double speeds[2] = {1.0, 2.0};
  const double links[4] = {0.0, 3.0, 2.0, 0.0};
  const double nasty[] = {NAN, INFINITY, -INFINITY, -1.0, -1e-300};
  double s2[2], l4[4], x6[6];
  const double times[6] = {1, 2, 3, 4, 0, 6};
  agentsched_platform *p = NULL;
  size_t agents = 0, k, cell;

  EXPECT(agentsched_platform_related(speeds, 2, links, 4, &p), OK);
  EXPECT(agentsched_platform_agents(p, &agents), OK);
  CHECK(agents == 2);
  agentsched_platform_free(p);
  p = NULL;
  EXPECT(agentsched_platform_matrix(3, 2, times, 6, links, 4, &p), OK);
  EXPECT(agentsched_platform_agents(p, &agents), OK);
  CHECK(agents == 2);
  agentsched_platform_free(p);
  /* One agent: a 1 x 1 link matrix whose diagonal is unused (0 is fine). */
  p = NULL;
  EXPECT(agentsched_platform_related(speeds, 1, links, 1, &p), OK);
  agentsched_platform_free(p);
  /* No tasks on a matrix platform. */
  p = NULL;
  EXPECT(agentsched_platform_matrix(0, 2, NULL, 0, links, 4, &p), OK);
  agentsched_platform_free(p);

  /* Bad speeds (zero too), bad links (off the diagonal zero too; on it only bad numbers). */
  for (k = 0; k < sizeof nasty / sizeof nasty[0]; k++) {
    for (cell = 0; cell < 2; cell++) {
      memcpy(s2, speeds, sizeof s2);
      s2[cell] = nasty[k];
      EXPECT_RELATED_FAILS(s2, 2, links, 4, BAD_NUMBER);
    }
    for (cell = 0; cell < 4; cell++) {
      memcpy(l4, links, sizeof l4);
      l4[cell] = nasty[k];
      EXPECT_RELATED_FAILS(speeds, 2, l4, 4, BAD_NUMBER);
      EXPECT_MATRIX_FAILS(3, 2, times, 6, l4, 4, BAD_NUMBER);
    }
    for (cell = 0; cell < 6; cell++) {
      memcpy(x6, times, sizeof x6);
      x6[cell] = nasty[k];
      EXPECT_MATRIX_FAILS(3, 2, x6, 6, links, 4, BAD_NUMBER);
    }
  }
  memcpy(s2, speeds, sizeof s2);
  s2[1] = 0.0;
  EXPECT_RELATED_FAILS(s2, 2, links, 4, BAD_NUMBER);
  memcpy(l4, links, sizeof l4);
  l4[2] = 0.0;
  EXPECT_RELATED_FAILS(speeds, 2, l4, 4, BAD_NUMBER);
  EXPECT_MATRIX_FAILS(3, 2, times, 6, l4, 4, BAD_NUMBER);
  /* Dimensions. */
  EXPECT_RELATED_FAILS(speeds, 2, links, 3, DIMS_BAD);
  EXPECT_RELATED_FAILS(speeds, 2, links, 1, DIMS_BAD);
  EXPECT_RELATED_FAILS(speeds, 1, links, 4, DIMS_BAD);
  EXPECT_RELATED_FAILS(speeds, 2, NULL, 0, DIMS_BAD);
  EXPECT_MATRIX_FAILS(3, 2, times, 5, links, 4, DIMS_BAD);
  EXPECT_MATRIX_FAILS(2, 2, times, 6, links, 4, DIMS_BAD);
  EXPECT_MATRIX_FAILS(2, 3, times, 6, links, 4, DIMS_BAD);
  EXPECT_MATRIX_FAILS(3, 2, times, 6, links, 2, DIMS_BAD);
  /* No agents; products that overflow. */
  EXPECT_RELATED_FAILS(NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_RELATED_FAILS(speeds, 0, links, 0, BAD_CONFIG);
  EXPECT_MATRIX_FAILS(0, 0, NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_MATRIX_FAILS(3, 0, NULL, 0, NULL, 0, BAD_CONFIG);
  EXPECT_MATRIX_FAILS(SIZE_MAX, 2, times, 6, links, 4, AGENTSCHED_STATUS_OVERFLOW);
  EXPECT_MATRIX_FAILS(0, ((size_t)1 << (sizeof(size_t) * 4)) + 1, NULL, 0, links, 4,
                      AGENTSCHED_STATUS_OVERFLOW);
  /* NULL with non-zero lengths, NULL out, lengths too large for memory. */
  EXPECT_RELATED_FAILS(NULL, 2, links, 4, NULLP);
  EXPECT_RELATED_FAILS(speeds, 2, NULL, 4, NULLP);
  EXPECT_MATRIX_FAILS(3, 2, NULL, 6, links, 4, NULLP);
  EXPECT_MATRIX_FAILS(3, 2, times, 6, NULL, 4, NULLP);
  EXPECT(agentsched_platform_related(speeds, 2, links, 4, NULL), NULLP);
  EXPECT(agentsched_platform_matrix(3, 2, times, 6, links, 4, NULL), NULLP);
  EXPECT_RELATED_FAILS(speeds, HUGE_LEN, links, 4, INVAL);
  EXPECT_RELATED_FAILS(speeds, 2, links, HUGE_LEN, INVAL);
  EXPECT_MATRIX_FAILS(3, 2, times, HUGE_LEN, links, 4, INVAL);
  EXPECT_MATRIX_FAILS(3, 2, times, 6, links, HUGE_LEN, INVAL);
  agents = 77;
  EXPECT(agentsched_platform_agents(NULL, &agents), NULLP);
  CHECK(agents == 77);
  agentsched_platform_free(NULL);
}

/* ---- validation, by hand ---------------------------------------------------------------- */

/* Tasks 10 (4 units), 20 (2), 30 (3), 40 (2, no edges); edges 10 -> 20 (data 6), 10 -> 30 (data
 * 0). Two related agents, speeds 1 and 2; links from 0 to 1 of strength 3 and from 1 to 0 of
 * strength 2 (different, so a direction mix-up shows). On agent 1 the tasks take 2, 1, 1.5, 1.
 *
 * A valid schedule: 10 on agent 1 over [0, 2]; its data to 20 on agent 0 takes 6 / 2 = 3, so 20
 * runs over [5, 7] on agent 0; 30 on agent 1 right after 10, [2, 3.5] (same agent: no transfer);
 * 40 on agent 0 over [0, 2]. Makespan 7. (Had the link been read 0 -> 1, 20 could start at 4.) */
static void set_slot(agentsched_slot *s, uint32_t agent, double start, double finish) {
  s->agent = agent;
  s->start = start;
  s->finish = finish;
}

static void expect_invalid(agentsched_dag *d, const agentsched_platform *p,
                           const agentsched_slot *slots, size_t n, double makespan,
                           agentsched_status want, const char *needle, const char *needle2,
                           int line) {
  double out = -12.5;
  expect_status(agentsched_dag_validate(d, p, slots, n, makespan, &out), want, "dag_validate",
                line);
  check_true(out == -12.5, "dag_validate left *out_makespan untouched", line);
  if (needle) expect_error(NULL, d, needle, line);
  if (needle2) expect_error(NULL, d, needle2, line);
}
#define EXPECT_INVALID(s, ms, want, needle, needle2) \
  expect_invalid(d, p, (s), 4, (ms), (want), (needle), (needle2), __LINE__)

static void test_validate_by_hand(void) {
  const uint32_t ids[4] = {10, 20, 30, 40};
  const double dur[4] = {4, 2, 3, 2};
  const edge e[2] = {{10, 20, 6.0}, {10, 30, 0.0}};
  const double speeds[2] = {1.0, 2.0};
  const double links[4] = {0.0, 3.0, 2.0, 0.0};
  agentsched_task_graph *g = new_graph(4, ids, dur, 2, e, __LINE__);
  agentsched_dag *d = freeze(g, __LINE__);
  agentsched_platform *p = NULL;
  agentsched_slot ok[4], s[4];
  double ms = -1.0;
  if (d == NULL) return;
  agentsched_task_graph_free(g);
  EXPECT(agentsched_platform_related(speeds, 2, links, 4, &p), OK);
  set_slot(&ok[0], 1, 0.0, 2.0);
  set_slot(&ok[1], 0, 5.0, 7.0);
  set_slot(&ok[2], 1, 2.0, 3.5);
  set_slot(&ok[3], 0, 0.0, 2.0);
  EXPECT(agentsched_dag_validate(d, p, ok, 4, 7.0, &ms), OK);
  CHECK(ms == 7.0);

  /* Communication: 20 at 4 (the data arrives at 5). */
  memcpy(s, ok, sizeof s);
  set_slot(&s[1], 0, 4.0, 6.0);
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#20", "data of task task#10 arrives at 5");
  /* Precedence on one agent: 30 before 10 finishes. */
  memcpy(s, ok, sizeof s);
  set_slot(&s[2], 1, 1.0, 2.5);
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#30", "arrives at 2");
  /* Overlap without an edge: 40 on agent 1 over [1, 2], inside 10's [0, 2]; the lower index is
   * named. */
  memcpy(s, ok, sizeof s);
  set_slot(&s[3], 1, 1.0, 2.0);
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "at task task#10", "overlaps task task#40 on agent 1");
  /* Touching is not overlapping: 40 on agent 1 over [3.5, 4.5]. */
  memcpy(s, ok, sizeof s);
  set_slot(&s[3], 1, 3.5, 4.5);
  EXPECT(agentsched_dag_validate(d, p, s, 4, 7.0, &ms), OK);
  /* Wrong finish (not start + execution time), on either side. */
  memcpy(s, ok, sizeof s);
  s[1].finish = 6.0;
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#20", "execution time = 7");
  s[1].finish = 8.0;
  EXPECT_INVALID(s, 8.0, BAD_SCHEDULE, "task#20", NULL);
  /* An agent that does not exist; bad times. */
  memcpy(s, ok, sizeof s);
  s[3].agent = 2;
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#40", "agent 2 does not exist");
  s[3].agent = UINT32_MAX;
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#40", NULL);
  memcpy(s, ok, sizeof s);
  s[3].start = NAN;
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#40", "finite");
  s[3].start = -2.0;
  s[3].finish = 0.0;
  EXPECT_INVALID(s, 7.0, BAD_SCHEDULE, "task#40", NULL);
  memcpy(s, ok, sizeof s);
  s[1].finish = INFINITY;
  EXPECT_INVALID(s, INFINITY, BAD_SCHEDULE, "task#20", NULL);
  /* The reported makespan must be the largest finish. */
  EXPECT_INVALID(ok, 8.0, BAD_SCHEDULE, "makespan 8 should be 7", NULL);
  EXPECT_INVALID(ok, 6.0, BAD_SCHEDULE, "makespan", NULL);
  EXPECT_INVALID(ok, NAN, BAD_SCHEDULE, "makespan", NULL);
  /* Slot counts; NULL pointers; lengths too large for memory. */
  expect_invalid(d, p, ok, 3, 7.0, DIMS_BAD, "slots", NULL, __LINE__);
  expect_invalid(d, p, ok, 5, 7.0, DIMS_BAD, "slots", NULL, __LINE__);
  expect_invalid(d, p, NULL, 0, 7.0, DIMS_BAD, "slots", NULL, __LINE__);
  expect_invalid(d, p, NULL, 4, 7.0, NULLP, "null pointer", NULL, __LINE__);
  expect_invalid(d, NULL, ok, 4, 7.0, NULLP, "null pointer", NULL, __LINE__);
  expect_invalid(d, p, ok, HUGE_LEN, 7.0, INVAL, "too large", NULL, __LINE__);
  EXPECT(agentsched_dag_validate(d, p, ok, 4, 7.0, NULL), NULLP);
  EXPECT(agentsched_dag_validate(NULL, p, ok, 4, 7.0, &ms), NULLP);
  /* The dag is unchanged by all that. */
  ms = -1.0;
  EXPECT(agentsched_dag_validate(d, p, ok, 4, 7.0, &ms), OK);
  CHECK(ms == 7.0);
  agentsched_platform_free(p);

  /* A time matrix: 4 tasks x 2 agents; 10 takes 1 on agent 0, 20 takes 3 on agent 1 after the
   * data crosses 0 -> 1 (6 / 3 = 2): [3, 6]. 30 on agent 0 [1, 2]; 40 on agent 1 [0, 1]. */
  {
    const double x[8] = {1, 5, 9, 3, 1, 1, 2, 1};
    agentsched_slot m[4];
    set_slot(&m[0], 0, 0.0, 1.0);
    set_slot(&m[1], 1, 3.0, 6.0);
    set_slot(&m[2], 0, 1.0, 2.0);
    set_slot(&m[3], 1, 0.0, 1.0);
    p = NULL;
    EXPECT(agentsched_platform_matrix(4, 2, x, 8, links, 4, &p), OK);
    ms = -1.0;
    EXPECT(agentsched_dag_validate(d, p, m, 4, 6.0, &ms), OK);
    CHECK(ms == 6.0);
    m[1].start = 2.5;
    m[1].finish = 5.5;
    EXPECT_INVALID(m, 5.5, BAD_SCHEDULE, "task#20", "arrives at 3");
    agentsched_platform_free(p);
    /* A matrix made for another number of tasks. */
    p = NULL;
    EXPECT(agentsched_platform_matrix(3, 2, x, 6, links, 4, &p), OK);
    EXPECT_INVALID(ok, 7.0, DIMS_BAD, "times", NULL);
    agentsched_platform_free(p);
  }
  agentsched_dag_free(d);
}

/* ---- validation of random schedules ----------------------------------------------------- */

#define MAXA 4

/* A list schedule built in C in rank order on random agents; returns its makespan. */
static double build_schedule(const rdag *r, size_t agents, const double *speeds,
                             const double *links, agentsched_slot *slots) {
  double free_at[MAXA], ms = 0.0;
  size_t k, e, a;
  for (a = 0; a < agents; a++) free_at[a] = rnd(3) == 0 ? (double)rnd(10) : 0.0;
  for (k = 0; k < r->n; k++) {
    size_t v = r->rank_order[k];
    double start;
    a = rnd((uint32_t)agents);
    start = free_at[a];
    for (e = 0; e < r->m; e++)
      if (r->to[e] == v) {
        size_t q = slots[r->from[e]].agent;
        double comm = q == a ? 0.0 : r->data[e] / links[q * agents + a];
        double ready = slots[r->from[e]].finish + comm;
        if (ready > start) start = ready;
      }
    slots[v].agent = (uint32_t)a;
    slots[v].start = start;
    slots[v].finish = start + r->dur[v] / speeds[a];
    free_at[a] = slots[v].finish;
    if (slots[v].finish > ms) ms = slots[v].finish;
  }
  return ms;
}

static void test_random_schedules(void) {
  int round, broken = 0;
  for (round = 0; round < 200; round++) {
    rdag r;
    agentsched_task_graph *g;
    agentsched_dag *d;
    agentsched_platform *p = NULL;
    agentsched_slot slots[MAXN], bad[MAXN];
    double speeds[MAXA], links[MAXA * MAXA], ms, got = -1.0;
    size_t agents = 1 + rnd(MAXA), i, j, e;
    edge edges[MAXE];
    random_dag(&r);
    for (e = 0; e < r.m; e++) {
      edges[e].from = r.ids[r.from[e]];
      edges[e].to = r.ids[r.to[e]];
      edges[e].data = r.data[e];
    }
    g = new_graph(r.n, r.ids, r.dur, r.m, edges, __LINE__);
    d = freeze(g, __LINE__);
    agentsched_task_graph_free(g);
    if (d == NULL) continue;
    for (i = 0; i < agents; i++) speeds[i] = (double)(1 + rnd(4)) / 2.0;
    for (i = 0; i < agents; i++)
      for (j = 0; j < agents; j++)
        links[i * agents + j] = i == j ? 0.0 : (double)(1 + rnd(8)) / 4.0;
    EXPECT(agentsched_platform_related(speeds, agents, links, agents * agents, &p), OK);
    ms = build_schedule(&r, agents, speeds, links, slots);
    EXPECT(agentsched_dag_validate(d, p, slots, r.n, ms, &got), OK);
    CHECK(got == ms);

    /* Break one rule: start a task with a predecessor right at its predecessor's start (a
     * precedence or communication violation whenever that predecessor takes time). */
    for (e = 0; e < r.m; e++) {
      size_t u = r.from[e], v = r.to[e];
      double len = slots[v].finish - slots[v].start;
      if (slots[u].finish - slots[u].start <= 1e-6) continue;
      memcpy(bad, slots, r.n * sizeof *bad);
      bad[v].start = slots[u].start;
      bad[v].finish = bad[v].start + len;
      {
        double m2 = 0.0;
        for (i = 0; i < r.n; i++)
          if (bad[i].finish > m2) m2 = bad[i].finish;
        got = -1.0;
        EXPECT(agentsched_dag_validate(d, p, bad, r.n, m2, &got), BAD_SCHEDULE);
        CHECK(got == -1.0);
        EXPECT_DAG_ERROR(d, "task#");
      }
      broken++;
      break;
    }
    /* Two tasks of positive length on one agent at the same time, without an edge between
     * them. */
    for (i = 0; i < r.n; i++) {
      for (j = i + 1; j < r.n; j++) {
        int linked = 0;
        for (e = 0; e < r.m; e++)
          linked |= (r.from[e] == i && r.to[e] == j) || (r.from[e] == j && r.to[e] == i);
        if (linked || slots[i].agent != slots[j].agent || r.dur[i] == 0.0 || r.dur[j] == 0.0)
          continue;
        memcpy(bad, slots, r.n * sizeof *bad);
        /* j moves onto i's start; precedence may break too, any rule is a rejection. */
        bad[j].finish = slots[i].start + (slots[j].finish - slots[j].start);
        bad[j].start = slots[i].start;
        {
          double m2 = 0.0;
          size_t k;
          for (k = 0; k < r.n; k++)
            if (bad[k].finish > m2) m2 = bad[k].finish;
          EXPECT(agentsched_dag_validate(d, p, bad, r.n, m2, &got), BAD_SCHEDULE);
        }
        j = r.n;
        i = r.n;
      }
    }
    agentsched_platform_free(p);
    agentsched_dag_free(d);
  }
  CHECK(broken > 50);
}

/* ---- the empty graph -------------------------------------------------------------------- */

static void test_empty(void) {
  agentsched_task_graph *g = NULL;
  agentsched_dag *d = NULL;
  agentsched_times *t = NULL;
  agentsched_platform *p = NULL;
  const double speeds[1] = {1.0}, links[1] = {0.0};
  size_t n = 9, m = 9, len = 9, i = 9;
  double ms = -1.0;
  EXPECT(agentsched_task_graph_new(&g), OK);
  EXPECT(agentsched_task_graph_counts(g, &n, &m), OK);
  CHECK(n == 0 && m == 0);
  EXPECT(agentsched_dag_new(g, &d), OK);
  EXPECT(agentsched_dag_counts(d, &n, &m), OK);
  CHECK(n == 0 && m == 0);
  EXPECT(agentsched_dag_topological_order(d, NULL, 0, &len), OK);
  CHECK(len == 0);
  len = 9;
  EXPECT(agentsched_dag_ids(d, NULL, 0, &len), OK);
  CHECK(len == 0);
  EXPECT(agentsched_dag_index_of(d, 0, &i), UNKNOWN);
  CHECK(i == 9);
  EXPECT(agentsched_dag_times(d, DATA, &t), OK);
  CHECK(makespan_of(t) == 0.0);
  len = 9;
  EXPECT(agentsched_times_values(t, AGENTSCHED_TIMES_SLACK, NULL, 0, &len), OK);
  CHECK(len == 0);
  len = 9;
  EXPECT(agentsched_times_critical_path(t, NULL, 0, &len), OK);
  CHECK(len == 0);
  len = 9;
  EXPECT(agentsched_times_critical_tasks(t, NULL, 0, &len), OK);
  CHECK(len == 0);
  agentsched_times_free(t);
  t = NULL;
  EXPECT(agentsched_dag_times_with(d, NULL, 0, NONE, &t), OK);
  CHECK(makespan_of(t) == 0.0);
  agentsched_times_free(t);
  EXPECT(agentsched_platform_related(speeds, 1, links, 1, &p), OK);
  EXPECT(agentsched_dag_validate(d, p, NULL, 0, 0.0, &ms), OK);
  CHECK(ms == 0.0);
  agentsched_platform_free(p);
  agentsched_dag_free(d);
  agentsched_task_graph_free(g);
}

/* ---- NULL everywhere -------------------------------------------------------------------- */

static void test_null_pointers(void) {
  agentsched_task_graph *g = NULL;
  agentsched_dag *d = SENTINEL_DAG;
  agentsched_times *t = SENTINEL_TIMES;
  agentsched_platform *p = NULL;
  const double speeds[1] = {1.0}, links[1] = {0.0}, dur[1] = {1.0};
  agentsched_slot slot = {0, 0.0, 1.0};
  size_t n = 7, m = 7, len = 7, idx = 7, buf[1] = {7};
  uint32_t ids[1] = {7};
  double v[1] = {7.0}, ms = 7.0;
  char ch = 'x';

  /* NULL handles. */
  EXPECT(agentsched_task_graph_new(NULL), NULLP);
  EXPECT(agentsched_task_graph_last_error(NULL, &ch, 1, &len), NULLP);
  EXPECT(agentsched_task_graph_add_task(NULL, 1, 1.0), NULLP);
  EXPECT(agentsched_task_graph_add_edge(NULL, 1, 2, 0.0), NULLP);
  EXPECT(agentsched_task_graph_counts(NULL, &n, &m), NULLP);
  EXPECT(agentsched_dag_new(NULL, &d), NULLP);
  EXPECT(agentsched_dag_last_error(NULL, &ch, 1, &len), NULLP);
  EXPECT(agentsched_dag_counts(NULL, &n, &m), NULLP);
  EXPECT(agentsched_dag_index_of(NULL, 1, &idx), NULLP);
  EXPECT(agentsched_dag_ids(NULL, ids, 1, &len), NULLP);
  EXPECT(agentsched_dag_topological_order(NULL, buf, 1, &len), NULLP);
  EXPECT(agentsched_dag_times(NULL, NONE, &t), NULLP);
  EXPECT(agentsched_dag_times_with(NULL, dur, 1, NONE, &t), NULLP);
  EXPECT(agentsched_dag_validate(NULL, p, &slot, 1, 1.0, &ms), NULLP);
  EXPECT(agentsched_times_makespan(NULL, &ms), NULLP);
  EXPECT(agentsched_times_values(NULL, AGENTSCHED_TIMES_EST, v, 1, &len), NULLP);
  EXPECT(agentsched_times_critical_path(NULL, buf, 1, &len), NULLP);
  EXPECT(agentsched_times_critical_tasks(NULL, buf, 1, &len), NULLP);
  EXPECT(agentsched_platform_agents(NULL, &n), NULLP);
  CHECK(n == 7 && m == 7 && len == 7 && idx == 7 && buf[0] == 7 && ids[0] == 7 && v[0] == 7.0 &&
        ms == 7.0 && ch == 'x' && d == SENTINEL_DAG && t == SENTINEL_TIMES);

  /* NULL outputs on live handles. */
  EXPECT(agentsched_task_graph_new(&g), OK);
  EXPECT(agentsched_task_graph_add_task(g, 1, 1.0), OK);
  EXPECT(agentsched_task_graph_last_error(g, &ch, 1, NULL), NULLP);
  EXPECT(agentsched_task_graph_counts(g, NULL, &m), NULLP);
  EXPECT(agentsched_task_graph_counts(g, &n, NULL), NULLP);
  EXPECT_GRAPH_ERROR(g, "null pointer");
  EXPECT(agentsched_dag_new(g, NULL), NULLP);
  expect_counts(g, 1, 0, __LINE__);
  d = NULL;
  EXPECT(agentsched_dag_new(g, &d), OK);
  EXPECT(agentsched_platform_related(speeds, 1, links, 1, &p), OK);
  EXPECT(agentsched_dag_last_error(d, &ch, 1, NULL), NULLP);
  EXPECT(agentsched_dag_counts(d, NULL, &m), NULLP);
  EXPECT(agentsched_dag_counts(d, &n, NULL), NULLP);
  EXPECT(agentsched_dag_index_of(d, 1, NULL), NULLP);
  EXPECT(agentsched_dag_ids(d, ids, 1, NULL), NULLP);
  EXPECT(agentsched_dag_topological_order(d, buf, 1, NULL), NULLP);
  EXPECT(agentsched_dag_times(d, NONE, NULL), NULLP);
  EXPECT(agentsched_dag_times_with(d, dur, 1, NONE, NULL), NULLP);
  EXPECT(agentsched_dag_validate(d, NULL, &slot, 1, 1.0, &ms), NULLP);
  EXPECT(agentsched_dag_validate(d, p, NULL, 1, 1.0, &ms), NULLP);
  EXPECT(agentsched_dag_validate(d, p, &slot, 1, 1.0, NULL), NULLP);
  EXPECT_DAG_ERROR(d, "null pointer");
  /* NULL buffers with room claimed: too small, the size reported. */
  len = 0;
  EXPECT(agentsched_dag_ids(d, NULL, 1, &len), TOO_SMALL);
  CHECK(len == 1);
  len = 0;
  EXPECT(agentsched_dag_topological_order(d, NULL, 5, &len), TOO_SMALL);
  CHECK(len == 1);
  len = 0;
  EXPECT(agentsched_dag_last_error(d, NULL, 100, &len), TOO_SMALL);
  CHECK(len == strlen("null pointer"));
  /* The size probe kept the message. */
  EXPECT_DAG_ERROR(d, "null pointer");
  t = NULL;
  EXPECT(agentsched_dag_times(d, NONE, &t), OK);
  EXPECT(agentsched_times_makespan(t, NULL), NULLP);
  EXPECT(agentsched_times_values(t, AGENTSCHED_TIMES_EST, v, 1, NULL), NULLP);
  EXPECT(agentsched_times_critical_path(t, buf, 1, NULL), NULLP);
  EXPECT(agentsched_times_critical_tasks(t, buf, 1, NULL), NULLP);
  EXPECT(agentsched_platform_agents(p, NULL), NULLP);
  CHECK(ms == 7.0 && v[0] == 7.0 && buf[0] == 7);
  ms = -1.0;
  EXPECT(agentsched_dag_validate(d, p, &slot, 1, 1.0, &ms), OK);
  CHECK(ms == 1.0);
  agentsched_times_free(t);
  agentsched_platform_free(p);
  agentsched_dag_free(d);
  agentsched_task_graph_free(g);
  /* free(NULL) does nothing. */
  agentsched_task_graph_free(NULL);
  agentsched_dag_free(NULL);
  agentsched_times_free(NULL);
  agentsched_platform_free(NULL);
}

int main(void) {
  test_textbook();
  test_by_hand();
  test_malformed();
  test_cycles();
  test_random_cycles();
  test_random_dags();
  test_platforms();
  test_validate_by_hand();
  test_random_schedules();
  test_empty();
  test_null_pointers();
  printf("dag_test: %u checks (%u hostile calls), %u failed: %s\n", g_checks, g_hostile,
         g_failed, g_failed ? "FAIL" : "ok");
  return g_failed ? 1 : 0;
}
