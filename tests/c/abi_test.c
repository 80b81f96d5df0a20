/*
 * The C ABI of agentsched, tested from C.
 *
 * Calls every exported function (include/agentsched.symbols lists them; .ci/c.sh and
 * tests/c_abi.rs check that each name appears here followed by '('), normally and with hostile
 * arguments: NULL for each pointer, unknown ids, wrong dimension counts, NaN / infinite /
 * negative numbers, unknown enum values, invalid UTF-8, zero-capacity and NULL buffers, lengths
 * too large for memory, free(NULL), unknown status values. Checks the size protocol
 * (BUFFER_TOO_SMALL reports the size needed and a retry with it succeeds), the handle's last
 * error after failures, that a failed call leaves its outputs untouched (outputs are pre-filled
 * with sentinels) and the handle's state unchanged (snapshot JSON compared byte for byte).
 *
 * What is not tested, because it is undefined: lengths that lie about a valid array (a length
 * larger than the array but still addressable cannot be detected), dangling or foreign handles,
 * and use after free. Lengths beyond PTRDIFF_MAX / sizeof(element) are detected and rejected
 * with AGENTSCHED_STATUS_INVALID_ARGUMENT.
 *
 * Prints one summary line and exits non-zero on any failure.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/abi_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o abi_test
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

#define SENTINEL 0xA5
#define N_DIMS 3

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
#define SENTINEL_DISPATCHER ((agentsched_dispatcher *)(void *)&g_sentinel_obj)
#define SENTINEL_EXPLANATION ((agentsched_explanation *)(void *)&g_sentinel_obj)

static const char *const DIMS[N_DIMS] = {"cpu", "memory", "gpu"};
static const char BAD_UTF8[] = {'b', 'a', 'd', (char)0xff, (char)0xfe, '\0'};
static const char OVERLONG_UTF8[] = {(char)0xc0, (char)0xaf, '\0'};
static const char LONE_SURROGATE[] = {(char)0xed, (char)0xa0, (char)0x80, '\0'};
/* Lengths no array can have: beyond PTRDIFF_MAX / sizeof(element). */
#define HUGE_LEN SIZE_MAX
#define HUGE_BYTES ((size_t)PTRDIFF_MAX + 1)

/* The handle's last error, read with the size protocol (which is checked on the way). */
static char *last_error(const agentsched_dispatcher *d, int line) {
  size_t len = (size_t)-1, len2 = (size_t)-1;
  char *msg;
  agentsched_status s = agentsched_dispatcher_last_error(d, NULL, 0, &len);
  check_true(s == TOO_SMALL && len != (size_t)-1, "last_error(NULL, 0) reports the size", line);
  if (s != TOO_SMALL) return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  memset(msg, SENTINEL, len + 1);
  if (len > 0) {
    /* One byte short (no room for the NUL): still too small, buffer untouched. */
    s = agentsched_dispatcher_last_error(d, msg, len, &len2);
    check_true(s == TOO_SMALL && len2 == len && all_bytes(msg, len + 1, SENTINEL),
               "last_error(cap = len) is too small and writes nothing", line);
  }
  s = agentsched_dispatcher_last_error(d, msg, len + 1, &len2);
  check_true(s == OK && len2 == len && msg[len] == '\0' && strlen(msg) == len,
             "last_error(cap = len + 1) succeeds", line);
  return msg;
}

/* Checks that the last error is non-empty and contains `needle` (NULL: any text). */
static void expect_error_mentions(const agentsched_dispatcher *d, const char *needle, int line) {
  char *msg = last_error(d, line);
  char what[256];
  snprintf(what, sizeof what, "last_error mentions \"%s\" (got \"%s\")", needle ? needle : "",
           msg ? msg : "(none)");
  check_true(msg != NULL && msg[0] != '\0' && (needle == NULL || strstr(msg, needle) != NULL),
             what, line);
  free(msg);
}
#define EXPECT_ERROR(d, needle) expect_error_mentions((d), (needle), __LINE__)

/* The handle's state as JSON, read with the size protocol. */
static uint8_t *take_snapshot(agentsched_dispatcher *d, size_t *len) {
  uint8_t *buf;
  size_t need = 0, got = 0;
  if (agentsched_dispatcher_snapshot(d, NULL, 0, &need) != TOO_SMALL || need == 0) return NULL;
  buf = malloc(need);
  if (buf == NULL) return NULL;
  if (agentsched_dispatcher_snapshot(d, buf, need, &got) != OK || got != need) {
    free(buf);
    return NULL;
  }
  *len = got;
  return buf;
}

static void expect_same_state(agentsched_dispatcher *d, const uint8_t *before, size_t before_len,
                              const char *expr, int line) {
  size_t after_len = 0;
  uint8_t *after = take_snapshot(d, &after_len);
  char what[512];
  snprintf(what, sizeof what, "state unchanged after %s", expr);
  check_true(before != NULL && after != NULL && before_len == after_len &&
                 memcmp(before, after, before_len) == 0,
             what, line);
  free(after);
}

