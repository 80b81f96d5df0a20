/*
 * The list-scheduling part of the C ABI of agentsched, tested from C: HEFT, CPoP, lookahead HEFT
 * and HEFT with local search by name, the best of them within a time limit, local search from
 * a given schedule, the lower bound and the upward and downward ranks.
 *
 * Oracles: the example of Topcuoglu, Hariri and Wu (IEEE TPDS 13(3), 2002, Fig. 2: 10 tasks, 3
 * processors) with its published results (HEFT 80 with the schedule of Fig. 4a, CPoP 86, the
 * upward ranks of the paper's table, the critical path n1 n2 n9 n10 on P2); a related-speeds
 * case traced by hand in the comments; and, on every schedule, a first-principles checker
 * written here (agents exist, finish = start + execution time bit for bit, data arrives before
 * a task starts, no two tasks overlap on an agent, makespan = largest finish) besides
 * agentsched_dag_validate. On random graphs: the lower bound recomputed in C bit for bit, the
 * related platform against the equivalent time matrix (the same schedules, byte for byte), and
 * the orderings between the methods (best <= HEFT and CPoP, HEFT-LS <= HEFT, bound <= all).
 * Hostile arguments: cyclic graphs (no dag, so no schedule), malformed graphs (rejected at
 * insertion; what is frozen afterwards schedules as a clean build), unknown and non-UTF-8
 * algorithm names, a matrix platform for another number of tasks, invalid start schedules,
 * too-small buffers (the size needed is reported and nothing is written), lengths too large for
 * memory, NULL for every pointer argument, the empty graph. A failed call leaves its outputs
 * untouched (pre-filled sentinels), and the dag gives the same schedule afterwards.
 *
 * Prints one summary line and exits non-zero on any failure.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/dag_schedule_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
 *       -o dag_schedule_test
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
#define DIMS_BAD AGENTSCHED_STATUS_DIMENSION_MISMATCH
#define CYCLE AGENTSCHED_STATUS_CYCLE
#define BAD_GRAPH AGENTSCHED_STATUS_INVALID_GRAPH
#define BAD_SCHEDULE AGENTSCHED_STATUS_INVALID_SCHEDULE

#define SENTINEL 0xA5
#define HUGE_LEN SIZE_MAX

static int all_bytes(const void *p, size_t n, unsigned char v) {
  const unsigned char *b = p;
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i] != v) return 0;
  return 1;
}

/* A NUL-terminated string whose address marks an output name as not written. */
static const char SENTINEL_NAME[] = "not written";

static uint64_t g_rng = 0x2545f4914f6cdd1du;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng % n);
}

#define N_ALGOS 4
static const char *const ALGOS[N_ALGOS] = {"heft", "cpop", "heft-lookahead", "heft-ls"};
enum { HEFT, CPOP, LOOKAHEAD, HEFT_LS };

/* ---- messages --------------------------------------------------------------------------- */

/* The dag's last error (NULL if it cannot be read), read with the size protocol. */
static char *dag_error(const agentsched_dag *d) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
  if (agentsched_dag_last_error(d, NULL, 0, &len) != TOO_SMALL && len != 0) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  if (agentsched_dag_last_error(d, msg, len + 1, &len2) != OK || len2 != len) {
    free(msg);
    return NULL;
  }
  return msg;
}

static char *graph_error(const agentsched_task_graph *g) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
  if (agentsched_task_graph_last_error(g, NULL, 0, &len) != TOO_SMALL && len != 0) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  if (agentsched_task_graph_last_error(g, msg, len + 1, &len2) != OK || len2 != len) {
    free(msg);
    return NULL;
  }
  return msg;
}

static void expect_in(char *msg, const char *needle, int line) {
  char what[600];
  snprintf(what, sizeof what, "last_error mentions \"%s\" (got \"%s\")", needle,
           msg ? msg : "(none)");
  check_true(msg != NULL && strstr(msg, needle) != NULL, what, line);
  free(msg);
}
#define EXPECT_DAG_ERROR(d, needle) expect_in(dag_error(d), (needle), __LINE__)
#define EXPECT_GRAPH_ERROR(g, needle) expect_in(graph_error(g), (needle), __LINE__)

/* ---- instances -------------------------------------------------------------------------- */

#define MAXN 24
#define MAXM 4
#define MAXE 80

/* An instance as plain arrays: what the checker reads. Tasks are by index; ids[i] is index i's
 * id. */
typedef struct {
  size_t n, m, e;
  uint32_t ids[MAXN];
  double dur[MAXN];
  double exec[MAXN * MAXM]; /* exec[t * m + p]: task index t on agent p */
  size_t from[MAXE], to[MAXE];
  double data[MAXE];
  double links[MAXM * MAXM];
} inst;

static agentsched_task_graph *graph_of(const inst *in, int line) {
  agentsched_task_graph *g = NULL;
  size_t i;
  check_true(agentsched_task_graph_new(&g) == OK && g != NULL, "fixture: task_graph_new", line);
  if (g == NULL) return NULL;
  for (i = 0; i < in->n; i++)
    check_true(agentsched_task_graph_add_task(g, in->ids[i], in->dur[i]) == OK,
               "fixture: add_task", line);
  for (i = 0; i < in->e; i++)
    check_true(agentsched_task_graph_add_edge(g, in->ids[in->from[i]], in->ids[in->to[i]],
                                              in->data[i]) == OK,
               "fixture: add_edge", line);
  return g;
}

static agentsched_dag *freeze(agentsched_task_graph *g, int line) {
  agentsched_dag *d = NULL;
  agentsched_status s = g ? agentsched_dag_new(g, &d) : NULLP;
  check_true(s == OK && d != NULL, "fixture: dag_new", line);
  return d;
}

static agentsched_dag *dag_of(const inst *in, int line) {
  agentsched_task_graph *g = graph_of(in, line);
  agentsched_dag *d = freeze(g, line);
  agentsched_task_graph_free(g);
  return d;
}

static agentsched_platform *matrix_of(const inst *in, int line) {
  agentsched_platform *p = NULL;
  check_true(agentsched_platform_matrix(in->n, in->m, in->exec, in->n * in->m, in->links,
                                        in->m * in->m, &p) == OK &&
                 p != NULL,
             "fixture: platform_matrix", line);
  return p;
}

static void unit_links(inst *in) {
  size_t p, q;
  for (p = 0; p < in->m; p++)
    for (q = 0; q < in->m; q++) in->links[p * in->m + q] = p == q ? 0.0 : 1.0;
}

/* Checks a schedule from first principles; returns NULL when it is valid, else the rule broken.
 * Finishes must be start + execution time exactly (the library adds the same two doubles);
 * arrivals and overlaps are compared with the validator's tolerance, 1e-9 * max(1, makespan). */
