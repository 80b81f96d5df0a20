/*
 * The C suite for vector bin packing (agentsched_vbp_*): every heuristic by name and the
 * portfolio on random instances, each packing checked by an oracle recomputed here (every item
 * in exactly one bin, no bin over the capacity in any dimension, the bin count = the distinct
 * bins used, the per-dimension volume bound <= the reported bound <= the bin count), the
 * library's validator against assignments built here, and hostile inputs (NULLs, items larger
 * than any host, dimension mismatch, zero capacities, too-small buffers, unknown names), each
 * leaving its outputs untouched.
 */
#include "agentsched.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static const char *const NAMES[] = {"ffd", "ffd-max", "ffd-l2",      "bfd", "bfd-max",
                                    "bfd-l2", "dot-product", "l2", "mbs"};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])
#define MAXN 40
#define MAXD 4

/* max_k ceil(sum_i demand[i][k] / cap[k]), and 1 with any item. */
static size_t volume_bound(const uint64_t *cap, size_t d, const uint64_t *dem, size_t n) {
  size_t best = n > 0 ? 1 : 0, k, i;
  for (k = 0; k < d; k++) {
    uint64_t sum = 0, b;
    for (i = 0; i < n; i++) sum += dem[i * d + k];
    b = (sum + cap[k] - 1) / cap[k];
    if (b > best) best = (size_t)b;
  }
  return best;
}

/* The oracle: returns the number of distinct bins used, or (size_t)-1 when a bin exceeds the
 * capacity or a bin number is out of range. Every item has exactly one entry in `a`. */
static size_t oracle_bins(const uint64_t *cap, size_t d, const uint64_t *dem, size_t n,
                          const size_t *a) {
  static uint64_t load[MAXN][MAXD];
  static int used[MAXN];
  size_t i, k, bins = 0;
  memset(load, 0, sizeof load);
  memset(used, 0, sizeof used);
  for (i = 0; i < n; i++) {
    if (a[i] >= n) return (size_t)-1;
    if (!used[a[i]]) {
      used[a[i]] = 1;
      bins++;
    }
    for (k = 0; k < d; k++) {
      load[a[i]][k] += dem[i * d + k];
      if (load[a[i]][k] > cap[k]) return (size_t)-1;
    }
  }
  return bins;
}

/* Reads and checks one packing against the oracle; frees it. Returns its bin count. */
static size_t check_packing(agentsched_vbp_packing *p, const agentsched_vbp_instance *inst,
                            const uint64_t *cap, size_t d, const uint64_t *dem, size_t n) {
  size_t bins = 0, bound = 0, len = 0, lb = 0, vbins = 0;
  size_t a[MAXN];
  EXPECT(agentsched_vbp_packing_bins(p, &bins), OK);
  EXPECT(agentsched_vbp_packing_lower_bound(p, &bound), OK);
  /* the size query */
  EXPECT(agentsched_vbp_packing_assignment(p, NULL, 0, &len),
         n == 0 ? OK : TOO_SMALL);
  CHECK(len == n);
  EXPECT(agentsched_vbp_packing_assignment(p, a, MAXN, &len), OK);
  CHECK(len == n);
  CHECK(oracle_bins(cap, d, dem, n, a) == bins);
  CHECK(volume_bound(cap, d, dem, n) <= bound);
  CHECK(bound <= bins);
  EXPECT(agentsched_vbp_lower_bound(inst, &lb), OK);
  /* a search that proves its optimum raises the packing's bound above the instance's */
  CHECK(lb <= bound);
  /* bins are numbered densely from 0, so the library's validator accepts the assignment */
  EXPECT(agentsched_vbp_validate(inst, a, n, &vbins), OK);
  CHECK(vbins == bins);
  agentsched_vbp_packing_free(p);
  return bins;
}