/* A call that must fail with `want` and leave the handle's state as it was. */
#define EXPECT_UNCHANGED(d, call, want)                                                      \
  do {                                                                                       \
    size_t before_len_ = 0;                                                                  \
    uint8_t *before_ = take_snapshot((d), &before_len_);                                     \
    expect_status((call), (want), #call, __LINE__);                                          \
    expect_same_state((d), before_, before_len_, #call, __LINE__);                           \
    free(before_);                                                                           \
  } while (0)

/* ---- fixtures --------------------------------------------------------------------------- */

static agentsched_dispatcher *new_dispatcher(const agentsched_config *cfg) {
  agentsched_dispatcher *d = NULL;
  agentsched_status s = agentsched_dispatcher_new(DIMS, N_DIMS, cfg, &d);
  check_true(s == OK && d != NULL, "fixture: dispatcher_new", __LINE__);
  return d;
}

static agentsched_agent_spec agent_spec(uint32_t id, const uint64_t *cap, uint32_t tier,
                                        const agentsched_label *labels, size_t labels_len) {
  agentsched_agent_spec a;
  memset(&a, 0, sizeof a);
  a.id = id;
  a.capacity = cap;
  a.capacity_len = N_DIMS;
  a.tier = tier;
  a.cost_per_time = tier == AGENTSCHED_TIER_PUBLIC ? 2.0 : 0.0;
  a.speed = 1.0;
  a.labels = labels;
  a.labels_len = labels_len;
  return a;
}

static agentsched_task_spec task_spec(uint32_t id, const uint64_t *demand, uint32_t sensitivity) {
  agentsched_task_spec t;
  memset(&t, 0, sizeof t);
  t.id = id;
  t.demand = demand;
  t.demand_len = N_DIMS;
  t.priority = 1;
  t.duration = 10.0;
  t.sensitivity = sensitivity;
  return t;
}

static const uint64_t CAP_SMALL[N_DIMS] = {16000, 65536, 0};
static const uint64_t CAP_GPU[N_DIMS] = {32000, 262144, 4};
static const uint64_t CAP_PUBLIC[N_DIMS] = {64000, 524288, 8};
static const uint64_t DEMAND_SMALL[N_DIMS] = {1000, 1024, 0};
static const uint64_t DEMAND_GPU[N_DIMS] = {8000, 65536, 2};
static const agentsched_label EU = {"region", "eu"};
static const agentsched_label US = {"region", "us"};

/* Three agents: 1 private small (eu), 2 private GPU (eu), 3 public GPU (us). */
static agentsched_dispatcher *pool_fixture(void) {
  agentsched_dispatcher *d = new_dispatcher(NULL);
  agentsched_agent_spec a;
  if (d == NULL) return NULL;
  a = agent_spec(1, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, &EU, 1);
  EXPECT(agentsched_agent_join(d, &a), OK);
  a = agent_spec(2, CAP_GPU, AGENTSCHED_TIER_PRIVATE, &EU, 1);
  EXPECT(agentsched_agent_join(d, &a), OK);
  a = agent_spec(3, CAP_PUBLIC, AGENTSCHED_TIER_PUBLIC, &US, 1);
  EXPECT(agentsched_agent_join(d, &a), OK);
  return d;
}

/* ---- version, statuses, default config ---------------------------------------------------- */

static const agentsched_status ALL_STATUSES[] = {
    AGENTSCHED_STATUS_OK,
    AGENTSCHED_STATUS_NULL_POINTER,
    AGENTSCHED_STATUS_INVALID_ARGUMENT,
    AGENTSCHED_STATUS_BUFFER_TOO_SMALL,
    AGENTSCHED_STATUS_POISONED,
    AGENTSCHED_STATUS_UNKNOWN_TASK,
    AGENTSCHED_STATUS_DUPLICATE_TASK,
    AGENTSCHED_STATUS_UNKNOWN_AGENT,
    AGENTSCHED_STATUS_DUPLICATE_AGENT,
    AGENTSCHED_STATUS_DIMENSION_MISMATCH,
    AGENTSCHED_STATUS_INVALID_NUMBER,
    AGENTSCHED_STATUS_OVERFLOW,
    AGENTSCHED_STATUS_INVALID_CONFIG,
    AGENTSCHED_STATUS_INVALID_SCHEMA,
    AGENTSCHED_STATUS_TASK_STATE,
    AGENTSCHED_STATUS_AGENT_STATE,
    AGENTSCHED_STATUS_GANG,
    AGENTSCHED_STATUS_NEVER_FITS,
    AGENTSCHED_STATUS_TIME_WENT_BACKWARDS,
    AGENTSCHED_STATUS_INVALID_SNAPSHOT,
    AGENTSCHED_STATUS_QUEUE,
    AGENTSCHED_STATUS_PANIC,
};
#define N_STATUSES (sizeof ALL_STATUSES / sizeof ALL_STATUSES[0])

static void test_version_and_status_str(void) {
  char expected[64];
  const char *v = agentsched_version();
  size_t i, j;
  static const uint32_t unknown[] = {5, 9, 14, 25, 42, 98, 100, 1000, 0x7fffffffu, UINT32_MAX};

  snprintf(expected, sizeof expected, "%d.%d.%d", AGENTSCHED_VERSION_MAJOR,
           AGENTSCHED_VERSION_MINOR, AGENTSCHED_VERSION_PATCH);
  CHECK(v != NULL && strcmp(v, expected) == 0);
  CHECK(agentsched_version() == v); /* static, the same every time */

  CHECK(N_STATUSES == 22);
  for (i = 0; i < N_STATUSES; i++) {
    const char *s = agentsched_status_str(ALL_STATUSES[i]);
    CHECK(s != NULL && s[0] != '\0' && strcmp(s, "unknown status") != 0);
    for (j = 0; j < i; j++) CHECK(strcmp(s, agentsched_status_str(ALL_STATUSES[j])) != 0);
  }
  CHECK(strcmp(agentsched_status_str(OK), "ok") == 0);
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    const char *s = agentsched_status_str(unknown[i]);
    CHECK(s != NULL && strcmp(s, "unknown status") == 0);
  }
}

static void test_config_default(void) {
  agentsched_config c;
  EXPECT(agentsched_config_default(NULL), NULLP);
  memset(&c, SENTINEL, sizeof c);
  EXPECT(agentsched_config_default(&c), OK);
  CHECK(c.scoring == AGENTSCHED_SCORING_LEAST_ALLOCATED);
  CHECK(c.discipline == AGENTSCHED_DISCIPLINE_PRIORITY_FIFO);
  CHECK(c.search == AGENTSCHED_SEARCH_INDEXED);
  CHECK(c.mlfq_quanta == NULL && c.mlfq_quanta_len == 0);
  CHECK(c.backfill && c.reservation && c.reject_never_fit && !c.allow_internal_on_public);
}

/* ---- dispatcher_new / free ------------------------------------------------------------------ */

/* dispatcher_new must fail with `want` and leave `*out` as it was. */
static void expect_new_fails(const char *const *dims, size_t n, const agentsched_config *cfg,
                             agentsched_status want, int line) {
  agentsched_dispatcher *out = SENTINEL_DISPATCHER;
  expect_status(agentsched_dispatcher_new(dims, n, cfg, &out), want, "dispatcher_new", line);
  check_true(out == SENTINEL_DISPATCHER, "dispatcher_new left *out untouched", line);
  if (out != SENTINEL_DISPATCHER && out != NULL) agentsched_dispatcher_free(out);
}
#define EXPECT_NEW_FAILS(dims, n, cfg, want) expect_new_fails((dims), (n), (cfg), (want), __LINE__)

static void expect_config_fails(const agentsched_config *cfg, agentsched_status want, int line) {
  expect_new_fails(DIMS, N_DIMS, cfg, want, line);
}
#define EXPECT_CONFIG_FAILS(cfg, want) expect_config_fails(&(cfg), (want), __LINE__)

static void expect_new_ok(const agentsched_config *cfg, int line) {
  agentsched_dispatcher *d = NULL;
  expect_status(agentsched_dispatcher_new(DIMS, N_DIMS, cfg, &d), OK, "dispatcher_new", line);
  check_true(d != NULL, "dispatcher_new gave a handle", line);
  agentsched_dispatcher_free(d);
}

static void test_dispatcher_new(void) {
  static const char *const with_null[] = {"cpu", NULL, "gpu"};
  static const char *const bad_utf8[] = {"cpu", BAD_UTF8};
  static const char *const overlong[] = {OVERLONG_UTF8};
  static const char *const surrogate[] = {LONE_SURROGATE};
  static const char *const empty_name[] = {"cpu", ""};
  static const char *const repeated[] = {"cpu", "gpu", "cpu"};
  static const char *const utf8_ok[] = {"cpu", "m\xc3\xa9moire", "\xe2\x9a\xa1"};
  const char *many[40];
  double quanta[17];
  agentsched_config c, base;
  size_t i;

  for (i = 0; i < 40; i++) many[i] = NULL;
  for (i = 0; i < 17; i++) quanta[i] = 1.0 + (double)i;
  EXPECT(agentsched_config_default(&base), OK);

  /* NULL pointers. */
  EXPECT(agentsched_dispatcher_new(DIMS, N_DIMS, NULL, NULL), NULLP);
  EXPECT_NEW_FAILS(NULL, N_DIMS, NULL, NULLP);
  EXPECT_NEW_FAILS(with_null, 3, NULL, NULLP);
  /* Schemas. */
  EXPECT_NEW_FAILS(NULL, 0, NULL, AGENTSCHED_STATUS_INVALID_SCHEMA);
  EXPECT_NEW_FAILS(DIMS, 0, NULL, AGENTSCHED_STATUS_INVALID_SCHEMA);
  EXPECT_NEW_FAILS(empty_name, 2, NULL, AGENTSCHED_STATUS_INVALID_SCHEMA);
  EXPECT_NEW_FAILS(repeated, 3, NULL, AGENTSCHED_STATUS_INVALID_SCHEMA);
  {
    /* 33 distinct names: more than MAX_DIMENSIONS (32). */
    static char names[40][8];
    for (i = 0; i < 40; i++) {
      snprintf(names[i], sizeof names[i], "d%u", (unsigned)i);
      many[i] = names[i];
    }
    EXPECT_NEW_FAILS(many, 33, NULL, AGENTSCHED_STATUS_INVALID_SCHEMA);
    {
      agentsched_dispatcher *d = NULL;
      EXPECT(agentsched_dispatcher_new(many, 32, NULL, &d), OK);
      agentsched_dispatcher_free(d);
    }
  }
  /* Invalid UTF-8 names. */
  EXPECT_NEW_FAILS(bad_utf8, 2, NULL, INVAL);
  EXPECT_NEW_FAILS(overlong, 1, NULL, INVAL);
  EXPECT_NEW_FAILS(surrogate, 1, NULL, INVAL);
  expect_new_ok(NULL, __LINE__);
  {
    agentsched_dispatcher *d = NULL;
    EXPECT(agentsched_dispatcher_new(utf8_ok, 3, NULL, &d), OK);
    agentsched_dispatcher_free(d);
  }
  /* Lengths too large for memory (with a valid, small array). */
  EXPECT_NEW_FAILS(DIMS, HUGE_LEN, NULL, INVAL);
  EXPECT_NEW_FAILS(DIMS, SIZE_MAX / sizeof(char *) + 1, NULL, INVAL);

  /* Unknown enum values. */
  c = base;
  c.scoring = 99;
  EXPECT_CONFIG_FAILS(c, INVAL);
  c = base;
  c.scoring = UINT32_MAX;
  EXPECT_CONFIG_FAILS(c, INVAL);
  c = base;
  c.discipline = 4;
  EXPECT_CONFIG_FAILS(c, INVAL);
  c = base;
  c.search = 7;
  EXPECT_CONFIG_FAILS(c, INVAL);

  /* Weighted scoring: every weight finite and >= 0, not all zero. */
  c = base;
  c.scoring = AGENTSCHED_SCORING_WEIGHTED;
  EXPECT_CONFIG_FAILS(c, AGENTSCHED_STATUS_INVALID_CONFIG); /* all zero */
  c.weight_least_allocated = NAN;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.weight_least_allocated = -1.0;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.weight_least_allocated = INFINITY;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.weight_least_allocated = 1.0;
  c.weight_lowest_cost = -INFINITY;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.weight_lowest_cost = 0.5;
  c.weight_balanced = 0.25;
  c.weight_dot_product = 0.1;
  c.weight_most_allocated = DBL_MIN;
  expect_new_ok(&c, __LINE__);

  /* MLFQ: 1 to 16 quanta, each finite and > 0; a boost interval > 0. */
  c = base;
  c.discipline = AGENTSCHED_DISCIPLINE_MLFQ;
  c.mlfq_boost_interval = 100.0;
  c.mlfq_quanta = NULL;
  c.mlfq_quanta_len = 2;
  EXPECT_CONFIG_FAILS(c, NULLP);
  c.mlfq_quanta_len = 0;
  EXPECT_CONFIG_FAILS(c, AGENTSCHED_STATUS_INVALID_CONFIG);
  c.mlfq_quanta = quanta;
  c.mlfq_quanta_len = 17;
  EXPECT_CONFIG_FAILS(c, AGENTSCHED_STATUS_INVALID_CONFIG);
  c.mlfq_quanta_len = HUGE_LEN;
  EXPECT_CONFIG_FAILS(c, INVAL);
  c.mlfq_quanta_len = 16;
  expect_new_ok(&c, __LINE__);
  {
    const double bad[] = {NAN, INFINITY, -1.0, 0.0, -0.0, -INFINITY};
    double q[2];
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      q[0] = 1.0;
      q[1] = bad[i];
      c.mlfq_quanta = q;
      c.mlfq_quanta_len = 2;
      EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
    }
    c.mlfq_quanta = quanta;
    c.mlfq_quanta_len = 3;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      c.mlfq_boost_interval = bad[i];
      EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
    }
  }

  /* Aging: a rate finite and >= 0. */
  c = base;
  c.discipline = AGENTSCHED_DISCIPLINE_AGING;
  c.aging_rate = NAN;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.aging_rate = -0.5;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.aging_rate = INFINITY;
  EXPECT_CONFIG_FAILS(c, BAD_NUMBER);
  c.aging_rate = 0.0;
  expect_new_ok(&c, __LINE__);

  /* Every valid enum value. */
  for (i = 0; i <= AGENTSCHED_SCORING_LOWEST_COST; i++) {
    c = base;
    c.scoring = (uint32_t)i;
    c.search = (uint32_t)(i % 2);
    c.discipline = i % 2 ? AGENTSCHED_DISCIPLINE_SJF : AGENTSCHED_DISCIPLINE_PRIORITY_FIFO;
    expect_new_ok(&c, __LINE__);
  }

  /* free(NULL) does nothing. */
  agentsched_dispatcher_free(NULL);
  agentsched_explanation_free(NULL);
}

