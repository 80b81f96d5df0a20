/*
 * Consolidation plans through the C ABI, tested from C.
 *
 * Every plan is replayed here from first principles: each migration leaves the host the item is
 * on, goes to a host in use at the start, never moves a pinned item nor an item twice, and after
 * it no host exceeds its capacity in any dimension; the budget holds; the summary's cost and
 * counts, the target placement, the emptied hosts (empty at the end, in use at the start) and
 * the per-host fates (pinned, already empty) agree with the replay; the same input gives the
 * same plan. A hand scenario checks the order of a make-room move. Hostile arguments: NULL for
 * every pointer, NULL arrays with non-zero lengths, lengths too large for memory, zero
 * dimensions, zero capacities, items larger than their host, hosts over capacity, dimension
 * mismatches, duplicate and unknown ids, too-small buffers (the size needed is reported and
 * nothing else is written); a failed call leaves its outputs untouched.
 *
 * Build (from the repository root, after cargo build --release):
 *   gcc -std=c11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/consolidate_test.c \
 *       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
 */
#include "agentsched.h"
#include "check.h"

#include <stdint.h>
#include <string.h>

#define MAXH 12
#define MAXI 48
#define MAXD 3

typedef struct {
  size_t m, n, d;
  uint32_t host_id[MAXH];
  uint64_t cap[MAXH][MAXD];
  uint32_t item_id[MAXI];
  uint64_t dem[MAXI][MAXD];
  size_t at[MAXI]; /* host index */
  int pinned[MAXI];
  uint64_t cost[MAXI];
  agentsched_consolidation_host hosts[MAXH];
  agentsched_consolidation_item items[MAXI];
} instance;

static void wire(instance *x) {
  size_t h, i;
  for (h = 0; h < x->m; h++) {
    x->hosts[h].id = x->host_id[h];
    x->hosts[h].capacity = x->cap[h];
    x->hosts[h].capacity_len = x->d;
  }
  for (i = 0; i < x->n; i++) {
    x->items[i].id = x->item_id[i];
    x->items[i].demand = x->dem[i];
    x->items[i].demand_len = x->d;
    x->items[i].host = x->host_id[x->at[i]];
    x->items[i].pinned = x->pinned[i] != 0;
    x->items[i].cost = x->cost[i];
  }
}

/* Hosts with heterogeneous capacities, items placed where they fit from a random start host. */
static void random_instance(instance *x) {
  uint64_t used[MAXH][MAXD];
  size_t h, i, r, k, tries;
  memset(x, 0, sizeof *x);
  memset(used, 0, sizeof used);
  x->m = 1 + rnd(MAXH);
  x->d = 1 + rnd(MAXD);
  for (h = 0; h < x->m; h++) {
    x->host_id[h] = (uint32_t)(100 + 7 * h);
    for (r = 0; r < x->d; r++) x->cap[h][r] = rnd(4) == 0 ? 0 : 4 + rnd(20);
  }
  tries = rnd(MAXI + 1);
  for (k = 0; k < tries; k++) {
    uint64_t dem[MAXD];
    size_t start = rnd((uint32_t)x->m);
    for (r = 0; r < x->d; r++) dem[r] = rnd(9);
    for (h = 0; h < x->m; h++) {
      size_t t = (start + h) % x->m;
      int fits = 1;
      for (r = 0; r < x->d; r++)
        if (used[t][r] + dem[r] > x->cap[t][r]) fits = 0;
      if (!fits) continue;
      i = x->n++;
      x->item_id[i] = (uint32_t)(5000 - 3 * k);
      for (r = 0; r < x->d; r++) {
        x->dem[i][r] = dem[r];
        used[t][r] += dem[r];
      }
      x->at[i] = t;
      x->pinned[i] = rnd(8) == 0;
      x->cost[i] = rnd(40);
      break;
    }
  }
  wire(x);
}

static size_t host_index(const instance *x, uint32_t id) {
  size_t h;
  for (h = 0; h < x->m; h++)
    if (x->host_id[h] == id) return h;
  return SIZE_MAX;
}

static size_t item_index(const instance *x, uint32_t id) {
  size_t i;
  for (i = 0; i < x->n; i++)
    if (x->item_id[i] == id) return i;
  return SIZE_MAX;
}