static void random_instances(void) {
  int round;
  for (round = 0; round < 60; round++) {
    size_t d = 1 + rnd(MAXD), n = rnd(MAXN + 1), i, k, h;
    uint64_t cap[MAXD], dem[MAXN * MAXD];
    agentsched_vbp_instance *inst = NULL;
    agentsched_vbp_packing *p = NULL;
    size_t fewest = (size_t)-1, best;
    for (k = 0; k < d; k++) {
      cap[k] = 10 + rnd(90);
    }
    for (i = 0; i < n; i++) {
      for (k = 0; k < d; k++) {
        dem[i * d + k] = rnd((uint32_t)cap[k] + 1);
      }
    }
    EXPECT(agentsched_vbp_instance_new(cap, d, dem, n * d, &inst), OK);
    if (!inst) continue;
    for (h = 0; h < NNAMES; h++) {
      p = NULL;
      EXPECT(agentsched_vbp_heuristic(inst, NAMES[h], &p), OK);
      if (p) {
        size_t b = check_packing(p, inst, cap, d, dem, n);
        if (b < fewest) fewest = b;
      }
    }
    p = NULL;
    EXPECT(agentsched_vbp_best(inst, 0, &p), OK);
    if (p) {
      best = check_packing(p, inst, cap, d, dem, n);
      CHECK(best <= fewest);
    }
    p = NULL;
    EXPECT(agentsched_vbp_best(inst, 1, &p), OK);
    if (p) check_packing(p, inst, cap, d, dem, n);
    agentsched_vbp_instance_free(inst);
  }
}

/* A known case: items 6, 6, 6 of 10 need 3 bins (Martello-Toth: the volume bound says 2). */
static void known_case(void) {
  uint64_t cap[1] = {10}, dem[3] = {6, 6, 6};
  agentsched_vbp_instance *inst = NULL;
  agentsched_vbp_packing *p = NULL;
  size_t lb = 0, bins = 0;
  EXPECT(agentsched_vbp_instance_new(cap, 1, dem, 3, &inst), OK);
  EXPECT(agentsched_vbp_lower_bound(inst, &lb), OK);
  CHECK(lb == 3);
  EXPECT(agentsched_vbp_heuristic(inst, "ffd", &p), OK);
  EXPECT(agentsched_vbp_packing_bins(p, &bins), OK);
  CHECK(bins == 3);
  agentsched_vbp_packing_free(p);
  agentsched_vbp_instance_free(inst);
}

