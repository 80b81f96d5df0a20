/*
 * The shared harness of the C test suites: counted checks, status expectations with readable
 * failures, buffer sentinels and a deterministic random generator.
 *
 * Header-only (every function is static): each suite is one translation unit that includes it
 * once after "agentsched.h". A suite ends with CHECK_SUMMARY("name"), which prints one summary
 * line and yields the process exit status.
 */
#ifndef AGENTSCHED_TEST_CHECK_H
#define AGENTSCHED_TEST_CHECK_H

#include "agentsched.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* Outputs are pre-filled with SENTINEL bytes so that a test can see that a failed call wrote
 * nothing. */
#define SENTINEL 0xA5

static int all_bytes(const void *p, size_t n, unsigned char v) {
  const unsigned char *b = p;
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i] != v) return 0;
  return 1;
}

/* xorshift64: the same sequence on every platform. */
static uint64_t g_rng = 0x2545f4914f6cdd1du;
static uint32_t rnd(uint32_t n) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return n ? (uint32_t)(g_rng % n) : 0;
}

/* Prints "<suite>: N checks (H hostile calls), F failed: ok|FAIL"; evaluates to the exit
 * status. */
#define CHECK_SUMMARY(suite)                                                                    \
  (printf("%s: %u checks (%u hostile calls), %u failed: %s\n", (suite), g_checks, g_hostile,  \
          g_failed, g_failed ? "FAIL" : "ok"),                                                  \
   g_failed ? 1 : 0)

#endif