/* Replays the plan and checks every rule; returns the number of failed checks it added. */
static unsigned replay(const instance *x, const agentsched_consolidation_options *o,
                       const agentsched_consolidation_plan *p) {
  unsigned before = g_failed;
  agentsched_consolidation_summary s;
  agentsched_consolidation_migration mv[2 * MAXI + 1];
  uint32_t emptied[MAXH + 1], placement[MAXI + 1];
  agentsched_host_report rep[MAXH + 1];
  size_t n_mv = 0, n_em = 0, n_pl = 0, n_rep = 0, k, h, i, r;
  uint64_t used[MAXH][MAXD], cost = 0;
  size_t at[MAXI], count[MAXH], in_use_before = 0, in_use_after = 0;
  int moved[MAXI], was_in_use[MAXH];
  memset(used, 0, sizeof used);
  memset(count, 0, sizeof count);
  memset(moved, 0, sizeof moved);
  EXPECT(agentsched_consolidation_plan_get_summary(p, &s), OK);
  EXPECT(agentsched_consolidation_plan_migrations(p, mv, 2 * MAXI + 1, &n_mv), OK);
  EXPECT(agentsched_consolidation_plan_emptied(p, emptied, MAXH + 1, &n_em), OK);
  EXPECT(agentsched_consolidation_plan_placement(p, placement, MAXI + 1, &n_pl), OK);
  EXPECT(agentsched_consolidation_plan_hosts(p, rep, MAXH + 1, &n_rep), OK);
  CHECK(s.migrations == n_mv && s.emptied == n_em && s.items == x->n && n_pl == x->n);
  CHECK(s.hosts == x->m && n_rep == x->m);
  for (i = 0; i < x->n; i++) {
    at[i] = x->at[i];
    count[at[i]]++;
    for (r = 0; r < x->d; r++) used[at[i]][r] += x->dem[i][r];
  }
  for (h = 0; h < x->m; h++) {
    was_in_use[h] = count[h] > 0;
    in_use_before += count[h] > 0;
  }
  for (k = 0; k < n_mv; k++) {
    size_t it = item_index(x, mv[k].item), from = host_index(x, mv[k].from),
           to = host_index(x, mv[k].to);
    CHECK(it != SIZE_MAX && from != SIZE_MAX && to != SIZE_MAX);
    if (it == SIZE_MAX || from == SIZE_MAX || to == SIZE_MAX) break;
    CHECK(!x->pinned[it]);
    CHECK(!moved[it]);
    CHECK(at[it] == from && from != to);
    CHECK(was_in_use[to]);
    CHECK(mv[k].cost == x->cost[it]);
    for (r = 0; r < x->d; r++) {
      used[from][r] -= x->dem[it][r];
      used[to][r] += x->dem[it][r];
      CHECK(used[to][r] <= x->cap[to][r]);
    }
    count[from]--;
    count[to]++;
    at[it] = to;
    moved[it] = 1;
    cost += x->cost[it];
  }
  if (o && o->has_max_migrations) CHECK(n_mv <= o->max_migrations);
  if (o && o->has_max_cost) CHECK(cost <= o->max_cost);
  CHECK(s.cost == cost);
  for (i = 0; i < x->n; i++) CHECK(placement[i] == x->host_id[at[i]]);
  for (k = 0; k < n_em; k++) {
    h = host_index(x, emptied[k]);
    CHECK(h != SIZE_MAX && was_in_use[h] && count[h] == 0);
    if (k > 0) CHECK(emptied[k - 1] < emptied[k]);
  }
  for (h = 0; h < x->m; h++) {
    uint32_t pin = UINT32_MAX;
    int listed = 0;
    in_use_after += count[h] > 0;
    for (k = 0; k < n_em; k++) listed |= emptied[k] == x->host_id[h];
    /* All or nothing: a host in use and not listed still holds items. */
    if (was_in_use[h] && !listed) CHECK(count[h] > 0);
    for (i = 0; i < x->n; i++)
      if (x->at[i] == h && x->pinned[i] && x->item_id[i] < pin) pin = x->item_id[i];
    CHECK(rep[h].host == x->host_id[h]);
    CHECK((rep[h].fate == AGENTSCHED_HOST_FATE_EMPTIED) == listed);
    CHECK((rep[h].fate == AGENTSCHED_HOST_FATE_ALREADY_EMPTY) == !was_in_use[h]);
    CHECK((rep[h].fate == AGENTSCHED_HOST_FATE_PINNED) == (pin != UINT32_MAX));
    if (pin != UINT32_MAX) CHECK(rep[h].item == pin);
    if (rep[h].fate == AGENTSCHED_HOST_FATE_NO_ROOM) {
      i = item_index(x, rep[h].item);
      CHECK(i != SIZE_MAX && x->at[i] == h);
    }
  }
  CHECK(s.hosts_in_use_before == in_use_before && s.hosts_in_use_after == in_use_after);
  return g_failed - before;
}