/* ---- last_error ------------------------------------------------------------------------- */

static void test_last_error(void) {
  agentsched_dispatcher *d = new_dispatcher(NULL);
  char buf[16];
  size_t len = 77;
  if (d == NULL) return;
  /* NULL pointers. */
  EXPECT(agentsched_dispatcher_last_error(NULL, buf, sizeof buf, &len), NULLP);
  EXPECT(agentsched_dispatcher_last_error(d, buf, sizeof buf, NULL), NULLP);
  CHECK(len == 77);
  /* A fresh handle has an empty message: "" needs 1 byte. */
  EXPECT(agentsched_dispatcher_last_error(d, NULL, 0, &len), TOO_SMALL);
  CHECK(len == 0);
  memset(buf, SENTINEL, sizeof buf);
  EXPECT(agentsched_dispatcher_last_error(d, buf, 0, &len), TOO_SMALL);
  CHECK(all_bytes(buf, sizeof buf, SENTINEL));
  EXPECT(agentsched_dispatcher_last_error(d, NULL, 100, &len), TOO_SMALL);
  EXPECT(agentsched_dispatcher_last_error(d, buf, 1, &len), OK);
  CHECK(len == 0 && buf[0] == '\0');
  /* After failures: the message names what failed, and follows the last failure. */
  EXPECT(agentsched_task_complete(d, 4242), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_ERROR(d, "4242");
  EXPECT(agentsched_agent_drain(d, 777), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  EXPECT_ERROR(d, "777");
  /* A message longer than a small buffer: too small, needed size reported, nothing written. */
  memset(buf, SENTINEL, sizeof buf);
  EXPECT(agentsched_dispatcher_last_error(d, buf, 4, &len), TOO_SMALL);
  CHECK(len > 4 && all_bytes(buf, sizeof buf, SENTINEL));
  /* A successful call does not clear it. */
  EXPECT(agentsched_dispatcher_advance(d, 1.0), OK);
  EXPECT_ERROR(d, "777");
  agentsched_dispatcher_free(d);
}

/* ---- agents ------------------------------------------------------------------------------ */

static void test_agents(void) {
  agentsched_dispatcher *d = pool_fixture();
  agentsched_agent_spec a;
  agentsched_task_spec t;
  agentsched_label labels[2];
  const uint64_t cap2[2] = {1, 2};
  const uint64_t cap4[4] = {1, 2, 3, 4};
  uint32_t requeued[8];
  size_t n;
  const double bad_cost[] = {NAN, -NAN, INFINITY, -INFINITY, -1.0, -DBL_MIN};
  const double bad_speed[] = {NAN, INFINITY, -INFINITY, -1.0, 0.0, -0.0};
  size_t i;
  if (d == NULL) return;

  /* join: NULL pointers. */
  a = agent_spec(10, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, NULL, 0);
  EXPECT(agentsched_agent_join(NULL, &a), NULLP);
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, NULL), NULLP);
  a.capacity = NULL;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), NULLP);
  a.capacity_len = 0; /* NULL with 0 values is an empty vector: the wrong dimension count */
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), DIMS_BAD);
  /* Wrong dimension counts. */
  a = agent_spec(10, cap2, AGENTSCHED_TIER_PRIVATE, NULL, 0);
  a.capacity_len = 2;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), DIMS_BAD);
  EXPECT_ERROR(d, "expected 3");
  a.capacity = cap4;
  a.capacity_len = 4;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), DIMS_BAD);
  /* Lengths too large for memory. */
  a.capacity_len = HUGE_LEN;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  a.capacity_len = SIZE_MAX / sizeof(uint64_t) + 1;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  a = agent_spec(10, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, &EU, HUGE_LEN);
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  /* Unknown tier. */
  a = agent_spec(10, CAP_SMALL, 7, NULL, 0);
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  EXPECT_ERROR(d, "tier");
  a.tier = UINT32_MAX;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  /* Bad numbers. */
  for (i = 0; i < sizeof bad_cost / sizeof bad_cost[0]; i++) {
    a = agent_spec(10, CAP_SMALL, AGENTSCHED_TIER_PUBLIC, NULL, 0);
    a.cost_per_time = bad_cost[i];
    EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), BAD_NUMBER);
  }
  EXPECT_ERROR(d, "cost");
  for (i = 0; i < sizeof bad_speed / sizeof bad_speed[0]; i++) {
    a = agent_spec(10, CAP_SMALL, AGENTSCHED_TIER_PUBLIC, NULL, 0);
    a.speed = bad_speed[i];
    EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), BAD_NUMBER);
  }
  EXPECT_ERROR(d, "speed");
  /* Labels: NULL array, NULL strings, invalid UTF-8. */
  a = agent_spec(10, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, NULL, 1);
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), NULLP);
  labels[0] = EU;
  labels[1].key = NULL;
  labels[1].value = "x";
  a.labels = labels;
  a.labels_len = 2;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), NULLP);
  labels[1].key = "k";
  labels[1].value = NULL;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), NULLP);
  labels[1].value = BAD_UTF8;
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  labels[1].key = OVERLONG_UTF8;
  labels[1].value = "v";
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), INVAL);
  /* Duplicate id. */
  a = agent_spec(1, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, NULL, 0);
  EXPECT_UNCHANGED(d, agentsched_agent_join(d, &a), AGENTSCHED_STATUS_DUPLICATE_AGENT);
  EXPECT_ERROR(d, "1");
  /* Valid: UTF-8 labels, zero capacity, extreme ids. */
  labels[1].key = "zone";
  labels[1].value = "\xc3\xa9t\xc3\xa9";
  a = agent_spec(UINT32_MAX, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, labels, 2);
  EXPECT(agentsched_agent_join(d, &a), OK);
  {
    const uint64_t zero[N_DIMS] = {0, 0, 0};
    a = agent_spec(0, zero, AGENTSCHED_TIER_PRIVATE, NULL, 0);
    EXPECT(agentsched_agent_join(d, &a), OK);
  }

  /* drain / recover / fail / leave: NULL handle, unknown ids, wrong states. */
  EXPECT(agentsched_agent_drain(NULL, 1), NULLP);
  EXPECT(agentsched_agent_recover(NULL, 1), NULLP);
  n = 12345;
  EXPECT(agentsched_agent_fail(NULL, 1, &n), NULLP);
  EXPECT(agentsched_agent_leave(NULL, 1, &n), NULLP);
  CHECK(n == 12345);
  EXPECT_UNCHANGED(d, agentsched_agent_drain(d, 99), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  EXPECT_ERROR(d, "99");
  EXPECT_UNCHANGED(d, agentsched_agent_recover(d, 99), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  EXPECT_UNCHANGED(d, agentsched_agent_fail(d, 99, &n), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  EXPECT_UNCHANGED(d, agentsched_agent_leave(d, 99, &n), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  CHECK(n == 12345);
  EXPECT_UNCHANGED(d, agentsched_agent_recover(d, 1), AGENTSCHED_STATUS_AGENT_STATE);
  EXPECT_ERROR(d, "agent#1");
  EXPECT(agentsched_agent_drain(d, 1), OK);
  EXPECT_UNCHANGED(d, agentsched_agent_drain(d, 1), AGENTSCHED_STATUS_AGENT_STATE);
  EXPECT(agentsched_agent_recover(d, 1), OK);
  EXPECT(agentsched_agent_fail(d, 0, NULL), OK); /* NULL count is allowed */
  EXPECT_UNCHANGED(d, agentsched_agent_fail(d, 0, &n), AGENTSCHED_STATUS_AGENT_STATE);
  CHECK(n == 12345);
  EXPECT(agentsched_agent_leave(d, 0, NULL), OK);
  EXPECT_UNCHANGED(d, agentsched_agent_leave(d, 0, &n), AGENTSCHED_STATUS_UNKNOWN_AGENT);

  /* requeued: run two GPU tasks on agent 2 (confidential: only private GPU agents), fail it. */
  t = task_spec(1, DEMAND_GPU, AGENTSCHED_SENSITIVITY_CONFIDENTIAL);
  EXPECT(agentsched_task_submit(d, &t), OK);
  t.id = 2;
  EXPECT(agentsched_task_submit(d, &t), OK);
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 2);
  EXPECT(agentsched_dispatcher_requeued(NULL, requeued, 8, &n), NULLP);
  EXPECT(agentsched_dispatcher_requeued(d, requeued, 8, NULL), NULLP);
  n = 99;
  EXPECT(agentsched_dispatcher_requeued(d, NULL, 0, &n), OK); /* nothing requeued yet */
  CHECK(n == 0);
  n = 0;
  EXPECT(agentsched_agent_fail(d, 2, &n), OK);
  CHECK(n == 2);
  n = 0;
  EXPECT(agentsched_dispatcher_requeued(d, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 2);
  memset(requeued, SENTINEL, sizeof requeued);
  EXPECT(agentsched_dispatcher_requeued(d, requeued, 1, &n), TOO_SMALL);
  CHECK(n == 2 && all_bytes(requeued, sizeof requeued, SENTINEL));
  EXPECT(agentsched_dispatcher_requeued(d, NULL, 8, &n), TOO_SMALL);
  EXPECT(agentsched_dispatcher_requeued(d, requeued, n, &n), OK);
  CHECK(n == 2 && requeued[0] == 1 && requeued[1] == 2);
  CHECK(all_bytes(requeued + 2, sizeof requeued - 2 * sizeof requeued[0], SENTINEL));
  /* A failed fail/leave leaves the requeued list as it was. */
  EXPECT(agentsched_agent_fail(d, 2, &n), AGENTSCHED_STATUS_AGENT_STATE);
  EXPECT(agentsched_dispatcher_requeued(d, requeued, 8, &n), OK);
  CHECK(n == 2);
  EXPECT(agentsched_agent_recover(d, 2), OK);
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 2);
  EXPECT(agentsched_agent_leave(d, 2, &n), OK);
  CHECK(n == 2);
  EXPECT_UNCHANGED(d, agentsched_agent_drain(d, 2), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  agentsched_dispatcher_free(d);
}

/* ---- tasks ------------------------------------------------------------------------------- */

static void test_tasks(void) {
  agentsched_dispatcher *d = pool_fixture();
  agentsched_task_spec t;
  agentsched_label labels[2];
  const uint64_t dem2[2] = {1, 1};
  const uint64_t dem4[4] = {1, 1, 1, 1};
  const uint64_t too_big[N_DIMS] = {1000, 1024, 64};
  const uint64_t max_demand[N_DIMS] = {UINT64_MAX, UINT64_MAX, UINT64_MAX};
  const double bad_duration[] = {NAN, -NAN, INFINITY, -INFINITY, -1.0, -DBL_MIN};
  uint32_t state, agent;
  size_t i, n;
  if (d == NULL) return;

  /* submit: NULL pointers. */
  t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT(agentsched_task_submit(NULL, &t), NULLP);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, NULL), NULLP);
  t.demand = NULL;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), NULLP);
  /* Wrong dimension counts. */
  t.demand_len = 0;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), DIMS_BAD);
  t.demand = dem2;
  t.demand_len = 2;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), DIMS_BAD);
  EXPECT_ERROR(d, "got 2");
  t.demand = dem4;
  t.demand_len = 4;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), DIMS_BAD);
  /* Lengths too large for memory. */
  t.demand_len = HUGE_LEN;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  t.demand_len = SIZE_MAX / sizeof(uint64_t) + 1;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.labels = &EU;
  t.labels_len = HUGE_LEN;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  /* Bad durations. */
  for (i = 0; i < sizeof bad_duration / sizeof bad_duration[0]; i++) {
    t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
    t.duration = bad_duration[i];
    EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), BAD_NUMBER);
  }
  EXPECT_ERROR(d, "duration");
  /* Unknown sensitivity. */
  t = task_spec(1, DEMAND_SMALL, 3);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  EXPECT_ERROR(d, "sensitivity");
  t.sensitivity = UINT32_MAX;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  /* Labels. */
  t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.labels_len = 1;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), NULLP);
  labels[0] = EU;
  labels[1].key = "region";
  labels[1].value = NULL;
  t.labels = labels;
  t.labels_len = 2;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), NULLP);
  labels[1].value = LONE_SURROGATE;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  EXPECT_ERROR(d, "label");
  labels[1].key = BAD_UTF8;
  labels[1].value = "eu";
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), INVAL);
  /* Gangs. */
  t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.has_gang = true;
  t.gang_id = 5;
  t.gang_size = 0;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_INVALID_CONFIG);
  t.gang_size = 2;
  EXPECT(agentsched_task_submit(d, &t), OK);
  t.id = 2;
  t.gang_size = 3;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_GANG);
  EXPECT_ERROR(d, "gang");
  t.gang_size = 2;
  EXPECT(agentsched_task_submit(d, &t), OK);
  t.id = 3;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_GANG);
  /* Duplicate id. */
  t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_DUPLICATE_TASK);
  EXPECT_ERROR(d, "task#1");
  /* Never fits: 64 GPUs; a confidential GPU task that needs more than agent 2 has. */
  t = task_spec(50, too_big, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_NEVER_FITS);
  EXPECT_ERROR(d, "never");
  t = task_spec(50, max_demand, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_NEVER_FITS);
  /* A label no agent has. */
  labels[0].key = "region";
  labels[0].value = "ap";
  t = task_spec(50, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.labels = labels;
  t.labels_len = 1;
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_NEVER_FITS);
  EXPECT_ERROR(d, "region=ap");
  /* Valid extremes. */
  t = task_spec(UINT32_MAX, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_INTERNAL);
  t.priority = INT32_MIN;
  t.duration = 0.0;
  EXPECT(agentsched_task_submit(d, &t), OK);
  t = task_spec(0, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_CONFIDENTIAL);
  t.priority = INT32_MAX;
  t.duration = DBL_MAX;
  t.labels = &EU;
  t.labels_len = 1;
  EXPECT(agentsched_task_submit(d, &t), OK);

  /* task_state. */
  state = 77;
  agent = 88;
  EXPECT(agentsched_task_state(NULL, 0, &state, &agent), NULLP);
  EXPECT(agentsched_task_state(d, 0, NULL, &agent), NULLP);
  EXPECT(agentsched_task_state(d, 12345, &state, &agent), AGENTSCHED_STATUS_UNKNOWN_TASK);
  CHECK(state == 77 && agent == 88);
  EXPECT_ERROR(d, "12345");
  EXPECT(agentsched_task_state(d, 0, &state, NULL), OK); /* out_agent may be NULL */
  CHECK(state == AGENTSCHED_TASK_QUEUED);
  EXPECT(agentsched_task_state(d, 0, &state, &agent), OK);
  CHECK(state == AGENTSCHED_TASK_QUEUED && agent == 0);

  /* complete / cancel / yield / set_priority on queued and unknown tasks. */
  EXPECT(agentsched_task_complete(NULL, 0), NULLP);
  EXPECT(agentsched_task_cancel(NULL, 0), NULLP);
  EXPECT(agentsched_task_yield(NULL, 0, 1.0), NULLP);
  EXPECT(agentsched_task_set_priority(NULL, 0, 1), NULLP);
  EXPECT_UNCHANGED(d, agentsched_task_complete(d, 999), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_UNCHANGED(d, agentsched_task_cancel(d, 999), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_UNCHANGED(d, agentsched_task_yield(d, 999, 1.0), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_UNCHANGED(d, agentsched_task_set_priority(d, 999, 1), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_UNCHANGED(d, agentsched_task_complete(d, 0), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT_ERROR(d, "task#0");
  EXPECT_UNCHANGED(d, agentsched_task_yield(d, 0, 1.0), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT(agentsched_task_set_priority(d, 0, INT32_MIN), OK);
  EXPECT(agentsched_task_set_priority(d, 0, INT32_MAX), OK);

  /* Run them, then yield with bad amounts. */
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 4);
  EXPECT(agentsched_task_state(d, 0, &state, &agent), OK);
  CHECK(state == AGENTSCHED_TASK_RUNNING && (agent == 1 || agent == 2));
  for (i = 0; i < sizeof bad_duration / sizeof bad_duration[0]; i++)
    EXPECT_UNCHANGED(d, agentsched_task_yield(d, 0, bad_duration[i]), BAD_NUMBER);
  EXPECT_ERROR(d, "used");
  EXPECT(agentsched_task_yield(d, 0, 0.5), OK);
  EXPECT(agentsched_task_state(d, 0, &state, &agent), OK);
  CHECK(state == AGENTSCHED_TASK_QUEUED && agent == 0);
  EXPECT(agentsched_dispatch(d, NULL), OK); /* out_count may be NULL */
  EXPECT(agentsched_task_complete(d, 0), OK);
  EXPECT(agentsched_task_state(d, 0, &state, &agent), OK);
  CHECK(state == AGENTSCHED_TASK_DONE);
  EXPECT_UNCHANGED(d, agentsched_task_complete(d, 0), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT_UNCHANGED(d, agentsched_task_cancel(d, 0), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT_UNCHANGED(d, agentsched_task_set_priority(d, 0, 3), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT_UNCHANGED(d, agentsched_task_yield(d, 0, 1.0), AGENTSCHED_STATUS_TASK_STATE);
  /* An id is never reused. */
  t = task_spec(0, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT_UNCHANGED(d, agentsched_task_submit(d, &t), AGENTSCHED_STATUS_DUPLICATE_TASK);
  /* Cancel a running task, then again. */
  EXPECT(agentsched_task_cancel(d, UINT32_MAX), OK);
  EXPECT(agentsched_task_state(d, UINT32_MAX, &state, &agent), OK);
  CHECK(state == AGENTSCHED_TASK_CANCELLED && agent == 0);
  EXPECT_UNCHANGED(d, agentsched_task_cancel(d, UINT32_MAX), AGENTSCHED_STATUS_TASK_STATE);
  agentsched_dispatcher_free(d);
}

/* ---- time, dispatch, assignments, counts --------------------------------------------------- */

static void test_dispatch_and_counts(void) {
  agentsched_dispatcher *d = pool_fixture();
  agentsched_task_spec t;
  agentsched_assignment as[8];
  agentsched_counts c, sentinel;
  size_t n, i;
  const double bad_time[] = {NAN, INFINITY, -INFINITY, -1.0};
  if (d == NULL) return;

  /* advance. */
  EXPECT(agentsched_dispatcher_advance(NULL, 1.0), NULLP);
  for (i = 0; i < sizeof bad_time / sizeof bad_time[0]; i++)
    EXPECT_UNCHANGED(d, agentsched_dispatcher_advance(d, bad_time[i]), BAD_NUMBER);
  EXPECT(agentsched_dispatcher_advance(d, 5.0), OK);
  EXPECT(agentsched_dispatcher_advance(d, 5.0), OK); /* not decreasing is fine */
  EXPECT_UNCHANGED(d, agentsched_dispatcher_advance(d, 4.999),
                   AGENTSCHED_STATUS_TIME_WENT_BACKWARDS);
  EXPECT_ERROR(d, "backwards");
  EXPECT_UNCHANGED(d, agentsched_dispatcher_advance(d, 0.0), AGENTSCHED_STATUS_TIME_WENT_BACKWARDS);

  /* dispatch with nothing queued. */
  EXPECT(agentsched_dispatch(NULL, &n), NULLP);
  n = 99;
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 0);
  EXPECT(agentsched_dispatcher_assignments(NULL, as, 8, &n), NULLP);
  EXPECT(agentsched_dispatcher_assignments(d, as, 8, NULL), NULLP);
  n = 99;
  EXPECT(agentsched_dispatcher_assignments(d, NULL, 0, &n), OK);
  CHECK(n == 0);

  /* Three tasks placed: the size protocol. */
  for (i = 0; i < 3; i++) {
    t = task_spec((uint32_t)(10 + i), DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
    t.priority = (int32_t)i;
    t.duration = 4.0;
    EXPECT(agentsched_task_submit(d, &t), OK);
  }
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 3);
  n = 0;
  EXPECT(agentsched_dispatcher_assignments(d, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 3);
  memset(as, SENTINEL, sizeof as);
  EXPECT(agentsched_dispatcher_assignments(d, as, 2, &n), TOO_SMALL);
  CHECK(n == 3 && all_bytes(as, sizeof as, SENTINEL));
  EXPECT(agentsched_dispatcher_assignments(d, NULL, 3, &n), TOO_SMALL);
  EXPECT(agentsched_dispatcher_assignments(d, as, n, &n), OK);
  CHECK(n == 3 && all_bytes(as + 3, sizeof as - 3 * sizeof as[0], SENTINEL));
  /* Highest priority first; times consistent. */
  CHECK(as[0].task == 12 && as[1].task == 11 && as[2].task == 10);
  for (i = 0; i < 3; i++) {
    CHECK(as[i].agent >= 1 && as[i].agent <= 3);
    CHECK(as[i].start == 5.0 && as[i].expected_end == 9.0 && !as[i].backfilled);
    CHECK(!isnan(as[i].score));
  }
  /* A second dispatch with nothing new clears the list. */
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 0);
  EXPECT(agentsched_dispatcher_assignments(d, NULL, 0, &n), OK);
  CHECK(n == 0);

  /* counts. */
  memset(&sentinel, SENTINEL, sizeof sentinel);
  c = sentinel;
  EXPECT(agentsched_dispatcher_counts(NULL, &c), NULLP);
  CHECK(memcmp(&c, &sentinel, sizeof c) == 0);
  EXPECT(agentsched_dispatcher_counts(d, NULL), NULLP);
  EXPECT(agentsched_task_complete(d, 10), OK);
  EXPECT(agentsched_task_cancel(d, 11), OK);
  EXPECT(agentsched_dispatcher_counts(d, &c), OK);
  CHECK(c.agents == 3 && c.queued == 0 && c.running == 1 && c.submitted == 3 && c.placed == 3);
  CHECK(c.backfilled == 0 && c.completed == 1 && c.cancelled == 1 && c.requeued == 0);
  agentsched_dispatcher_free(d);
}

/* ---- snapshot / restore ---------------------------------------------------------------------- */

/* Replaces the first occurrence of `from` in the JSON by `to`; returns a new buffer or NULL. */
static uint8_t *json_replace(const uint8_t *json, size_t len, const char *from, const char *to,
                             size_t *out_len) {
  size_t fl = strlen(from), tl = strlen(to), i;
  uint8_t *out;
  for (i = 0; i + fl <= len; i++)
    if (memcmp(json + i, from, fl) == 0) break;
  if (i + fl > len) return NULL;
  out = malloc(len - fl + tl);
  if (out == NULL) return NULL;
  memcpy(out, json, i);
  memcpy(out + i, to, tl);
  memcpy(out + i + tl, json + i + fl, len - i - fl);
  *out_len = len - fl + tl;
  return out;
}

static void test_snapshot_restore(void) {
  agentsched_dispatcher *d = pool_fixture();
  agentsched_dispatcher *d2 = new_dispatcher(NULL);
  agentsched_task_spec t;
  uint8_t *json = NULL, *json2 = NULL, *bad = NULL, small[16];
  size_t len = 0, len2 = 0, bad_len = 0, n;
  const uint8_t garbage[] = {'{', '"', 0xff, 0xfe, '"', ':', '1', '}'};
  if (d == NULL || d2 == NULL) goto out;

  t = task_spec(1, DEMAND_GPU, AGENTSCHED_SENSITIVITY_CONFIDENTIAL);
  EXPECT(agentsched_task_submit(d, &t), OK);
  t = task_spec(2, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT(agentsched_task_submit(d, &t), OK);
  EXPECT(agentsched_dispatch(d, &n), OK);
  t = task_spec(3, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_INTERNAL);
  EXPECT(agentsched_task_submit(d, &t), OK);
  EXPECT(agentsched_dispatcher_advance(d, 2.5), OK);

  /* snapshot: NULL pointers and the size protocol. */
  EXPECT(agentsched_dispatcher_snapshot(NULL, small, sizeof small, &len), NULLP);
  EXPECT(agentsched_dispatcher_snapshot(d, small, sizeof small, NULL), NULLP);
  EXPECT(agentsched_dispatcher_snapshot(d, NULL, 0, &len), TOO_SMALL);
  CHECK(len > sizeof small);
  memset(small, SENTINEL, sizeof small);
  EXPECT(agentsched_dispatcher_snapshot(d, small, sizeof small, &len2), TOO_SMALL);
  CHECK(len2 == len && all_bytes(small, sizeof small, SENTINEL));
  EXPECT(agentsched_dispatcher_snapshot(d, NULL, len, &len2), TOO_SMALL);
  json = malloc(len + 8);
  if (json == NULL) goto out;
  memset(json, SENTINEL, len + 8);
  EXPECT(agentsched_dispatcher_snapshot(d, json, len - 1, &len2), TOO_SMALL);
  CHECK(len2 == len && all_bytes(json, len + 8, SENTINEL));
  EXPECT(agentsched_dispatcher_snapshot(d, json, len + 8, &len2), OK);
  CHECK(len2 == len && json[0] == '{' && json[len - 1] == '}');
  CHECK(all_bytes(json + len, 8, SENTINEL)); /* not NUL-terminated, nothing past len */

  /* restore: NULL pointers, empty, garbage, truncated, other format, huge lengths. */
  EXPECT(agentsched_dispatcher_restore(NULL, json, len), NULLP);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, NULL, len), NULLP);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, NULL, 0),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, json, 0),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_ERROR(d2, "snapshot");
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, garbage, sizeof garbage),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, json, len / 2),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, json, len - 1),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, (const uint8_t *)"null", 4),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, (const uint8_t *)"{}", 2),
                   AGENTSCHED_STATUS_INVALID_SNAPSHOT);
  bad = json_replace(json, len, "agentsched-dispatcher/1", "agentsched-dispatcher/9", &bad_len);
  CHECK(bad != NULL);
  if (bad != NULL) {
    EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, bad, bad_len),
                     AGENTSCHED_STATUS_INVALID_SNAPSHOT);
    EXPECT_ERROR(d2, "format");
    free(bad);
  }
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, json, HUGE_LEN), INVAL);
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_restore(d2, json, HUGE_BYTES), INVAL);

  /* A valid restore: the copy has the same state, byte for byte. */
  EXPECT(agentsched_dispatcher_restore(d2, json, len), OK);
  json2 = take_snapshot(d2, &len2);
  CHECK(json2 != NULL && len2 == len && memcmp(json, json2, len) == 0);
  {
    agentsched_counts c1, c2;
    EXPECT(agentsched_dispatcher_counts(d, &c1), OK);
    EXPECT(agentsched_dispatcher_counts(d2, &c2), OK);
    CHECK(memcmp(&c1, &c2, sizeof c1) == 0 && c1.running == 2 && c1.queued == 1);
  }
  /* The restored handle's time and tasks carry on. */
  EXPECT_UNCHANGED(d2, agentsched_dispatcher_advance(d2, 2.0),
                   AGENTSCHED_STATUS_TIME_WENT_BACKWARDS);
  EXPECT(agentsched_task_complete(d2, 1), OK);
  /* ... independently of the original. */
  {
    uint32_t state = 0;
    EXPECT(agentsched_task_state(d, 1, &state, NULL), OK);
    CHECK(state == AGENTSCHED_TASK_RUNNING);
  }

  /* A snapshot whose submission counter is exhausted: restore, then submit must OVERFLOW. */
  {
    char from[64];
    uint8_t *edited = NULL;
    size_t edited_len = 0;
    /* Three tasks were submitted: next_seq is 3. */
    snprintf(from, sizeof from, "\"next_seq\":3");
    edited = json_replace(json, len, from, "\"next_seq\":18446744073709551615", &edited_len);
    CHECK(edited != NULL);
    if (edited != NULL) {
      EXPECT(agentsched_dispatcher_restore(d2, edited, edited_len), OK);
      t = task_spec(4, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
      EXPECT_UNCHANGED(d2, agentsched_task_submit(d2, &t), AGENTSCHED_STATUS_OVERFLOW);
      EXPECT_ERROR(d2, "next_seq");
      free(edited);
    }
  }
out:
  free(json);
  free(json2);
  agentsched_dispatcher_free(d);
  agentsched_dispatcher_free(d2);
}