static const char *broken_rule(const inst *in, const agentsched_slot *s, size_t len,
                               double makespan) {
  size_t t, u, k;
  double ms = 0.0, tol;
  if (len != in->n) return "one slot per task";
  for (t = 0; t < in->n; t++) {
    if (s[t].agent >= in->m) return "agent exists";
    if (!isfinite(s[t].start) || s[t].start < 0.0) return "start finite and >= 0";
    if (s[t].finish != s[t].start + in->exec[t * in->m + s[t].agent])
      return "finish = start + execution time";
    if (s[t].finish > ms) ms = s[t].finish;
  }
  if (ms != makespan) return "makespan = largest finish";
  tol = 1e-9 * (ms > 1.0 ? ms : 1.0);
  for (k = 0; k < in->e; k++) {
    const agentsched_slot *a = &s[in->from[k]], *b = &s[in->to[k]];
    double arrive =
        a->finish + (a->agent == b->agent ? 0.0 : in->data[k] / in->links[a->agent * in->m + b->agent]);
    if (b->start < arrive - tol) return "data arrives before the start";
  }
  for (t = 0; t < in->n; t++)
    for (u = t + 1; u < in->n; u++)
      if (s[t].agent == s[u].agent && s[t].finish > s[t].start && s[u].finish > s[u].start &&
          s[t].start < s[u].finish - tol && s[u].start < s[t].finish - tol)
        return "no overlap on an agent";
  return NULL;
}

/* The checker and the library's validator both accept the schedule, with its makespan. */
static void expect_valid(const inst *in, agentsched_dag *d, const agentsched_platform *p,
                         const agentsched_slot *s, size_t len, double makespan, int line) {
  const char *why = broken_rule(in, s, len, makespan);
  double check = -1.0;
  char what[200];
  snprintf(what, sizeof what, "schedule breaks no rule (broken: %s)", why ? why : "-");
  check_true(why == NULL, what, line);
  check_true(agentsched_dag_validate(d, p, s, len, makespan, &check) == OK && check == makespan,
             "agentsched_dag_validate accepts it with the same makespan", line);
}

/* Schedules with `algo` into `out` (capacity MAXN); returns the makespan (NAN on failure). */
static double schedule(agentsched_dag *d, const agentsched_platform *p, const char *algo,
                       agentsched_slot *out, size_t n, int line) {
  size_t len = (size_t)-1;
  double ms = NAN;
  agentsched_status s = agentsched_dag_schedule(d, p, algo, out, MAXN, &len, &ms);
  check_true(s == OK && len == n, "fixture: dag_schedule", line);
  return s == OK ? ms : NAN;
}

/* The lower bound from scratch on a time matrix: the longest path with each task at its fastest
 * time and no communication, against the sum of the fastest times over the agents. Tasks are
 * taken in a topological order `topo`; the sums are the library's, so the bits agree. */
static double bound_in_c(const inst *in, const size_t *topo) {
  double fastest[MAXN], eft[MAXN], path = 0.0, work = 0.0;
  size_t t, p, k, e;
  for (t = 0; t < in->n; t++) {
    fastest[t] = INFINITY;
    for (p = 0; p < in->m; p++)
      if (in->exec[t * in->m + p] < fastest[t]) fastest[t] = in->exec[t * in->m + p];
  }
  for (t = 0; t < in->n; t++) work += fastest[t];
  work /= (double)in->m;
  for (k = 0; k < in->n; k++) {
    size_t v = topo[k];
    double s = 0.0;
    for (e = 0; e < in->e; e++)
      if (in->to[e] == v && eft[in->from[e]] > s) s = eft[in->from[e]];
    eft[v] = s + fastest[v];
    if (eft[v] > path) path = eft[v];
  }
  return path > work ? path : work;
}

/* ---- the paper's example ---------------------------------------------------------------- */

/* Topcuoglu, Hariri and Wu 2002, Fig. 2: tasks n1..n10 (ids 1..10, task index = id - 1), three
 * processors, unit links (communication = data between distinct processors). */
static const double W[10][3] = {{14, 16, 9}, {13, 19, 18}, {11, 13, 19}, {13, 8, 17},
                                {12, 13, 10}, {13, 16, 9},  {7, 15, 11},  {5, 11, 14},
                                {18, 12, 20}, {21, 7, 16}};
static const size_t PAPER_EDGES[15][2] = {{1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6},
                                          {2, 8}, {2, 9}, {3, 7}, {4, 8}, {4, 9},
                                          {5, 9}, {6, 8}, {7, 10}, {8, 10}, {9, 10}};
static const double PAPER_DATA[15] = {18, 12, 9, 11, 14, 19, 16, 23, 27, 23, 13, 15, 17, 11, 13};

static void paper(inst *in) {
  size_t i, p;
  memset(in, 0, sizeof *in);
  in->n = 10;
  in->m = 3;
  in->e = 15;
  for (i = 0; i < 10; i++) {
    in->ids[i] = (uint32_t)(i + 1);
    in->dur[i] = 0.0; /* unused with a time matrix */
    for (p = 0; p < 3; p++) in->exec[i * 3 + p] = W[i][p];
  }
  for (i = 0; i < 15; i++) {
    in->from[i] = PAPER_EDGES[i][0] - 1;
    in->to[i] = PAPER_EDGES[i][1] - 1;
    in->data[i] = PAPER_DATA[i];
  }
  unit_links(in);
}

/* The same slots bit for bit, field by field (the padding after `agent` is not compared: its
 * bytes are unspecified, and reading them is an error under valgrind). */
static int same_slots(const agentsched_slot *a, const agentsched_slot *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (a[i].agent != b[i].agent || memcmp(&a[i].start, &b[i].start, sizeof a[i].start) != 0 ||
        memcmp(&a[i].finish, &b[i].finish, sizeof a[i].finish) != 0)
      return 0;
  return 1;
}

static int is_one_of(const char *name, const char *const *names, size_t k) {
  size_t i;
  for (i = 0; i < k; i++)
    if (strcmp(name, names[i]) == 0) return 1;
  return 0;
}

/* The best schedule is valid, never above HEFT's or CPoP's, and named consistently: a method's
 * own makespan, or (with "+ls") one the search lowered. `ms_by_algo` holds the makespans of
 * ALGOS. */
static double check_best(const inst *in, agentsched_dag *d, const agentsched_platform *p,
                         uint64_t limit_ms, const double *ms_by_algo, agentsched_slot *out,
                         const char **name_out, int line) {
  static const char *const NAMES[6] = {"heft",    "cpop",    "heft-lookahead",
                                       "heft+ls", "cpop+ls", "heft-lookahead+ls"};
  size_t len = (size_t)-1, k;
  double ms = NAN;
  const char *name = SENTINEL_NAME;
  agentsched_status s = agentsched_dag_schedule_best(d, p, limit_ms, out, MAXN, &len, &ms, &name);
  check_true(s == OK && len == in->n, "dag_schedule_best succeeds", line);
  if (s != OK) return NAN;
  expect_valid(in, d, p, out, len, ms, line);
  check_true(ms <= ms_by_algo[HEFT] && ms <= ms_by_algo[CPOP], "best <= min(HEFT, CPoP)", line);
  check_true(is_one_of(name, NAMES, 6), "best names a method it runs", line);
  for (k = 0; k < 3; k++) {
    size_t base = strlen(ALGOS[k]);
    if (strcmp(name, ALGOS[k]) == 0)
      check_true(ms == ms_by_algo[k], "best without +ls has that method's makespan", line);
    else if (strncmp(name, ALGOS[k], base) == 0 && strcmp(name + base, "+ls") == 0)
      check_true(ms < ms_by_algo[k], "best with +ls is below that method's makespan", line);
  }
  if (name_out) *name_out = name;
  return ms;
}