static void random_plans(void) {
  int round;
  for (round = 0; round < 300; round++) {
    instance x;
    agentsched_consolidation_options o;
    agentsched_consolidation_plan *p = NULL, *q = NULL;
    const agentsched_consolidation_options *op = &o;
    agentsched_consolidation_migration a[2 * MAXI], b[2 * MAXI];
    size_t na = 0, nb = 0, k;
    random_instance(&x);
    EXPECT(agentsched_consolidation_options_default(&o), OK);
    o.has_max_migrations = rnd(3) == 0;
    o.max_migrations = rnd(6);
    o.has_max_cost = rnd(3) == 0;
    o.max_cost = rnd(100);
    o.max_room_moves_per_host = rnd(4);
    if (rnd(5) == 0) op = NULL;
    EXPECT(agentsched_plan_consolidation(x.hosts, x.m, x.items, x.n, op, &p), OK);
    if (!p) continue;
    if (replay(&x, op, p)) fprintf(stderr, "  (round %d)\n", round);
    /* Deterministic: the same input gives the same migrations. */
    EXPECT(agentsched_plan_consolidation(x.hosts, x.m, x.items, x.n, op, &q), OK);
    EXPECT(agentsched_consolidation_plan_migrations(p, a, 2 * MAXI, &na), OK);
    EXPECT(agentsched_consolidation_plan_migrations(q, b, 2 * MAXI, &nb), OK);
    CHECK(na == nb);
    for (k = 0; k < na && k < nb; k++)
      CHECK(a[k].item == b[k].item && a[k].from == b[k].from && a[k].to == b[k].to &&
            a[k].cost == b[k].cost && a[k].make_room == b[k].make_room);
    agentsched_consolidation_plan_free(p);
    agentsched_consolidation_plan_free(q);
  }
}

/* Host 0 holds a <2,6>; hosts 1 (pinned <3,4> + <5,1>) and 2 (pinned <4,8>) cannot take it until
 * the <5,1> moves from host 1 to host 2: that move must come first. */