static void hostile(void) {
  uint64_t cap[2] = {10, 10}, dem[4] = {3, 4, 10, 0};
  uint64_t big[4] = {3, 4, 11, 0}, zero_cap[2] = {10, 0};
  agentsched_vbp_instance *inst = NULL, *out;
  agentsched_vbp_packing *p, *p2;
  size_t n, buf[4], a[2];

  /* creation: every failure leaves *out untouched */
  memset(&out, SENTINEL, sizeof out);
  EXPECT(agentsched_vbp_instance_new(cap, 2, big, 4, &out), AGENTSCHED_STATUS_NEVER_FITS);
  EXPECT(agentsched_vbp_instance_new(cap, 2, dem, 3, &out), DIMS_BAD);
  EXPECT(agentsched_vbp_instance_new(zero_cap, 2, dem, 4, &out), AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_vbp_instance_new(cap, 0, dem, 4, &out), AGENTSCHED_STATUS_INVALID_CONFIG);
  EXPECT(agentsched_vbp_instance_new(NULL, 2, dem, 4, &out), NULLP);
  EXPECT(agentsched_vbp_instance_new(cap, 2, NULL, 4, &out), NULLP);
  EXPECT(agentsched_vbp_instance_new(cap, 2, dem, 4, NULL), NULLP);
  CHECK(all_bytes(&out, sizeof out, SENTINEL));
  {
    uint64_t huge_cap[1] = {UINT64_MAX}, huge[2] = {UINT64_MAX, 1};
    EXPECT(agentsched_vbp_instance_new(huge_cap, 1, huge, 2, &out), AGENTSCHED_STATUS_OVERFLOW);
    CHECK(all_bytes(&out, sizeof out, SENTINEL));
  }

  /* no items is a valid instance: no bins */
  EXPECT(agentsched_vbp_instance_new(cap, 2, NULL, 0, &inst), OK);
  p = NULL;
  EXPECT(agentsched_vbp_heuristic(inst, "ffd", &p), OK);
  if (p) check_packing(p, inst, cap, 2, dem, 0);
  agentsched_vbp_instance_free(inst);

  inst = NULL;
  EXPECT(agentsched_vbp_instance_new(cap, 2, dem, 4, &inst), OK);
  memset(&p, SENTINEL, sizeof p);
  EXPECT(agentsched_vbp_heuristic(inst, "nope", &p), INVAL);
  EXPECT(agentsched_vbp_heuristic(inst, "", &p), INVAL);
  EXPECT(agentsched_vbp_heuristic(inst, "best", &p), INVAL);
  EXPECT(agentsched_vbp_heuristic(NULL, "ffd", &p), NULLP);
  EXPECT(agentsched_vbp_heuristic(inst, NULL, &p), NULLP);
  EXPECT(agentsched_vbp_heuristic(inst, "ffd", NULL), NULLP);
  EXPECT(agentsched_vbp_best(NULL, 0, &p), NULLP);
  EXPECT(agentsched_vbp_best(inst, 0, NULL), NULLP);
  CHECK(all_bytes(&p, sizeof p, SENTINEL));

  memset(&n, SENTINEL, sizeof n);
  EXPECT(agentsched_vbp_lower_bound(NULL, &n), NULLP);
  EXPECT(agentsched_vbp_lower_bound(inst, NULL), NULLP);
  /* validate: wrong length, over capacity (3+10 > 10), out-of-range and gapped bin numbers */
  a[0] = 0;
  a[1] = 0;
  EXPECT(agentsched_vbp_validate(inst, a, 1, &n), DIMS_BAD);
  EXPECT(agentsched_vbp_validate(inst, a, 2, &n), INVAL);
  a[1] = 2;
  EXPECT(agentsched_vbp_validate(inst, a, 2, &n), INVAL);
  a[0] = 1;
  a[1] = 1;
  EXPECT(agentsched_vbp_validate(inst, a, 2, &n), INVAL); /* bin 0 empty */
  EXPECT(agentsched_vbp_validate(NULL, a, 2, &n), NULLP);
  EXPECT(agentsched_vbp_validate(inst, NULL, 2, &n), NULLP);
  EXPECT(agentsched_vbp_validate(inst, a, 2, NULL), NULLP);
  CHECK(all_bytes(&n, sizeof n, SENTINEL));
  a[0] = 1;
  a[1] = 0;
  EXPECT(agentsched_vbp_validate(inst, a, 2, &n), OK);
  CHECK(n == 2);

  p2 = NULL;
  EXPECT(agentsched_vbp_heuristic(inst, "bfd", &p2), OK);
  /* a too-small buffer: the size is reported, the buffer untouched */
  memset(buf, SENTINEL, sizeof buf);
  n = 0;
  EXPECT(agentsched_vbp_packing_assignment(p2, buf, 1, &n), TOO_SMALL);
  CHECK(n == 2);
  CHECK(all_bytes(buf, sizeof buf, SENTINEL));
  EXPECT(agentsched_vbp_packing_assignment(p2, buf, 4, NULL), NULLP);
  EXPECT(agentsched_vbp_packing_assignment(NULL, buf, 4, &n), NULLP);
  CHECK(all_bytes(buf, sizeof buf, SENTINEL));
  memset(&n, SENTINEL, sizeof n);
  EXPECT(agentsched_vbp_packing_bins(NULL, &n), NULLP);
  EXPECT(agentsched_vbp_packing_bins(p2, NULL), NULLP);
  EXPECT(agentsched_vbp_packing_lower_bound(NULL, &n), NULLP);
  EXPECT(agentsched_vbp_packing_lower_bound(p2, NULL), NULLP);
  CHECK(all_bytes(&n, sizeof n, SENTINEL));
  /* packings outlive their instance */
  agentsched_vbp_instance_free(inst);
  EXPECT(agentsched_vbp_packing_bins(p2, &n), OK);
  CHECK(n == 2);
  agentsched_vbp_packing_free(p2);
  agentsched_vbp_packing_free(NULL);
  agentsched_vbp_instance_free(NULL);
}

int main(void) {
  known_case();
  hostile();
  random_instances();
  return CHECK_SUMMARY("vbp_test");
}