static void test_paper(void) {
  inst in;
  agentsched_dag *d;
  agentsched_platform *p;
  agentsched_slot s[N_ALGOS][MAXN], again[MAXN], best1[MAXN], best2[MAXN], imp[MAXN];
  double ms[N_ALGOS], lb = NAN, up[MAXN], down[MAXN], m1 = NAN, m2 = NAN, b1, b2;
  size_t k, t, len = (size_t)-1;
  const char *name1 = NULL, *name2 = NULL;
  static const size_t TOPO[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  /* Fig. 4a (agent, start, finish) by task, traced by hand with insertion: n1 P3 0-9; n3 P3
   * 9-28; n4 P2 18-26; n2 P1 27-40; n5 P3 28-38; n6 P2 26-42; n9 P2 56-68 (n2's data at 40 +
   * 16); n7 P3 38-49; n8 P1 57-62 (n6's data at 42 + 15); n10 P2 73-80 (n8's data at 62 + 11). */
  static const double FIG4A[10][3] = {{2, 0, 9},   {0, 27, 40}, {2, 9, 28},  {1, 18, 26},
                                      {2, 28, 38}, {1, 26, 42}, {2, 38, 49}, {0, 57, 62},
                                      {1, 56, 68}, {1, 73, 80}};
  /* rank_u as printed in the paper; rank_d by hand with the mean times 13, 50/3, 43/3, 38/3,
   * 35/3, 38/3, 11, 10, 50/3, 44/3: n2..n6 = 13 + data from n1; n7 = 25 + 43/3 + 23; n8 =
   * 31 + 50/3 + 19; n9 = 31 + 50/3 + 16; n10 = 200/3 + 10 + 11. */
  static const double RANK_U[10] = {108,         77,          80,          80,         69,
                                    190.0 / 3.0, 128.0 / 3.0, 107.0 / 3.0, 133.0 / 3.0, 44.0 / 3.0};
  static const double RANK_D[10] = {0,           31,          25,          22,         24,
                                    27,          187.0 / 3.0, 200.0 / 3.0, 191.0 / 3.0, 280.0 / 3.0};

  paper(&in);
  d = dag_of(&in, __LINE__);
  p = matrix_of(&in, __LINE__);
  for (k = 0; k < N_ALGOS; k++) {
    ms[k] = schedule(d, p, ALGOS[k], s[k], 10, __LINE__);
    expect_valid(&in, d, p, s[k], 10, ms[k], __LINE__);
    /* Deterministic: the same bytes on a second call. */
    memset(again, SENTINEL, sizeof again);
    CHECK(schedule(d, p, ALGOS[k], again, 10, __LINE__) == ms[k]);
    CHECK(same_slots(s[k], again, 10));
  }
  CHECK(ms[HEFT] == 80.0);
  CHECK(ms[CPOP] == 86.0);
  CHECK(ms[HEFT_LS] <= ms[HEFT]);
  for (t = 0; t < 10; t++) {
    CHECK(s[HEFT][t].agent == (uint32_t)FIG4A[t][0]);
    CHECK(s[HEFT][t].start == FIG4A[t][1] && s[HEFT][t].finish == FIG4A[t][2]);
  }
  /* CPoP: the critical path n1 n2 n9 n10 on the processor that runs it fastest, P2 (P1 14 + 13
   * + 18 + 21 = 66, P2 16 + 19 + 12 + 7 = 54, P3 9 + 18 + 20 + 16 = 63). */
  CHECK(s[CPOP][0].agent == 1 && s[CPOP][1].agent == 1 && s[CPOP][8].agent == 1 &&
        s[CPOP][9].agent == 1);

  /* Ranks. */
  EXPECT(agentsched_dag_upward_ranks(d, p, up, MAXN, &len), OK);
  CHECK(len == 10);
  EXPECT(agentsched_dag_downward_ranks(d, p, down, MAXN, &len), OK);
  CHECK(len == 10);
  for (t = 0; t < 10; t++) {
    int on_cp = t == 0 || t == 1 || t == 8 || t == 9;
    CHECK(fabs(up[t] - RANK_U[t]) <= 1e-9 && fabs(down[t] - RANK_D[t]) <= 1e-9);
    /* CPoP's priority rank_u + rank_d is |CP| = 108 exactly on the critical path. */
    CHECK(on_cp ? fabs(up[t] + down[t] - 108.0) <= 1e-9 : up[t] + down[t] < 108.0 - 1e-6);
  }

  /* The lower bound: the longest path at the fastest times, n1 n2 n9 n10 at 9 + 13 + 12 + 7 =
   * 41, is above the work bound (9 + 13 + 11 + 8 + 10 + 9 + 7 + 5 + 12 + 7) / 3 = 91 / 3. */
  EXPECT(agentsched_dag_lower_bound(d, p, &lb), OK);
  CHECK(lb == 41.0);
  CHECK(lb == bound_in_c(&in, TOPO));
  for (k = 0; k < N_ALGOS; k++) CHECK(lb <= ms[k]);

  /* The best, without a limit: deterministic (same bytes, same name). */
  b1 = check_best(&in, d, p, 0, ms, best1, &name1, __LINE__);
  b2 = check_best(&in, d, p, 0, ms, best2, &name2, __LINE__);
  CHECK(name1 != NULL && name2 != NULL && strcmp(name1, name2) == 0);
  CHECK(b1 == b2 && same_slots(best1, best2, 10) && lb <= b1);
  /* With a time limit of 20 ms: still valid and no worse than HEFT and CPoP. */
  check_best(&in, d, p, 20, ms, best2, NULL, __LINE__);

  /* Local search from HEFT: no worse, deterministic for a seed, and in place the same. */
  len = (size_t)-1;
  EXPECT(agentsched_dag_improve(d, p, s[HEFT], 10, 500, 0, 7, imp, MAXN, &len, &m1), OK);
  CHECK(len == 10 && m1 <= 80.0 && m1 >= lb);
  expect_valid(&in, d, p, imp, 10, m1, __LINE__);
  memcpy(again, s[HEFT], sizeof again);
  EXPECT(agentsched_dag_improve(d, p, again, 10, 500, 0, 7, again, 10, &len, &m2), OK);
  CHECK(m2 == m1 && same_slots(again, imp, 10));
  /* No evaluation budget: the schedule re-timed (never later), still valid. */
  EXPECT(agentsched_dag_improve(d, p, s[CPOP], 10, 0, 0, 0, imp, MAXN, &len, &m1), OK);
  CHECK(m1 <= 86.0);
  expect_valid(&in, d, p, imp, 10, m1, __LINE__);
  /* With a wall-clock limit. */
  EXPECT(agentsched_dag_improve(d, p, s[CPOP], 10, UINT64_MAX, 5, 1, imp, MAXN, &len, &m1), OK);
  CHECK(m1 <= 86.0);
  expect_valid(&in, d, p, imp, 10, m1, __LINE__);

  printf("paper example: heft %g, cpop %g, heft-lookahead %g, heft-ls %g, best %g (%s), "
         "lower bound %g\n",
         ms[HEFT], ms[CPOP], ms[LOOKAHEAD], ms[HEFT_LS], b1, name1 ? name1 : "?", lb);
  agentsched_platform_free(p);
  agentsched_dag_free(d);
}

/* ---- related speeds, by hand ------------------------------------------------------------ */

/* A fork-join: 1 (duration 2) -> 2, 3, 4 (8 each) -> 5 (2), every edge 0.5 units of data;
 * speeds 2 and 1, links 1 (communication 0.5). Times: P0 1, 4, 4, 4, 1; P1 2, 8, 8, 8, 2.
 * Mean times 1.5, 6, 6, 6, 1.5, mean communication 0.5: rank_u = 10, 8, 8, 8, 1.5 and rank_d =
 * 0, 2, 2, 2, 8.5. HEFT, in order 1 2 3 4 5: 1 on P0 0-1 (P1: 2); 2 on P0 1-5 (P1: 1.5 + 8 =
 * 9.5); 3 on P0 5-9 (P1: 9.5); 4 on P1 1.5-9.5 (P0: 13); 5 on P0 10-11 (4's data arrives at
 * 10; P1: 9.5 + 2 = 11.5). Makespan 11. Lower bound: work 28 / 3 against the path 1 + 4 + 1. */
static void test_related(void) {
  inst in;
  agentsched_dag *d;
  agentsched_platform *rel = NULL, *mat;
  static const double SPEEDS[2] = {2.0, 1.0};
  static const double HEFT_SLOTS[5][3] = {{0, 0, 1}, {0, 1, 5}, {0, 5, 9}, {1, 1.5, 9.5},
                                          {0, 10, 11}};
  static const double UP[5] = {10, 8, 8, 8, 1.5}, DOWN[5] = {0, 2, 2, 2, 8.5};
  agentsched_slot a[MAXN], b[MAXN];
  double up[MAXN], down[MAXN], lb = NAN, ms_rel[N_ALGOS];
  size_t t, k, len = 0;
  const char *name = NULL;

  memset(&in, 0, sizeof in);
  in.n = 5;
  in.m = 2;
  for (t = 0; t < 5; t++) {
    in.ids[t] = (uint32_t)(t + 1);
    in.dur[t] = t == 0 || t == 4 ? 2.0 : 8.0;
    for (k = 0; k < 2; k++) in.exec[t * 2 + k] = in.dur[t] / SPEEDS[k];
  }
  for (t = 1; t <= 3; t++) {
    in.from[in.e] = 0;
    in.to[in.e] = t;
    in.data[in.e++] = 0.5;
    in.from[in.e] = t;
    in.to[in.e] = 4;
    in.data[in.e++] = 0.5;
  }
  unit_links(&in);
  d = dag_of(&in, __LINE__);
  EXPECT(agentsched_platform_related(SPEEDS, 2, in.links, 4, &rel), OK);
  mat = matrix_of(&in, __LINE__);

  CHECK(schedule(d, rel, "heft", a, 5, __LINE__) == 11.0);
  for (t = 0; t < 5; t++)
    CHECK(a[t].agent == (uint32_t)HEFT_SLOTS[t][0] && a[t].start == HEFT_SLOTS[t][1] &&
          a[t].finish == HEFT_SLOTS[t][2]);
  EXPECT(agentsched_dag_upward_ranks(d, rel, up, MAXN, &len), OK);
  EXPECT(agentsched_dag_downward_ranks(d, rel, down, MAXN, &len), OK);
  CHECK(len == 5);
  for (t = 0; t < 5; t++) CHECK(up[t] == UP[t] && down[t] == DOWN[t]);
  EXPECT(agentsched_dag_lower_bound(d, rel, &lb), OK);
  CHECK(lb == 28.0 / 3.0);

  /* The related platform and the time matrix of its times (the same divisions) give the same
   * schedules byte for byte: only the execution times matter. */
  for (k = 0; k < N_ALGOS; k++) {
    ms_rel[k] = schedule(d, rel, ALGOS[k], a, 5, __LINE__);
    expect_valid(&in, d, rel, a, 5, ms_rel[k], __LINE__);
    CHECK(schedule(d, mat, ALGOS[k], b, 5, __LINE__) == ms_rel[k]);
    CHECK(same_slots(a, b, 5));
    CHECK(lb <= ms_rel[k]);
  }
  CHECK(ms_rel[CPOP] == 11.0);
  check_best(&in, d, rel, 0, ms_rel, a, &name, __LINE__);
  agentsched_platform_free(rel);
  agentsched_platform_free(mat);
  agentsched_dag_free(d);
}

/* ---- random instances ------------------------------------------------------------------- */

/* A random DAG on a random platform: tasks get random ranks and edges go from a lower rank to a
 * higher one; ids are not the indices, and the index order is rarely topological. `topo` gets a
 * topological order. With `related`, `speeds` get random speeds and `exec` is dur / speed. */
static void random_inst(inst *in, size_t *topo, int related, double *speeds) {
  size_t rank[MAXN], i, k, p, q;
  memset(in, 0, sizeof *in);
  in->n = 1 + rnd(MAXN);
  in->m = 1 + rnd(MAXM);
  for (i = 0; i < in->n; i++) rank[i] = i;
  for (i = in->n; i > 1; i--) {
    size_t j = rnd((uint32_t)i), tmp = rank[i - 1];
    rank[i - 1] = rank[j];
    rank[j] = tmp;
  }
  for (p = 0; p < in->m; p++) speeds[p] = (double)(1 + rnd(8)) / 2.0;
  for (i = 0; i < in->n; i++) {
    in->ids[i] = (uint32_t)(1000 - 7 * i);
    in->dur[i] = rnd(6) == 0 ? 0.0 : (double)(1 + rnd(40));
    topo[rank[i]] = i;
    for (p = 0; p < in->m; p++)
      in->exec[i * in->m + p] =
          related ? in->dur[i] / speeds[p] : (rnd(8) == 0 ? 0.0 : (double)(1 + rnd(30)));
  }
  for (p = 0; p < in->m; p++)
    for (q = 0; q < in->m; q++)
      in->links[p * in->m + q] = p == q ? 0.0 : (double)(1 + rnd(4)) / 2.0;
  for (k = 0; k < 3 * in->n && in->e < MAXE; k++) {
    size_t u = rnd((uint32_t)in->n), v = rnd((uint32_t)in->n), e, dup = 0;
    if (rank[u] == rank[v]) continue;
    if (rank[u] > rank[v]) {
      size_t tmp = u;
      u = v;
      v = tmp;
    }
    for (e = 0; e < in->e; e++) dup |= in->from[e] == u && in->to[e] == v;
    if (dup) continue;
    in->from[in->e] = u;
    in->to[in->e] = v;
    in->data[in->e++] = rnd(4) == 0 ? 0.0 : (double)rnd(40) / 2.0;
  }
}

static void test_random(void) {
  int round;
  unsigned improved = 0;
  for (round = 0; round < 24; round++) {
    inst in;
    size_t topo[MAXN], k;
    double speeds[MAXM], ms[N_ALGOS], lb = NAN;
    int related = round % 3 == 0;
    agentsched_dag *d;
    agentsched_platform *p, *rel = NULL;
    agentsched_slot a[MAXN], b[MAXN];
    random_inst(&in, topo, related, speeds);
    d = dag_of(&in, __LINE__);
    p = matrix_of(&in, __LINE__);
    if (related)
      EXPECT(agentsched_platform_related(speeds, in.m, in.links, in.m * in.m, &rel), OK);
    EXPECT(agentsched_dag_lower_bound(d, p, &lb), OK);
    CHECK(lb == bound_in_c(&in, topo));
    for (k = 0; k < N_ALGOS; k++) {
      ms[k] = schedule(d, p, ALGOS[k], a, in.n, __LINE__);
      expect_valid(&in, d, p, a, in.n, ms[k], __LINE__);
      CHECK(lb <= ms[k] * (1.0 + 1e-12));
      if (rel != NULL) {
        CHECK(schedule(d, rel, ALGOS[k], b, in.n, __LINE__) == ms[k]);
        CHECK(same_slots(a, b, in.n));
      }
    }
    CHECK(ms[HEFT_LS] <= ms[HEFT]);
    improved += ms[HEFT_LS] < ms[HEFT];
    CHECK(lb <= check_best(&in, d, p, 0, ms, a, NULL, __LINE__) * (1.0 + 1e-12));
    agentsched_platform_free(rel);
    agentsched_platform_free(p);
    agentsched_dag_free(d);
  }
  /* The search does something on some of them (a guard against a vacuous test). */
  CHECK(improved > 0);
}

/* ---- cyclic and malformed graphs -------------------------------------------------------- */

static void test_cycles(void) {
  inst in;
  agentsched_task_graph *g;
  agentsched_dag *d, *none = (agentsched_dag *)(void *)&g_rng;
  agentsched_platform *p;
  agentsched_slot before[MAXN], after[MAXN], out[MAXN];
  double ms = NAN, ms2, lb = 7.0;
  size_t len = 12345, i;
  const char *name = SENTINEL_NAME;
  int round, cyclic = 0;

  /* A chain 1 -> 2 -> 3, frozen; then 3 -> 1 closes a cycle: no dag, so nothing to schedule.
   * The dag frozen before does not borrow the graph and schedules as before. */
  memset(&in, 0, sizeof in);
  in.n = 3;
  in.m = 2;
  for (i = 0; i < 3; i++) {
    in.ids[i] = (uint32_t)(i + 1);
    in.dur[i] = (double)(i + 2);
    in.exec[i * 2] = in.dur[i];
    in.exec[i * 2 + 1] = in.dur[i] / 2.0;
  }
  in.e = 2;
  in.from[0] = 0;
  in.to[0] = 1;
  in.data[0] = 3.0;
  in.from[1] = 1;
  in.to[1] = 2;
  in.data[1] = 1.0;
  unit_links(&in);
  g = graph_of(&in, __LINE__);
  d = freeze(g, __LINE__);
  p = matrix_of(&in, __LINE__);
  ms = schedule(d, p, "heft", before, 3, __LINE__);
  expect_valid(&in, d, p, before, 3, ms, __LINE__);
  EXPECT(agentsched_task_graph_add_edge(g, 3, 1, 0.0), OK);
  EXPECT(agentsched_dag_new(g, &none), CYCLE);
  CHECK(none == (agentsched_dag *)(void *)&g_rng);
  EXPECT_GRAPH_ERROR(g, "cycle through task task#");
  /* Scheduling needs a dag: without one every call is NULL_POINTER and writes nothing. */
  memset(out, SENTINEL, sizeof out);
  len = 12345;
  ms2 = -1.0;
  EXPECT(agentsched_dag_schedule(NULL, p, "heft", out, MAXN, &len, &ms2), NULLP);
  EXPECT(agentsched_dag_schedule_best(NULL, p, 0, out, MAXN, &len, &ms2, &name), NULLP);
  EXPECT(agentsched_dag_improve(NULL, p, before, 3, 10, 0, 0, out, MAXN, &len, &ms2), NULLP);
  EXPECT(agentsched_dag_lower_bound(NULL, p, &lb), NULLP);
  EXPECT(agentsched_dag_upward_ranks(NULL, p, &lb, 1, &len), NULLP);
  EXPECT(agentsched_dag_downward_ranks(NULL, p, &lb, 1, &len), NULLP);
  CHECK(all_bytes(out, sizeof out, SENTINEL) && len == 12345 && ms2 == -1.0 && lb == 7.0 &&
        name == SENTINEL_NAME);
  /* The graph stays usable (and cyclic); the old dag is unchanged. */
  EXPECT(agentsched_task_graph_add_task(g, 4, 1.0), OK);
  EXPECT(agentsched_dag_new(g, &none), CYCLE);
  CHECK(schedule(d, p, "heft", after, 3, __LINE__) == ms && same_slots(before, after, 3));
  agentsched_task_graph_free(g);
  agentsched_dag_free(d);
  agentsched_platform_free(p);

  /* Random DAGs with an edge reversed on top of it (u -> v and v -> u): always a cycle, and
   * never a dag to schedule. */
  for (round = 0; round < 40; round++) {
    size_t topo[MAXN];
    double speeds[MAXM];
    random_inst(&in, topo, 0, speeds);
    g = graph_of(&in, __LINE__);
    if (in.e > 0) {
      size_t e = rnd((uint32_t)in.e);
      EXPECT(agentsched_task_graph_add_edge(g, in.ids[in.to[e]], in.ids[in.from[e]], 1.0), OK);
      none = NULL;
      EXPECT(agentsched_dag_new(g, &none), CYCLE);
      CHECK(none == NULL);
      cyclic++;
    }
    agentsched_task_graph_free(g);
  }
  CHECK(cyclic > 20);
}

static void test_malformed(void) {
  inst in;
  agentsched_task_graph *g, *clean;
  agentsched_dag *d, *dc;
  agentsched_platform *p;
  agentsched_slot a[MAXN], b[MAXN];
  size_t k, tasks = 0, edges = 0;

  /* The paper's graph, built among rejected insertions: each is refused with a reason and
   * changes nothing, so the dag frozen afterwards schedules exactly as a clean build. */
  paper(&in);
  clean = graph_of(&in, __LINE__);
  g = NULL;
  EXPECT(agentsched_task_graph_new(&g), OK);
  for (k = 0; k < in.n; k++) {
    EXPECT(agentsched_task_graph_add_task(g, in.ids[k], 0.0), OK);
    EXPECT(agentsched_task_graph_add_task(g, in.ids[k], 5.0), AGENTSCHED_STATUS_DUPLICATE_TASK);
    EXPECT(agentsched_task_graph_add_task(g, 100 + (uint32_t)k, NAN),
           AGENTSCHED_STATUS_INVALID_NUMBER);
    EXPECT(agentsched_task_graph_add_task(g, 200 + (uint32_t)k, -1.0),
           AGENTSCHED_STATUS_INVALID_NUMBER);
  }
  for (k = 0; k < in.e; k++) {
    uint32_t u = in.ids[in.from[k]], v = in.ids[in.to[k]];
    EXPECT(agentsched_task_graph_add_edge(g, u, u, 1.0), BAD_GRAPH);
    EXPECT(agentsched_task_graph_add_edge(g, u, 99, 1.0), AGENTSCHED_STATUS_UNKNOWN_TASK);
    EXPECT(agentsched_task_graph_add_edge(g, u, v, INFINITY), AGENTSCHED_STATUS_INVALID_NUMBER);
    EXPECT(agentsched_task_graph_add_edge(g, u, v, in.data[k]), OK);
    EXPECT(agentsched_task_graph_add_edge(g, u, v, in.data[k]), BAD_GRAPH);
  }
  EXPECT_GRAPH_ERROR(g, "task#");
  EXPECT(agentsched_task_graph_counts(g, &tasks, &edges), OK);
  CHECK(tasks == 10 && edges == 15);
  d = freeze(g, __LINE__);
  dc = freeze(clean, __LINE__);
  p = matrix_of(&in, __LINE__);
  for (k = 0; k < N_ALGOS; k++) {
    double m1 = schedule(d, p, ALGOS[k], a, 10, __LINE__);
    double m2 = schedule(dc, p, ALGOS[k], b, 10, __LINE__);
    CHECK(m1 == m2 && same_slots(a, b, 10));
  }
  agentsched_platform_free(p);
  agentsched_dag_free(d);
  agentsched_dag_free(dc);
  agentsched_task_graph_free(g);
  agentsched_task_graph_free(clean);
}

/* ---- hostile arguments on a good dag ---------------------------------------------------- */

/* The paper's dag and platform, and HEFT's schedule on them, for the hostile tests. */
typedef struct {
  inst in;
  agentsched_dag *d;
  agentsched_platform *p;
  agentsched_slot heft[MAXN];
  double ms;
} fixture;

static void fixture_new(fixture *f) {
  paper(&f->in);
  f->d = dag_of(&f->in, __LINE__);
  f->p = matrix_of(&f->in, __LINE__);
  f->ms = schedule(f->d, f->p, "heft", f->heft, 10, __LINE__);
}

static void fixture_free(fixture *f) {
  agentsched_platform_free(f->p);
  agentsched_dag_free(f->d);
}

/* The dag still gives HEFT's schedule, byte for byte. */
static void still_usable(const fixture *f, int line) {
  agentsched_slot s[MAXN];
  size_t len = 0;
  double ms = NAN;
  agentsched_status st = agentsched_dag_schedule(f->d, f->p, "heft", s, MAXN, &len, &ms);
  check_true(st == OK && len == 10 && ms == f->ms && same_slots(s, f->heft, 10),
             "the dag still schedules as before", line);
}

/* Pre-filled outputs of one call, to check that a failure writes none of them. */
typedef struct {
  agentsched_slot slots[MAXN];
  double values[MAXN];
  size_t len;
  double ms;
  const char *name;
} outputs;

static void outputs_fill(outputs *o) {
  memset(o, SENTINEL, sizeof *o);
  o->len = 12345;
  o->ms = -1.0;
  o->name = SENTINEL_NAME;
}

static int outputs_untouched(const outputs *o, int len_too) {
  return all_bytes(o->slots, sizeof o->slots, SENTINEL) &&
         all_bytes(o->values, sizeof o->values, SENTINEL) && o->ms == -1.0 &&
         o->name == SENTINEL_NAME && (!len_too || o->len == 12345);
}

static void test_names(void) {
  static const char *const BAD[] = {"",      "HEFT",    "Heft", "heft ",      " heft", "best",
                                    "all",   "heft+ls", "cpop+ls", "heft_lookahead", "min-min",
                                    "heft\t"};
  static const char NOT_UTF8[] = {'h', (char)0xff, (char)0xfe, 't', 0};
  static const char LATIN1[] = {'c', 'p', 'o', 'p', (char)0xe9, 0};
  fixture f;
  outputs o;
  size_t k;
  fixture_new(&f);
  for (k = 0; k < sizeof BAD / sizeof BAD[0]; k++) {
    outputs_fill(&o);
    EXPECT(agentsched_dag_schedule(f.d, f.p, BAD[k], o.slots, MAXN, &o.len, &o.ms), INVAL);
    CHECK(outputs_untouched(&o, 1));
    EXPECT_DAG_ERROR(f.d, "known: heft, cpop, heft-lookahead, heft-ls");
    still_usable(&f, __LINE__);
  }
  EXPECT(agentsched_dag_schedule(f.d, f.p, "heft+ls", o.slots, MAXN, &o.len, &o.ms), INVAL);
  EXPECT_DAG_ERROR(f.d, "unknown algorithm `heft+ls`");
  outputs_fill(&o);
  EXPECT(agentsched_dag_schedule(f.d, f.p, NOT_UTF8, o.slots, MAXN, &o.len, &o.ms), INVAL);
  CHECK(outputs_untouched(&o, 1));
  EXPECT_DAG_ERROR(f.d, "not UTF-8");
  EXPECT(agentsched_dag_schedule(f.d, f.p, LATIN1, o.slots, MAXN, &o.len, &o.ms), INVAL);
  EXPECT_DAG_ERROR(f.d, "not UTF-8");
  still_usable(&f, __LINE__);
  /* A bad name is reported before the buffer is measured: a probe with a bad name fails. */
  outputs_fill(&o);
  EXPECT(agentsched_dag_schedule(f.d, f.p, "nope", NULL, 0, &o.len, &o.ms), INVAL);
  CHECK(outputs_untouched(&o, 1));
  fixture_free(&f);
}

static void test_mismatch(void) {
  fixture f;
  outputs o;
  agentsched_platform *nine = NULL, *eleven = NULL, *plats[2];
  double times[11 * 3];
  size_t k, i;
  fixture_new(&f);
  for (i = 0; i < 11 * 3; i++) times[i] = (double)(1 + i % 7);
  EXPECT(agentsched_platform_matrix(9, 3, times, 27, f.in.links, 9, &nine), OK);
  EXPECT(agentsched_platform_matrix(11, 3, times, 33, f.in.links, 9, &eleven), OK);
  plats[0] = nine;
  plats[1] = eleven;
  for (k = 0; k < 2; k++) {
    const char *rows = k == 0 ? "9 rows" : "11 rows";
    agentsched_platform *p = plats[k];
    outputs_fill(&o);
    EXPECT(agentsched_dag_schedule(f.d, p, "heft", o.slots, MAXN, &o.len, &o.ms), DIMS_BAD);
    EXPECT_DAG_ERROR(f.d, rows);
    EXPECT_DAG_ERROR(f.d, "the dag has 10 tasks");
    /* Also on a size probe: the mismatch comes first. */
    EXPECT(agentsched_dag_schedule(f.d, p, "cpop", NULL, 0, &o.len, &o.ms), DIMS_BAD);
    EXPECT(agentsched_dag_schedule_best(f.d, p, 0, o.slots, MAXN, &o.len, &o.ms, &o.name),
           DIMS_BAD);
    EXPECT_DAG_ERROR(f.d, rows);
    EXPECT(agentsched_dag_improve(f.d, p, f.heft, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
           DIMS_BAD);
    EXPECT(agentsched_dag_lower_bound(f.d, p, &o.ms), DIMS_BAD);
    EXPECT(agentsched_dag_upward_ranks(f.d, p, o.values, MAXN, &o.len), DIMS_BAD);
    EXPECT(agentsched_dag_downward_ranks(f.d, p, o.values, MAXN, &o.len), DIMS_BAD);
    EXPECT_DAG_ERROR(f.d, "the dag has 10 tasks");
    CHECK(outputs_untouched(&o, 1));
    still_usable(&f, __LINE__);
  }
  agentsched_platform_free(nine);
  agentsched_platform_free(eleven);
  fixture_free(&f);
}

static void test_buffers(void) {
  fixture f;
  outputs o;
  size_t cap;
  fixture_new(&f);
  /* An earlier failure's message survives the size probes below. */
  EXPECT(agentsched_dag_schedule(f.d, f.p, "nope", NULL, 0, &o.len, &o.ms), INVAL);
  for (cap = 0; cap < 10; cap += 9) {
    agentsched_slot *buf = cap ? o.slots : NULL;
    double *vals = cap ? o.values : NULL;
    outputs_fill(&o);
    EXPECT(agentsched_dag_schedule(f.d, f.p, "heft-ls", buf, cap, &o.len, &o.ms), TOO_SMALL);
    CHECK(o.len == 10);
    o.len = 12345;
    EXPECT(agentsched_dag_schedule_best(f.d, f.p, 0, buf, cap, &o.len, &o.ms, &o.name),
           TOO_SMALL);
    CHECK(o.len == 10);
    o.len = 12345;
    EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 10, 10, 0, 0, buf, cap, &o.len, &o.ms),
           TOO_SMALL);
    CHECK(o.len == 10);
    o.len = 12345;
    EXPECT(agentsched_dag_upward_ranks(f.d, f.p, vals, cap, &o.len), TOO_SMALL);
    CHECK(o.len == 10);
    o.len = 12345;
    EXPECT(agentsched_dag_downward_ranks(f.d, f.p, vals, cap, &o.len), TOO_SMALL);
    CHECK(o.len == 10);
    o.len = 12345;
    CHECK(outputs_untouched(&o, 1));
  }
  /* NULL with a capacity is no room either. */
  outputs_fill(&o);
  EXPECT(agentsched_dag_schedule(f.d, f.p, "heft", NULL, 10, &o.len, &o.ms), TOO_SMALL);
  CHECK(o.len == 10);
  o.len = 12345;
  EXPECT(agentsched_dag_upward_ranks(f.d, f.p, NULL, 10, &o.len), TOO_SMALL);
  CHECK(o.len == 10);
  o.len = 12345;
  CHECK(outputs_untouched(&o, 1));
  EXPECT_DAG_ERROR(f.d, "unknown algorithm `nope`");
  /* Room to spare: exactly 10 entries are written, the rest is left alone. */
  outputs_fill(&o);
  EXPECT(agentsched_dag_schedule(f.d, f.p, "heft", o.slots, MAXN, &o.len, &o.ms), OK);
  CHECK(o.len == 10 && o.ms == 80.0 && same_slots(o.slots, f.heft, 10));
  CHECK(all_bytes(o.slots + 10, (MAXN - 10) * sizeof o.slots[0], SENTINEL));
  EXPECT(agentsched_dag_upward_ranks(f.d, f.p, o.values, MAXN, &o.len), OK);
  CHECK(o.len == 10 && o.values[0] == 108.0);
  CHECK(all_bytes(o.values + 10, (MAXN - 10) * sizeof o.values[0], SENTINEL));
  still_usable(&f, __LINE__);
  fixture_free(&f);
}