static void make_room_scenario(void) {
  instance x;
  agentsched_consolidation_plan *p = NULL;
  agentsched_consolidation_migration mv[4];
  agentsched_host_report rep[3];
  uint32_t emptied[3];
  size_t n = 0;
  const uint64_t dem[4][2] = {{2, 6}, {3, 4}, {5, 1}, {4, 8}};
  const size_t at[4] = {0, 1, 1, 2};
  size_t i;
  memset(&x, 0, sizeof x);
  x.m = 3;
  x.n = 4;
  x.d = 2;
  for (i = 0; i < 3; i++) {
    x.host_id[i] = (uint32_t)i;
    x.cap[i][0] = x.cap[i][1] = 10;
  }
  for (i = 0; i < 4; i++) {
    x.item_id[i] = (uint32_t)i;
    x.dem[i][0] = dem[i][0];
    x.dem[i][1] = dem[i][1];
    x.at[i] = at[i];
    x.pinned[i] = i == 1 || i == 3;
    x.cost[i] = 1;
  }
  wire(&x);
  EXPECT(agentsched_plan_consolidation(x.hosts, 3, x.items, 4, NULL, &p), OK);
  if (!p) return;
  CHECK(replay(&x, NULL, p) == 0);
  EXPECT(agentsched_consolidation_plan_migrations(p, mv, 4, &n), OK);
  CHECK(n == 2);
  CHECK(mv[0].item == 2 && mv[0].from == 1 && mv[0].to == 2 && mv[0].make_room);
  CHECK(mv[1].item == 0 && mv[1].from == 0 && mv[1].to == 1 && !mv[1].make_room);
  EXPECT(agentsched_consolidation_plan_emptied(p, emptied, 3, &n), OK);
  CHECK(n == 1 && emptied[0] == 0);
  EXPECT(agentsched_consolidation_plan_hosts(p, rep, 3, &n), OK);
  CHECK(rep[0].fate == AGENTSCHED_HOST_FATE_EMPTIED);
  CHECK(rep[1].fate == AGENTSCHED_HOST_FATE_PINNED && rep[1].item == 1);
  CHECK(rep[2].fate == AGENTSCHED_HOST_FATE_PINNED && rep[2].item == 3);

  /* Too-small buffers: the size needed, nothing written. */
  memset(mv, SENTINEL, sizeof mv);
  n = 0;
  EXPECT(agentsched_consolidation_plan_migrations(p, mv, 1, &n), TOO_SMALL);
  CHECK(n == 2 && all_bytes(mv, sizeof mv, SENTINEL));
  n = 0;
  EXPECT(agentsched_consolidation_plan_migrations(p, NULL, 0, &n), TOO_SMALL);
  CHECK(n == 2);
  memset(rep, SENTINEL, sizeof rep);
  EXPECT(agentsched_consolidation_plan_hosts(p, rep, 2, &n), TOO_SMALL);
  CHECK(n == 3 && all_bytes(rep, sizeof rep, SENTINEL));
  memset(emptied, SENTINEL, sizeof emptied);
  EXPECT(agentsched_consolidation_plan_emptied(p, emptied, 0, &n), TOO_SMALL);
  CHECK(n == 1 && all_bytes(emptied, sizeof emptied, SENTINEL));
  {
    uint32_t pl[4];
    memset(pl, SENTINEL, sizeof pl);
    EXPECT(agentsched_consolidation_plan_placement(p, pl, 3, &n), TOO_SMALL);
    CHECK(n == 4 && all_bytes(pl, sizeof pl, SENTINEL));
  }
  /* NULL for every pointer of the getters. */
  {
    agentsched_consolidation_summary s;
    memset(&s, SENTINEL, sizeof s);
    EXPECT(agentsched_consolidation_plan_get_summary(NULL, &s), NULLP);
    EXPECT(agentsched_consolidation_plan_get_summary(p, NULL), NULLP);
    CHECK(all_bytes(&s, sizeof s, SENTINEL));
    EXPECT(agentsched_consolidation_plan_migrations(NULL, mv, 4, &n), NULLP);
    EXPECT(agentsched_consolidation_plan_migrations(p, mv, 4, NULL), NULLP);
    EXPECT(agentsched_consolidation_plan_emptied(NULL, emptied, 3, &n), NULLP);
    EXPECT(agentsched_consolidation_plan_emptied(p, emptied, 3, NULL), NULLP);
    EXPECT(agentsched_consolidation_plan_placement(NULL, emptied, 3, &n), NULLP);
    EXPECT(agentsched_consolidation_plan_placement(p, emptied, 3, NULL), NULLP);
    EXPECT(agentsched_consolidation_plan_hosts(NULL, rep, 3, &n), NULLP);
    EXPECT(agentsched_consolidation_plan_hosts(p, rep, 3, NULL), NULLP);
  }
  agentsched_consolidation_plan_free(p);

  /* Without make-room moves the host cannot be emptied; the report names the item. */
  {
    agentsched_consolidation_options o;
    EXPECT(agentsched_consolidation_options_default(&o), OK);
    CHECK(o.max_room_moves_per_host == 2 && o.room_search_limit == 32);
    CHECK(!o.has_max_migrations && !o.has_max_cost);
    o.max_room_moves_per_host = 0;
    EXPECT(agentsched_plan_consolidation(x.hosts, 3, x.items, 4, &o, &p), OK);
    if (!p) return;
    EXPECT(agentsched_consolidation_plan_migrations(p, mv, 4, &n), OK);
    CHECK(n == 0);
    EXPECT(agentsched_consolidation_plan_hosts(p, rep, 3, &n), OK);
    CHECK(rep[0].fate == AGENTSCHED_HOST_FATE_NO_ROOM && rep[0].item == 0);
    agentsched_consolidation_plan_free(p);
  }
}

/* Four hosts of one item each; a budget of two migrations empties two hosts and reports the
 * next candidate as stopped by the budget. */
static void budget_scenario(void) {
  instance x;
  agentsched_consolidation_options o;
  agentsched_consolidation_plan *p = NULL;
  agentsched_consolidation_summary s;
  agentsched_host_report rep[4];
  size_t i, n;
  memset(&x, 0, sizeof x);
  x.m = 4;
  x.n = 4;
  x.d = 1;
  for (i = 0; i < 4; i++) {
    x.host_id[i] = (uint32_t)i;
    x.cap[i][0] = 10;
    x.item_id[i] = (uint32_t)i;
    x.dem[i][0] = i + 1;
    x.at[i] = i;
    x.cost[i] = 1;
  }
  wire(&x);
  EXPECT(agentsched_consolidation_options_default(&o), OK);
  o.has_max_migrations = true;
  o.max_migrations = 2;
  EXPECT(agentsched_plan_consolidation(x.hosts, 4, x.items, 4, &o, &p), OK);
  if (!p) return;
  CHECK(replay(&x, &o, p) == 0);
  EXPECT(agentsched_consolidation_plan_get_summary(p, &s), OK);
  CHECK(s.emptied == 2 && s.migrations == 2 && s.hosts_in_use_after == 2);
  EXPECT(agentsched_consolidation_plan_hosts(p, rep, 4, &n), OK);
  CHECK(rep[2].fate == AGENTSCHED_HOST_FATE_BUDGET_EXHAUSTED);
  CHECK(rep[3].fate == AGENTSCHED_HOST_FATE_DESTINATION);
  agentsched_consolidation_plan_free(p);
}