/* ---- explanations -------------------------------------------------------------------------- */

static void test_explanations(void) {
  agentsched_dispatcher *d = new_dispatcher(NULL);
  agentsched_explanation *e = NULL, *e2 = NULL, *out;
  agentsched_agent_spec a;
  agentsched_task_spec t;
  agentsched_explanation_summary sum, sum_sentinel;
  agentsched_reason reasons[8];
  agentsched_candidate cands[8];
  uint64_t vec[8];
  char text[512];
  size_t n, len, i, label_index = (size_t)-1;
  uint32_t agent;
  const uint64_t big[N_DIMS] = {12000, 1024, 0};
  const uint64_t mid[N_DIMS] = {8000, 1024, 0};
  static const agentsched_label need_a100 = {"gpu", "a100"};
  if (d == NULL) return;

  /* Agent 1 private (16 cores), agent 2 public (8 cores). */
  a = agent_spec(1, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, &EU, 1);
  EXPECT(agentsched_agent_join(d, &a), OK);
  {
    const uint64_t cap[N_DIMS] = {8000, 32768, 0};
    a = agent_spec(2, cap, AGENTSCHED_TIER_PUBLIC, &US, 1);
    EXPECT(agentsched_agent_join(d, &a), OK);
  }
  /* Task 10 (12 cores) runs on agent 1; confidential task 11 (8 cores) waits: agent 1 is short
   * of cpu, agent 2 is public. */
  t = task_spec(10, big, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.priority = 5;
  EXPECT(agentsched_task_submit(d, &t), OK);
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 1);
  t = task_spec(11, mid, AGENTSCHED_SENSITIVITY_CONFIDENTIAL);
  EXPECT(agentsched_task_submit(d, &t), OK);
  EXPECT(agentsched_dispatch(d, &n), OK);
  CHECK(n == 0);

  /* explain: NULL pointers, unknown and finished tasks; *out untouched on failure. */
  out = SENTINEL_EXPLANATION;
  EXPECT(agentsched_explain(NULL, 11, &out), NULLP);
  EXPECT_UNCHANGED(d, agentsched_explain(d, 11, NULL), NULLP);
  EXPECT_UNCHANGED(d, agentsched_explain(d, 404, &out), AGENTSCHED_STATUS_UNKNOWN_TASK);
  EXPECT_ERROR(d, "404");
  CHECK(out == SENTINEL_EXPLANATION);
  EXPECT_UNCHANGED(d, agentsched_explain(d, 11, &e), OK);
  CHECK(e != NULL);
  if (e == NULL) goto out;

  /* text. */
  EXPECT(agentsched_explanation_text(NULL, text, sizeof text, &len), NULLP);
  EXPECT(agentsched_explanation_text(e, text, sizeof text, NULL), NULLP);
  len = 0;
  EXPECT(agentsched_explanation_text(e, NULL, 0, &len), TOO_SMALL);
  CHECK(len > 0 && len < sizeof text);
  memset(text, SENTINEL, sizeof text);
  EXPECT(agentsched_explanation_text(e, text, len, &n), TOO_SMALL); /* no room for the NUL */
  CHECK(n == len && all_bytes(text, sizeof text, SENTINEL));
  EXPECT(agentsched_explanation_text(e, NULL, len + 1, &n), TOO_SMALL);
  EXPECT(agentsched_explanation_text(e, text, len + 1, &n), OK);
  CHECK(n == len && strlen(text) == len && text[len + 1] == (char)SENTINEL);
  CHECK(strstr(text, "0/2 agents") != NULL);

  /* summary. */
  memset(&sum_sentinel, SENTINEL, sizeof sum_sentinel);
  sum = sum_sentinel;
  EXPECT(agentsched_explanation_get_summary(NULL, &sum), NULLP);
  CHECK(memcmp(&sum, &sum_sentinel, sizeof sum) == 0);
  EXPECT(agentsched_explanation_get_summary(e, NULL), NULLP);
  EXPECT(agentsched_explanation_get_summary(e, &sum), OK);
  CHECK(sum.task == 11 && sum.agents == 2 && sum.feasible == 0 && !sum.has_best);
  CHECK(sum.could_ever_fit && !sum.has_gang);

  /* reasons: SHORT in cpu (agent 1) and TIER_NOT_ALLOWED (agent 2). */
  EXPECT(agentsched_explanation_reasons(NULL, reasons, 8, &n), NULLP);
  EXPECT(agentsched_explanation_reasons(e, reasons, 8, NULL), NULLP);
  n = 0;
  EXPECT(agentsched_explanation_reasons(e, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 2);
  memset(reasons, SENTINEL, sizeof reasons);
  EXPECT(agentsched_explanation_reasons(e, reasons, 1, &n), TOO_SMALL);
  CHECK(n == 2 && all_bytes(reasons, sizeof reasons, SENTINEL));
  EXPECT(agentsched_explanation_reasons(e, reasons, n, &n), OK);
  CHECK(n == 2);
  {
    int short_cpu = 0, tier = 0;
    for (i = 0; i < n && i < 8; i++) {
      if (reasons[i].kind == AGENTSCHED_REASON_SHORT && reasons[i].dimension == 0 &&
          reasons[i].agents == 1)
        short_cpu = 1;
      if (reasons[i].kind == AGENTSCHED_REASON_TIER_NOT_ALLOWED && reasons[i].agents == 1)
        tier = 1;
    }
    CHECK(short_cpu && tier);
  }
  /* reason_label: no reason here is MISSING_LABEL. */
  len = 5;
  EXPECT(agentsched_explanation_reason_label(e, 0, text, sizeof text, &len), INVAL);
  EXPECT(agentsched_explanation_reason_label(e, 1, text, sizeof text, &len), INVAL);
  EXPECT(agentsched_explanation_reason_label(e, 2, text, sizeof text, &len), INVAL);
  EXPECT(agentsched_explanation_reason_label(e, SIZE_MAX, text, sizeof text, &len), INVAL);
  CHECK(len == 5);
  EXPECT(agentsched_explanation_reason_label(NULL, 0, text, sizeof text, &len), NULLP);
  EXPECT(agentsched_explanation_reason_label(e, 0, text, sizeof text, NULL), NULLP);

  /* candidates: none feasible. */
  EXPECT(agentsched_explanation_candidates(NULL, cands, 8, &n), NULLP);
  EXPECT(agentsched_explanation_candidates(e, cands, 8, NULL), NULLP);
  n = 9;
  EXPECT(agentsched_explanation_candidates(e, NULL, 0, &n), OK);
  CHECK(n == 0);

  /* short_by_dimension: one agent short of cpu. */
  EXPECT(agentsched_explanation_short_by_dimension(NULL, vec, 8, &n), NULLP);
  EXPECT(agentsched_explanation_short_by_dimension(e, vec, 8, NULL), NULLP);
  EXPECT(agentsched_explanation_short_by_dimension(e, NULL, 0, &n), TOO_SMALL);
  CHECK(n == N_DIMS);
  memset(vec, SENTINEL, sizeof vec);
  EXPECT(agentsched_explanation_short_by_dimension(e, vec, 2, &n), TOO_SMALL);
  CHECK(n == N_DIMS && all_bytes(vec, sizeof vec, SENTINEL));
  EXPECT(agentsched_explanation_short_by_dimension(e, vec, n, &n), OK);
  CHECK(n == N_DIMS && vec[0] == 1 && vec[1] == 0 && vec[2] == 0);

  /* closest: agent 1, missing 4 cores. */
  EXPECT(agentsched_explanation_closest_count(NULL, &n), NULLP);
  EXPECT(agentsched_explanation_closest_count(e, NULL), NULLP);
  n = 0;
  EXPECT(agentsched_explanation_closest_count(e, &n), OK);
  CHECK(n == 1);
  agent = 77;
  len = 88;
  EXPECT(agentsched_explanation_closest(NULL, 0, &agent, vec, 8, &len), NULLP);
  EXPECT(agentsched_explanation_closest(e, 0, NULL, vec, 8, &len), NULLP);
  EXPECT(agentsched_explanation_closest(e, 0, &agent, vec, 8, NULL), NULLP);
  EXPECT(agentsched_explanation_closest(e, 1, &agent, vec, 8, &len), INVAL);
  EXPECT(agentsched_explanation_closest(e, SIZE_MAX, &agent, vec, 8, &len), INVAL);
  CHECK(agent == 77 && len == 88);
  memset(vec, SENTINEL, sizeof vec);
  EXPECT(agentsched_explanation_closest(e, 0, &agent, NULL, 0, &len), TOO_SMALL);
  CHECK(len == N_DIMS && agent == 77);
  EXPECT(agentsched_explanation_closest(e, 0, &agent, vec, 2, &len), TOO_SMALL);
  CHECK(len == N_DIMS && agent == 77 && all_bytes(vec, sizeof vec, SENTINEL));
  EXPECT(agentsched_explanation_closest(e, 0, &agent, vec, len, &len), OK);
  CHECK(agent == 1 && len == N_DIMS && vec[0] == 4000 && vec[1] == 0 && vec[2] == 0);
  CHECK(all_bytes(vec + N_DIMS, sizeof vec - N_DIMS * sizeof vec[0], SENTINEL));

  /* explain refuses a finished task. */
  EXPECT(agentsched_task_complete(d, 10), OK);
  EXPECT(agentsched_task_cancel(d, 11), OK);
  out = SENTINEL_EXPLANATION;
  EXPECT_UNCHANGED(d, agentsched_explain(d, 11, &out), AGENTSCHED_STATUS_TASK_STATE);
  EXPECT_UNCHANGED(d, agentsched_explain(d, 10, &out), AGENTSCHED_STATUS_TASK_STATE);
  CHECK(out == SENTINEL_EXPLANATION);
  /* The explanation outlives the task (and is independent of the handle). */
  EXPECT(agentsched_explanation_get_summary(e, &sum), OK);
  CHECK(sum.task == 11);

  /* dry_run: a task needing a label nobody has, then a feasible one. */
  t = task_spec(70, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  t.labels = &need_a100;
  t.labels_len = 1;
  out = SENTINEL_EXPLANATION;
  EXPECT(agentsched_dry_run(NULL, &t, &out), NULLP);
  EXPECT_UNCHANGED(d, agentsched_dry_run(d, NULL, &out), NULLP);
  EXPECT_UNCHANGED(d, agentsched_dry_run(d, &t, NULL), NULLP);
  {
    agentsched_task_spec bad = t;
    const uint64_t dem2[2] = {1, 2};
    bad.demand = dem2;
    bad.demand_len = 2;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), DIMS_BAD);
    bad = t;
    bad.demand = NULL;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), NULLP);
    bad = t;
    bad.demand_len = HUGE_LEN;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), INVAL);
    bad = t;
    bad.duration = NAN;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), BAD_NUMBER);
    bad.duration = -INFINITY;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), BAD_NUMBER);
    bad = t;
    bad.sensitivity = 9;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), INVAL);
    bad = t;
    bad.labels = NULL;
    EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), NULLP);
    {
      agentsched_label l = {"gpu", BAD_UTF8};
      bad.labels = &l;
      EXPECT_UNCHANGED(d, agentsched_dry_run(d, &bad, &out), INVAL);
    }
  }
  CHECK(out == SENTINEL_EXPLANATION);
  /* A dry run changes nothing, even when it succeeds (and the id may exist). */
  EXPECT_UNCHANGED(d, agentsched_dry_run(d, &t, &e2), OK);
  CHECK(e2 != NULL);
  if (e2 == NULL) goto out;
  EXPECT(agentsched_explanation_get_summary(e2, &sum), OK);
  CHECK(sum.task == 70 && sum.feasible == 0 && !sum.could_ever_fit);
  EXPECT(agentsched_explanation_reasons(e2, reasons, 8, &n), OK);
  for (i = 0; i < n && i < 8; i++)
    if (reasons[i].kind == AGENTSCHED_REASON_MISSING_LABEL) label_index = i;
  CHECK(label_index != (size_t)-1);
  if (label_index != (size_t)-1) {
    CHECK(reasons[label_index].agents == 2);
    len = 0;
    EXPECT(agentsched_explanation_reason_label(e2, label_index, NULL, 0, &len), TOO_SMALL);
    CHECK(len == strlen("gpu=a100"));
    memset(text, SENTINEL, sizeof text);
    EXPECT(agentsched_explanation_reason_label(e2, label_index, text, len, &n), TOO_SMALL);
    CHECK(n == len && all_bytes(text, sizeof text, SENTINEL));
    EXPECT(agentsched_explanation_reason_label(e2, label_index, text, len + 1, &n), OK);
    CHECK(strcmp(text, "gpu=a100") == 0);
  }
  agentsched_explanation_free(e2);
  e2 = NULL;

  /* A feasible dry run: both agents are candidates now. */
  t = task_spec(10, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  EXPECT_UNCHANGED(d, agentsched_dry_run(d, &t, &e2), OK);
  if (e2 == NULL) goto out;
  EXPECT(agentsched_explanation_get_summary(e2, &sum), OK);
  CHECK(sum.feasible == 2 && sum.has_best && (sum.best_agent == 1 || sum.best_agent == 2));
  n = 0;
  EXPECT(agentsched_explanation_candidates(e2, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 2);
  memset(cands, SENTINEL, sizeof cands);
  EXPECT(agentsched_explanation_candidates(e2, cands, 1, &n), TOO_SMALL);
  CHECK(n == 2 && all_bytes(cands, sizeof cands, SENTINEL));
  EXPECT(agentsched_explanation_candidates(e2, cands, n, &n), OK);
  CHECK(n == 2 && cands[0].agent == sum.best_agent && cands[0].score == sum.best_score);
  CHECK(cands[0].score >= cands[1].score && cands[0].agent != cands[1].agent);
  n = 5;
  EXPECT(agentsched_explanation_closest_count(e2, &n), OK);
  EXPECT(agentsched_explanation_reasons(e2, NULL, 0, &n), OK);
  CHECK(n == 0);
out:
  agentsched_explanation_free(e);
  agentsched_explanation_free(e2);
  agentsched_dispatcher_free(d);
}

/* ---- NULL handle for every handle function, in one place ---------------------------------- */

static void test_null_handles(void) {
  agentsched_agent_spec a = agent_spec(1, CAP_SMALL, AGENTSCHED_TIER_PRIVATE, NULL, 0);
  agentsched_task_spec t = task_spec(1, DEMAND_SMALL, AGENTSCHED_SENSITIVITY_PUBLIC);
  agentsched_explanation *e = SENTINEL_EXPLANATION;
  agentsched_explanation_summary s;
  agentsched_reason r;
  agentsched_candidate c;
  agentsched_assignment as;
  agentsched_counts counts;
  uint32_t u32 = 0, st = 0;
  uint64_t u64 = 0;
  uint8_t byte = 0;
  char ch = 0;
  size_t len = 0;

  EXPECT(agentsched_dispatcher_last_error(NULL, &ch, 1, &len), NULLP);
  EXPECT(agentsched_agent_join(NULL, &a), NULLP);
  EXPECT(agentsched_agent_drain(NULL, 1), NULLP);
  EXPECT(agentsched_agent_recover(NULL, 1), NULLP);
  EXPECT(agentsched_agent_fail(NULL, 1, &len), NULLP);
  EXPECT(agentsched_agent_leave(NULL, 1, &len), NULLP);
  EXPECT(agentsched_dispatcher_requeued(NULL, &u32, 1, &len), NULLP);
  EXPECT(agentsched_task_submit(NULL, &t), NULLP);
  EXPECT(agentsched_task_complete(NULL, 1), NULLP);
  EXPECT(agentsched_task_cancel(NULL, 1), NULLP);
  EXPECT(agentsched_task_yield(NULL, 1, 1.0), NULLP);
  EXPECT(agentsched_task_set_priority(NULL, 1, 1), NULLP);
  EXPECT(agentsched_task_state(NULL, 1, &st, &u32), NULLP);
  EXPECT(agentsched_dispatcher_advance(NULL, 1.0), NULLP);
  EXPECT(agentsched_dispatch(NULL, &len), NULLP);
  EXPECT(agentsched_dispatcher_assignments(NULL, &as, 1, &len), NULLP);
  EXPECT(agentsched_dispatcher_counts(NULL, &counts), NULLP);
  EXPECT(agentsched_dispatcher_snapshot(NULL, &byte, 1, &len), NULLP);
  EXPECT(agentsched_dispatcher_restore(NULL, &byte, 1), NULLP);
  EXPECT(agentsched_explain(NULL, 1, &e), NULLP);
  EXPECT(agentsched_dry_run(NULL, &t, &e), NULLP);
  EXPECT(agentsched_explanation_get_summary(NULL, &s), NULLP);
  EXPECT(agentsched_explanation_reasons(NULL, &r, 1, &len), NULLP);
  EXPECT(agentsched_explanation_reason_label(NULL, 0, &ch, 1, &len), NULLP);
  EXPECT(agentsched_explanation_candidates(NULL, &c, 1, &len), NULLP);
  EXPECT(agentsched_explanation_short_by_dimension(NULL, &u64, 1, &len), NULLP);
  EXPECT(agentsched_explanation_closest_count(NULL, &len), NULLP);
  EXPECT(agentsched_explanation_closest(NULL, 0, &u32, &u64, 1, &len), NULLP);
  EXPECT(agentsched_explanation_text(NULL, &ch, 1, &len), NULLP);
  CHECK(e == SENTINEL_EXPLANATION && len == 0 && u32 == 0 && st == 0 && byte == 0 && ch == 0);
}

/* ---- a long random-ish session: every call returns a status, nothing crashes ---------------- */

static uint64_t g_rng = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng % n);
}