static void test_improve_errors(void) {
  fixture f;
  outputs o;
  agentsched_slot bad[MAXN];
  fixture_new(&f);
  /* Not a valid schedule: each broken rule is named with the task, nothing is written. */
  memcpy(bad, f.heft, sizeof bad);
  bad[3].start += 1.0; /* n4: finish no longer start + time */
  outputs_fill(&o);
  EXPECT(agentsched_dag_improve(f.d, f.p, bad, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         BAD_SCHEDULE);
  EXPECT_DAG_ERROR(f.d, "task#4");
  memcpy(bad, f.heft, sizeof bad);
  bad[1].start = 0.0; /* n2 before n1's data */
  bad[1].finish = 13.0;
  EXPECT(agentsched_dag_improve(f.d, f.p, bad, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         BAD_SCHEDULE);
  EXPECT_DAG_ERROR(f.d, "task#2");
  memcpy(bad, f.heft, sizeof bad);
  bad[9].agent = 3;
  EXPECT(agentsched_dag_improve(f.d, f.p, bad, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         BAD_SCHEDULE);
  EXPECT_DAG_ERROR(f.d, "agent 3 does not exist");
  memcpy(bad, f.heft, sizeof bad);
  bad[0].start = NAN;
  EXPECT(agentsched_dag_improve(f.d, f.p, bad, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         BAD_SCHEDULE);
  bad[0].start = 0.0;
  bad[0].finish = INFINITY;
  EXPECT(agentsched_dag_improve(f.d, f.p, bad, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         BAD_SCHEDULE);
  /* Lengths. */
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 9, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         DIMS_BAD);
  EXPECT_DAG_ERROR(f.d, "start");
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 11, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         DIMS_BAD);
  EXPECT(agentsched_dag_improve(f.d, f.p, NULL, 0, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         DIMS_BAD);
  EXPECT(agentsched_dag_improve(f.d, f.p, NULL, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         NULLP);
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, HUGE_LEN, 10, 0, 0, o.slots, MAXN, &o.len,
                                &o.ms),
         INVAL);
  EXPECT_DAG_ERROR(f.d, "too large");
  /* A wrong length is reported before the buffer is measured. */
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 9, 10, 0, 0, NULL, 0, &o.len, &o.ms), DIMS_BAD);
  CHECK(outputs_untouched(&o, 1));
  still_usable(&f, __LINE__);
  fixture_free(&f);
}

/* ---- the empty graph -------------------------------------------------------------------- */

static void test_empty(void) {
  agentsched_task_graph *g = NULL;
  agentsched_dag *d;
  agentsched_platform *rel = NULL, *mat = NULL;
  static const double SPEEDS[2] = {1.0, 3.0}, LINKS[4] = {0, 1, 1, 0};
  size_t k, len;
  double ms, lb = -1.0;
  const char *name = NULL;
  EXPECT(agentsched_task_graph_new(&g), OK);
  d = freeze(g, __LINE__);
  EXPECT(agentsched_platform_related(SPEEDS, 2, LINKS, 4, &rel), OK);
  EXPECT(agentsched_platform_matrix(0, 2, NULL, 0, LINKS, 4, &mat), OK);
  for (k = 0; k < N_ALGOS; k++) {
    len = 99;
    ms = -1.0;
    EXPECT(agentsched_dag_schedule(d, rel, ALGOS[k], NULL, 0, &len, &ms), OK);
    CHECK(len == 0 && ms == 0.0);
    len = 99;
    ms = -1.0;
    EXPECT(agentsched_dag_schedule(d, mat, ALGOS[k], NULL, 0, &len, &ms), OK);
    CHECK(len == 0 && ms == 0.0);
  }
  len = 99;
  EXPECT(agentsched_dag_schedule_best(d, rel, 0, NULL, 0, &len, &ms, &name), OK);
  CHECK(len == 0 && ms == 0.0 && name != NULL && strcmp(name, "heft") == 0);
  EXPECT(agentsched_dag_improve(d, rel, NULL, 0, 10, 0, 0, NULL, 0, &len, &ms), OK);
  CHECK(len == 0 && ms == 0.0);
  EXPECT(agentsched_dag_lower_bound(d, mat, &lb), OK);
  CHECK(lb == 0.0);
  len = 99;
  EXPECT(agentsched_dag_upward_ranks(d, rel, NULL, 0, &len), OK);
  CHECK(len == 0);
  len = 99;
  EXPECT(agentsched_dag_downward_ranks(d, mat, NULL, 0, &len), OK);
  CHECK(len == 0);
  agentsched_platform_free(rel);
  agentsched_platform_free(mat);
  agentsched_dag_free(d);
  agentsched_task_graph_free(g);
}

/* ---- NULL everywhere -------------------------------------------------------------------- */

static void test_null_pointers(void) {
  fixture f;
  outputs o;
  fixture_new(&f);
  outputs_fill(&o);
  /* agentsched_dag_schedule */
  EXPECT(agentsched_dag_schedule(NULL, f.p, "heft", o.slots, MAXN, &o.len, &o.ms), NULLP);
  EXPECT(agentsched_dag_schedule(f.d, NULL, "heft", o.slots, MAXN, &o.len, &o.ms), NULLP);
  EXPECT_DAG_ERROR(f.d, "null pointer");
  EXPECT(agentsched_dag_schedule(f.d, f.p, NULL, o.slots, MAXN, &o.len, &o.ms), NULLP);
  EXPECT(agentsched_dag_schedule(f.d, f.p, "heft", o.slots, MAXN, NULL, &o.ms), NULLP);
  EXPECT(agentsched_dag_schedule(f.d, f.p, "heft", o.slots, MAXN, &o.len, NULL), NULLP);
  /* agentsched_dag_schedule_best */
  EXPECT(agentsched_dag_schedule_best(NULL, f.p, 0, o.slots, MAXN, &o.len, &o.ms, &o.name),
         NULLP);
  EXPECT(agentsched_dag_schedule_best(f.d, NULL, 0, o.slots, MAXN, &o.len, &o.ms, &o.name),
         NULLP);
  EXPECT(agentsched_dag_schedule_best(f.d, f.p, 0, o.slots, MAXN, NULL, &o.ms, &o.name), NULLP);
  EXPECT(agentsched_dag_schedule_best(f.d, f.p, 0, o.slots, MAXN, &o.len, NULL, &o.name), NULLP);
  EXPECT(agentsched_dag_schedule_best(f.d, f.p, 0, o.slots, MAXN, &o.len, &o.ms, NULL), NULLP);
  /* agentsched_dag_improve */
  EXPECT(agentsched_dag_improve(NULL, f.p, f.heft, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         NULLP);
  EXPECT(agentsched_dag_improve(f.d, NULL, f.heft, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         NULLP);
  EXPECT(agentsched_dag_improve(f.d, f.p, NULL, 10, 10, 0, 0, o.slots, MAXN, &o.len, &o.ms),
         NULLP);
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 10, 10, 0, 0, o.slots, MAXN, NULL, &o.ms),
         NULLP);
  EXPECT(agentsched_dag_improve(f.d, f.p, f.heft, 10, 10, 0, 0, o.slots, MAXN, &o.len, NULL),
         NULLP);
  /* bounds and ranks */
  EXPECT(agentsched_dag_lower_bound(NULL, f.p, &o.ms), NULLP);
  EXPECT(agentsched_dag_lower_bound(f.d, NULL, &o.ms), NULLP);
  EXPECT(agentsched_dag_lower_bound(f.d, f.p, NULL), NULLP);
  EXPECT(agentsched_dag_upward_ranks(NULL, f.p, o.values, MAXN, &o.len), NULLP);
  EXPECT(agentsched_dag_upward_ranks(f.d, NULL, o.values, MAXN, &o.len), NULLP);
  EXPECT(agentsched_dag_upward_ranks(f.d, f.p, o.values, MAXN, NULL), NULLP);
  EXPECT(agentsched_dag_downward_ranks(NULL, f.p, o.values, MAXN, &o.len), NULLP);
  EXPECT(agentsched_dag_downward_ranks(f.d, NULL, o.values, MAXN, &o.len), NULLP);
  EXPECT(agentsched_dag_downward_ranks(f.d, f.p, o.values, MAXN, NULL), NULLP);
  EXPECT_DAG_ERROR(f.d, "null pointer");
  CHECK(outputs_untouched(&o, 1));
  still_usable(&f, __LINE__);
  fixture_free(&f);
}

int main(void) {
  test_paper();
  test_related();
  test_random();
  test_cycles();
  test_malformed();
  test_names();
  test_mismatch();
  test_buffers();
  test_improve_errors();
  test_empty();
  test_null_pointers();
  printf("dag_schedule_test: %u checks (%u hostile calls), %u failed: %s\n", g_checks, g_hostile,
         g_failed, g_failed ? "FAIL" : "ok");
  return g_failed ? 1 : 0;
}