static void hostile(void) {
  uint64_t cap2[2] = {10, 10}, cap1[1] = {10}, zero[2] = {0, 0}, d11[2] = {1, 1};
  uint64_t d_big[2] = {1, 11}, d6[2] = {6, 6}, d0[2] = {0, 0};
  agentsched_consolidation_host hosts[2] = {{1, cap2, 2}, {2, cap2, 2}};
  agentsched_consolidation_item items[2] = {{7, d11, 2, 2, false, 3}, {8, d11, 2, 1, false, 3}};
  agentsched_consolidation_plan *const sent = (agentsched_consolidation_plan *)&g_rng;
  agentsched_consolidation_plan *p = sent;
#define FAILS(call, want)                                                                        \
  do {                                                                                           \
    p = sent;                                                                                    \
    EXPECT(call, want);                                                                          \
    CHECK(p == sent);                                                                            \
  } while (0)

  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, NULL), NULLP);
  FAILS(agentsched_plan_consolidation(NULL, 2, items, 2, NULL, &p), NULLP);
  FAILS(agentsched_plan_consolidation(hosts, 2, NULL, 2, NULL, &p), NULLP);
  FAILS(agentsched_plan_consolidation(hosts, SIZE_MAX, items, 2, NULL, &p), INVAL);
  FAILS(agentsched_plan_consolidation(hosts, 2, items, SIZE_MAX, NULL, &p), INVAL);
  hosts[1].capacity = NULL;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), NULLP);
  hosts[1].capacity = cap1;
  hosts[1].capacity_len = 1;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), DIMS_BAD);
  hosts[1].capacity = cap2;
  hosts[1].capacity_len = 2;
  items[0].demand_len = 1;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), DIMS_BAD);
  items[0].demand_len = 2;
  items[0].demand = NULL;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), NULLP);
  items[0].demand = d11;
  hosts[1].id = 1;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_DUPLICATE_AGENT);
  hosts[1].id = 2;
  items[1].id = 7;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_DUPLICATE_TASK);
  items[1].id = 8;
  items[1].host = 99;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_UNKNOWN_AGENT);
  items[1].host = 1;
  /* An item larger than its own host. */
  items[0].demand = d_big;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), INVAL);
  /* Two items over their host's capacity together. */
  items[0].demand = d6;
  items[1].demand = d6;
  items[1].host = 2;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_AGENT_STATE);
  items[1].host = 1;
  /* Costs whose sum overflows. */
  items[0].cost = UINT64_MAX;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_OVERFLOW);
  items[0].cost = 3;
  /* Zero dimensions. */
  hosts[0].capacity_len = hosts[1].capacity_len = 0;
  items[0].demand_len = items[1].demand_len = 0;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), AGENTSCHED_STATUS_INVALID_CONFIG);
  hosts[0].capacity_len = hosts[1].capacity_len = 2;
  items[0].demand_len = items[1].demand_len = 2;
  /* Zero capacities: an item needing anything there is larger than its host... */
  hosts[0].capacity = zero;
  items[1].demand = d11;
  FAILS(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), INVAL);
  /* ... and an item of zero demand is fine, and can move to the zero-capacity host. */
  items[0].demand = d0;
  items[1].demand = d0;
  EXPECT(agentsched_plan_consolidation(hosts, 2, items, 2, NULL, &p), OK);
  if (p != sent) {
    agentsched_consolidation_summary s;
    EXPECT(agentsched_consolidation_plan_get_summary(p, &s), OK);
    CHECK(s.emptied == 1 && s.migrations == 1 && s.hosts_in_use_after == 1);
    agentsched_consolidation_plan_free(p);
  }
  /* No hosts and no items: an empty plan. */
  p = NULL;
  EXPECT(agentsched_plan_consolidation(NULL, 0, NULL, 0, NULL, &p), OK);
  if (p) {
    agentsched_consolidation_summary s;
    EXPECT(agentsched_consolidation_plan_get_summary(p, &s), OK);
    CHECK(s.migrations == 0 && s.hosts == 0 && s.items == 0);
  }
  agentsched_consolidation_plan_free(p);
  agentsched_consolidation_plan_free(NULL);
  EXPECT(agentsched_consolidation_options_default(NULL), NULLP);
#undef FAILS
}

int main(void) {
  make_room_scenario();
  budget_scenario();
  random_plans();
  hostile();
  return CHECK_SUMMARY("consolidate_test");
}