static int known_status(agentsched_status s) {
  size_t i;
  for (i = 0; i < N_STATUSES; i++)
    if (ALL_STATUSES[i] == s) return s != AGENTSCHED_STATUS_PANIC && s != AGENTSCHED_STATUS_POISONED;
  return 0;
}

static void test_random_session(void) {
  agentsched_dispatcher *d = pool_fixture();
  const double odd[] = {0.0, 1.0, 1e300, -1.0, NAN, INFINITY, -INFINITY, DBL_MIN, -0.0};
  const uint64_t dem[4] = {2000, 4096, 1, 0};
  double now = 0.0;
  unsigned bad = 0, i;
  size_t n;
  if (d == NULL) return;
  for (i = 0; i < 3000; i++) {
    agentsched_status s;
    uint32_t id = rnd(24);
    switch (rnd(10)) {
    case 0: {
      agentsched_task_spec t = task_spec(id, dem, rnd(4));
      t.demand_len = 2 + rnd(3);
      t.duration = odd[rnd(9)];
      t.priority = (int32_t)rnd(7) - 3;
      s = agentsched_task_submit(d, &t);
      break;
    }
    case 1: s = agentsched_task_complete(d, id); break;
    case 2: s = agentsched_task_cancel(d, id); break;
    case 3: s = agentsched_task_yield(d, id, odd[rnd(9)]); break;
    case 4: s = agentsched_agent_fail(d, 1 + rnd(4), &n); break;
    case 5: s = agentsched_agent_recover(d, 1 + rnd(4)); break;
    case 6: s = agentsched_agent_drain(d, 1 + rnd(4)); break;
    case 7: {
      double step = odd[rnd(9)];
      s = agentsched_dispatcher_advance(d, now + step);
      if (s == OK) now += step;
      break;
    }
    case 8: {
      agentsched_explanation *e = NULL;
      s = agentsched_explain(d, id, &e);
      agentsched_explanation_free(e);
      break;
    }
    default: s = agentsched_dispatch(d, &n); break;
    }
    if (!known_status(s)) bad++;
  }
  CHECK(bad == 0);
  {
    agentsched_counts c;
    EXPECT(agentsched_dispatcher_counts(d, &c), OK);
    CHECK(c.agents == 3 && c.queued + c.running <= 24);
  }
  agentsched_dispatcher_free(d);
}

int main(void) {
  test_version_and_status_str();
  test_config_default();
  test_dispatcher_new();
  test_last_error();
  test_agents();
  test_tasks();
  test_dispatch_and_counts();
  test_snapshot_restore();
  test_explanations();
  test_null_handles();
  test_random_session();
  printf("abi_test: %u checks (%u hostile calls), %u failed: %s\n", g_checks, g_hostile,
         g_failed, g_failed ? "FAIL" : "ok");
  return g_failed ? 1 : 0;
}
