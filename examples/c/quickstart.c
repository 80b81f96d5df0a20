/*
 * agentsched from C: the quickstart scenario of examples/quickstart.rs, through the C ABI.
 *
 * A mixed CPU/GPU pool of private and public agents receives a stream of LLM-agent tasks with
 * priorities and data sensitivities. The private GPU box fails mid-run: its tasks are requeued,
 * and the dispatcher explains (as structured data and as text) why a confidential GPU task now
 * waits. A request no agent could ever hold is rejected at submit with NEVER_FITS. The run ends
 * with the dispatcher's counters and a snapshot restored into a second dispatcher.
 *
 * Every call's status is checked; on any failure the program prints the status and the handle's
 * last error, frees what it holds and exits with status 1. Build lines: examples/c/README.md.
 */
#include "agentsched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDIMS 3
#define NAGENTS 5
#define NTASKS 40

/* cpu in millicores, memory in MiB, gpu in devices. */
static const char *const DIMS[NDIMS] = {"cpu", "memory", "gpu"};

typedef struct {
  uint32_t id;
  uint64_t capacity[NDIMS];
  uint32_t tier;
  double cost_per_time;
  double speed;
  const char *region;
} agent_def;

static const agent_def AGENTS[NAGENTS] = {
    {1, {16000, 65536, 0}, AGENTSCHED_TIER_PRIVATE, 0.0, 1.0, "eu"},
    {2, {16000, 65536, 0}, AGENTSCHED_TIER_PRIVATE, 0.0, 1.0, "eu"},
    {3, {32000, 262144, 4}, AGENTSCHED_TIER_PRIVATE, 0.0, 1.5, "eu"},
    {4, {32000, 131072, 0}, AGENTSCHED_TIER_PUBLIC, 2.0, 1.0, "us"},
    {5, {64000, 524288, 8}, AGENTSCHED_TIER_PUBLIC, 6.0, 2.0, "us"},
};

typedef struct {
  const char *name;
  uint64_t demand[NDIMS];
  double duration;
} task_kind;

static const task_kind KINDS[4] = {
    {"plan", {1000, 2048, 0}, 4.0},
    {"tool-call", {500, 1024, 0}, 2.0},
    {"rag-index", {4000, 16384, 0}, 20.0},
    {"llm-infer", {8000, 65536, 2}, 30.0},
};

typedef struct {
  double arrival;
  const task_kind *kind;
  int32_t priority;
  uint32_t sensitivity;
} task_def;

static const char *tier_name(uint32_t tier) {
  return tier == AGENTSCHED_TIER_PUBLIC ? "public" : "private";
}

static const char *sensitivity_name(uint32_t s) {
  switch (s) {
  case AGENTSCHED_SENSITIVITY_PUBLIC: return "public";
  case AGENTSCHED_SENSITIVITY_INTERNAL: return "internal";
  case AGENTSCHED_SENSITIVITY_CONFIDENTIAL: return "confidential";
  default: return "?";
  }
}

static const char *reason_name(uint32_t kind) {
  switch (kind) {
  case AGENTSCHED_REASON_DOWN: return "down";
  case AGENTSCHED_REASON_DRAINING: return "draining";
  case AGENTSCHED_REASON_TIER_NOT_ALLOWED: return "tier not allowed";
  case AGENTSCHED_REASON_MISSING_LABEL: return "missing label";
  case AGENTSCHED_REASON_CAPACITY_TOO_SMALL: return "capacity too small";
  case AGENTSCHED_REASON_SHORT: return "short now";
  case AGENTSCHED_REASON_RESERVED: return "reserved";
  default: return "?";
  }
}

/* The handle's last error as a malloc'd string (the size is asked first), or NULL. */
static char *last_error(const agentsched_dispatcher *d) {
  size_t len = 0;
  char *msg;
  if (d == NULL) return NULL;
  if (agentsched_dispatcher_last_error(d, NULL, 0, &len) != AGENTSCHED_STATUS_BUFFER_TOO_SMALL)
    return NULL;
  msg = malloc(len + 1);
  if (msg == NULL) return NULL;
  if (agentsched_dispatcher_last_error(d, msg, len + 1, &len) != AGENTSCHED_STATUS_OK) {
    free(msg);
    return NULL;
  }
  return msg;
}

/* Returns 1 on OK; otherwise prints the status and the handle's message and returns 0. */
static int check(agentsched_status s, const agentsched_dispatcher *d, const char *what) {
  char *msg;
  if (s == AGENTSCHED_STATUS_OK) return 1;
  msg = last_error(d);
  fprintf(stderr, "quickstart: %s failed: %s (status %u)%s%s\n", what,
          agentsched_status_str(s), (unsigned)s, msg != NULL && msg[0] ? ": " : "",
          msg != NULL ? msg : "");
  free(msg);
  return 0;
}

static void print_vec(const uint64_t *v, size_t n) {
  size_t i;
  printf("[");
  for (i = 0; i < n; i++) printf("%s%" PRIu64, i ? ", " : "", v[i]);
  printf("]");
}

/* Reads an explanation back as text and as structured data. Returns 1 on success. */
static int print_explanation(const agentsched_explanation *e) {
  agentsched_explanation_summary sum;
  agentsched_reason *reasons = NULL;
  agentsched_candidate cands[3];
  uint64_t short_by[NDIMS];
  uint64_t missing[NDIMS];
  char *text = NULL;
  char label[256];
  size_t len = 0, n = 0, i;
  int ok = 0;

  /* Text: ask for the size (BUFFER_TOO_SMALL reports it), then copy. */
  if (agentsched_explanation_text(e, NULL, 0, &len) != AGENTSCHED_STATUS_BUFFER_TOO_SMALL) {
    fprintf(stderr, "quickstart: explanation_text did not report its size\n");
    goto out;
  }
  text = malloc(len + 1);
  if (text == NULL) goto out;
  if (!check(agentsched_explanation_text(e, text, len + 1, &len), NULL, "explanation_text"))
    goto out;
  printf("          text: %s\n", text);

  if (!check(agentsched_explanation_get_summary(e, &sum), NULL, "explanation_get_summary"))
    goto out;
  printf("          task#%" PRIu32 ": %" PRIu64 "/%" PRIu64 " agents feasible now, %s\n", sum.task,
         sum.feasible, sum.agents,
         sum.could_ever_fit ? "could fit once an agent frees up" : "can never fit this pool");
  if (sum.has_best)
    printf("          best agent#%" PRIu32 " score %.3f\n", sum.best_agent, sum.best_score);
  if (sum.has_reservation)
    printf("          reservation: task#%" PRIu32 " holds agent#%" PRIu32 "\n", sum.reserved_task,
           sum.reserved_agent);

  /* Reasons: same size protocol for arrays (count of elements). */
  {
    agentsched_status s = agentsched_explanation_reasons(e, NULL, 0, &n);
    if (s == AGENTSCHED_STATUS_BUFFER_TOO_SMALL) {
      reasons = malloc(n * sizeof *reasons);
      if (reasons == NULL) goto out;
      s = agentsched_explanation_reasons(e, reasons, n, &n);
    }
    if (!check(s, NULL, "explanation_reasons")) goto out;
  }
  for (i = 0; i < n; i++) {
    printf("          reason: %" PRIu64 " agent(s) %s", reasons[i].agents, reason_name(reasons[i].kind));
    if (reasons[i].kind == AGENTSCHED_REASON_CAPACITY_TOO_SMALL ||
        reasons[i].kind == AGENTSCHED_REASON_SHORT)
      printf(" in %s", reasons[i].dimension < NDIMS ? DIMS[reasons[i].dimension] : "?");
    if (reasons[i].kind == AGENTSCHED_REASON_MISSING_LABEL) {
      if (!check(agentsched_explanation_reason_label(e, i, label, sizeof label, &len), NULL,
                 "explanation_reason_label"))
        goto out;
      printf(" %s", label);
    }
    printf("\n");
  }

  if (!check(agentsched_explanation_candidates(e, cands, 3, &n), NULL, "explanation_candidates"))
    goto out;
  for (i = 0; i < n; i++)
    printf("          candidate agent#%" PRIu32 " score %.3f\n", cands[i].agent, cands[i].score);

  if (!check(agentsched_explanation_short_by_dimension(e, short_by, NDIMS, &n), NULL,
             "explanation_short_by_dimension"))
    goto out;
  printf("          agents short per dimension (cpu, memory, gpu): ");
  print_vec(short_by, n);
  printf("\n");

  if (!check(agentsched_explanation_closest_count(e, &n), NULL, "explanation_closest_count"))
    goto out;
  for (i = 0; i < n; i++) {
    uint32_t agent = 0;
    size_t dims = 0;
    if (!check(agentsched_explanation_closest(e, i, &agent, missing, NDIMS, &dims), NULL,
               "explanation_closest"))
      goto out;
    printf("          closest agent#%" PRIu32 ": missing ", agent);
    print_vec(missing, dims);
    printf("\n");
  }
  ok = 1;
out:
  free(text);
  free(reasons);
  return ok;
}

static int submit(agentsched_dispatcher *d, uint32_t id, const task_def *t) {
  agentsched_task_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.id = id;
  spec.demand = t->kind->demand;
  spec.demand_len = NDIMS;
  spec.priority = t->priority;
  spec.duration = t->kind->duration;
  spec.sensitivity = t->sensitivity;
  return check(agentsched_task_submit(d, &spec), d, "task_submit");
}

int main(void) {
  agentsched_dispatcher *d = NULL, *d2 = NULL;
  agentsched_explanation *why = NULL;
  agentsched_config config;
  agentsched_assignment placed[NTASKS];
  agentsched_assignment running[NTASKS];
  int is_running[NTASKS] = {0};
  task_def stream[NTASKS];
  agentsched_counts c, c2;
  uint8_t *snap = NULL, *snap2 = NULL;
  size_t snap_len = 0, snap2_len = 0, n = 0, next = 0, finished = 0, i;
  double t = 0.0, busy_time = 0.0, cost = 0.0;
  int failed = 0, agent3_down = 0, rc = 1;
  uint32_t id;

  printf("agentsched %s (header %d.%d.%d)\n", agentsched_version(), AGENTSCHED_VERSION_MAJOR,
         AGENTSCHED_VERSION_MINOR, AGENTSCHED_VERSION_PATCH);

  /* Spread load, but prefer cheap agents: private capacity is already paid for. */
  if (!check(agentsched_config_default(&config), NULL, "config_default")) goto out;
  config.scoring = AGENTSCHED_SCORING_WEIGHTED;
  config.weight_least_allocated = 1.0;
  config.weight_lowest_cost = 0.2;
  if (!check(agentsched_dispatcher_new(DIMS, NDIMS, &config, &d), NULL, "dispatcher_new"))
    goto out;

  printf("== pool\n");
  for (i = 0; i < NAGENTS; i++) {
    const agent_def *a = &AGENTS[i];
    agentsched_label region = {"region", a->region};
    agentsched_agent_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.id = a->id;
    spec.capacity = a->capacity;
    spec.capacity_len = NDIMS;
    spec.tier = a->tier;
    spec.cost_per_time = a->cost_per_time;
    spec.speed = a->speed;
    spec.labels = &region;
    spec.labels_len = 1;
    printf("  agent#%" PRIu32 " %-7s capacity ", a->id, tier_name(a->tier));
    print_vec(a->capacity, NDIMS);
    printf(" cost %g/s speed %g region=%s\n", a->cost_per_time, a->speed, a->region);
    if (!check(agentsched_agent_join(d, &spec), d, "agent_join")) goto out;
  }

  /* A stream of agent tasks: arrival, kind, priority, sensitivity. */
  for (id = 0; id < NTASKS; id++) {
    task_def *s = &stream[id];
    s->arrival = id * 1.5;
    s->kind = &KINDS[(id * 7 + id / 3) % 4];
    /* Inference on the private model is confidential; the rest varies. */
    if (strcmp(s->kind->name, "llm-infer") == 0 || id % 5 == 0)
      s->sensitivity = AGENTSCHED_SENSITIVITY_CONFIDENTIAL;
    else if (id % 5 == 1 || id % 5 == 2)
      s->sensitivity = AGENTSCHED_SENSITIVITY_INTERNAL;
    else
      s->sensitivity = AGENTSCHED_SENSITIVITY_PUBLIC;
    s->priority = strcmp(s->kind->name, "plan") == 0 ? 5 : (int32_t)(id % 3);
  }

  printf("\n== decisions\n");
  while (finished < NTASKS) {
    /* Complete what has ended by now (in task order). */
    for (id = 0; id < NTASKS; id++) {
      const agentsched_assignment *a = &running[id];
      if (!is_running[id] || a->expected_end > t) continue;
      if (!check(agentsched_task_complete(d, id), d, "task_complete")) goto out;
      is_running[id] = 0;
      finished++;
      busy_time += a->expected_end - a->start;
      for (i = 0; i < NAGENTS; i++)
        if (AGENTS[i].id == a->agent) cost += (a->expected_end - a->start) * AGENTS[i].cost_per_time;
    }
    /* Arrivals. */
    while (next < NTASKS && stream[next].arrival <= t) {
      if (!submit(d, (uint32_t)next, &stream[next])) goto out;
      next++;
    }
    /* Agent 3 (the private GPU box) fails at t = 30. */
    if (!failed && t >= 30.0) {
      uint32_t requeued[NTASKS];
      size_t k;
      failed = agent3_down = 1;
      if (!check(agentsched_agent_fail(d, 3, &n), d, "agent_fail")) goto out;
      if (!check(agentsched_dispatcher_requeued(d, requeued, NTASKS, &n), d, "dispatcher_requeued"))
        goto out;
      printf("t=%5.1f  !! agent#3 failed; requeued %zu task(s): [", t, n);
      for (k = 0; k < n; k++) {
        printf("%stask#%" PRIu32, k ? ", " : "", requeued[k]);
        if (requeued[k] < NTASKS) is_running[requeued[k]] = 0;
      }
      printf("]\n");
      /* A confidential GPU task now has nowhere to go: explain why. */
      for (k = 0; k < n; k++) {
        if (requeued[k] < NTASKS &&
            stream[requeued[k]].sensitivity == AGENTSCHED_SENSITIVITY_CONFIDENTIAL) {
          if (!check(agentsched_explain(d, requeued[k], &why), d, "explain")) goto out;
          printf("          why task#%" PRIu32 " (%s, %s) waits:\n", requeued[k],
                 stream[requeued[k]].kind->name, sensitivity_name(stream[requeued[k]].sensitivity));
          if (!print_explanation(why)) goto out;
          agentsched_explanation_free(why);
          why = NULL;
          break;
        }
      }
    }
    if (!check(agentsched_dispatch(d, &n), d, "dispatch")) goto out;
    if (!check(agentsched_dispatcher_assignments(d, placed, NTASKS, &n), d,
               "dispatcher_assignments"))
      goto out;
    for (i = 0; i < n; i++) {
      const agentsched_assignment *a = &placed[i];
      if (a->task >= NTASKS) {
        fprintf(stderr, "quickstart: unexpected task id %" PRIu32 "\n", a->task);
        goto out;
      }
      printf("t=%5.1f  task#%-3" PRIu32 " %-10s -> agent#%" PRIu32 "  score %7.3f  until %6.1f%s\n",
             t, a->task, stream[a->task].kind->name, a->agent, a->score, a->expected_end,
             a->backfilled ? "  (backfilled)" : "");
      running[a->task] = *a;
      is_running[a->task] = 1;
    }
    /* Recover the GPU box later so that nothing waits forever. */
    if (agent3_down && t >= 90.0) {
      if (!check(agentsched_agent_recover(d, 3), d, "agent_recover")) goto out;
      agent3_down = 0;
      printf("t=%5.1f  !! agent#3 recovered\n", t);
    }
    t += 0.5;
    if (!check(agentsched_dispatcher_advance(d, t), d, "dispatcher_advance")) goto out;
    if (t > 10000.0) break;
  }

  /* A request that no agent could ever hold is rejected at once, with the reason. */
  {
    static const uint64_t huge_demand[NDIMS] = {1000, 1024, 16};
    agentsched_task_spec huge;
    agentsched_status s;
    char *msg;
    memset(&huge, 0, sizeof huge);
    huge.id = 999;
    huge.demand = huge_demand;
    huge.demand_len = NDIMS;
    huge.sensitivity = AGENTSCHED_SENSITIVITY_CONFIDENTIAL;
    s = agentsched_task_submit(d, &huge);
    if (s != AGENTSCHED_STATUS_NEVER_FITS) {
      fprintf(stderr, "quickstart: expected NEVER_FITS for task#999, got %s\n",
              agentsched_status_str(s));
      goto out;
    }
    msg = last_error(d);
    if (msg == NULL) {
      fprintf(stderr, "quickstart: no message after NEVER_FITS\n");
      goto out;
    }
    printf("\n== rejected at submit (%s)\n  %s\n", agentsched_status_str(s), msg);
    free(msg);
    /* The same question as structured data, without changing anything. */
    if (!check(agentsched_dry_run(d, &huge, &why), d, "dry_run")) goto out;
    if (!print_explanation(why)) goto out;
    agentsched_explanation_free(why);
    why = NULL;
  }

  if (!check(agentsched_dispatcher_counts(d, &c), d, "dispatcher_counts")) goto out;
  printf("\n== summary\n");
  printf("  submitted %" PRIu64 "  placed %" PRIu64 "  backfilled %" PRIu64 "  completed %" PRIu64
         "  requeued %" PRIu64 "\n",
         c.submitted, c.placed, c.backfilled, c.completed, c.requeued);
  printf("  agents %" PRIu64 "  queued %" PRIu64 "  running %" PRIu64 "  cancelled %" PRIu64 "\n",
         c.agents, c.queued, c.running, c.cancelled);
  printf("  makespan %.1fs  busy agent-time %.1fs  cost %.1f\n", t, busy_time, cost);
  if (finished != NTASKS || c.completed != NTASKS) {
    fprintf(stderr, "quickstart: only %zu of %d tasks finished\n", finished, NTASKS);
    goto out;
  }

  /* Snapshot: ask for the size, copy, and restore into a second dispatcher. */
  {
    agentsched_status s = agentsched_dispatcher_snapshot(d, NULL, 0, &snap_len);
    if (s != AGENTSCHED_STATUS_BUFFER_TOO_SMALL) {
      check(s, d, "dispatcher_snapshot (size)");
      goto out;
    }
  }
  snap = malloc(snap_len);
  if (snap == NULL) goto out;
  if (!check(agentsched_dispatcher_snapshot(d, snap, snap_len, &snap_len), d, "dispatcher_snapshot"))
    goto out;
  /* The snapshot carries schema and policy: a default-policy handle takes them over. */
  if (!check(agentsched_dispatcher_new(DIMS, NDIMS, NULL, &d2), NULL, "dispatcher_new (second)"))
    goto out;
  if (!check(agentsched_dispatcher_restore(d2, snap, snap_len), d2, "dispatcher_restore")) goto out;
  if (!check(agentsched_dispatcher_counts(d2, &c2), d2, "dispatcher_counts (second)")) goto out;
  snap2 = malloc(snap_len);
  if (snap2 == NULL) goto out;
  if (!check(agentsched_dispatcher_snapshot(d2, snap2, snap_len, &snap2_len), d2,
             "dispatcher_snapshot (second)"))
    goto out;
  if (memcmp(&c, &c2, sizeof c) != 0 || snap2_len != snap_len || memcmp(snap, snap2, snap_len) != 0) {
    fprintf(stderr, "quickstart: the restored dispatcher differs from the original\n");
    goto out;
  }
  printf("\n== snapshot\n  %zu bytes of JSON restored into a second dispatcher: same counters, "
         "same snapshot\n",
         snap_len);
  /* The copy carries on independently. */
  {
    task_def extra = {0.0, &KINDS[0], 5, AGENTSCHED_SENSITIVITY_CONFIDENTIAL};
    uint32_t state = 99, agent = 0;
    if (!submit(d2, 1000, &extra)) goto out;
    if (!check(agentsched_dispatch(d2, &n), d2, "dispatch (second)")) goto out;
    if (!check(agentsched_task_state(d2, 1000, &state, &agent), d2, "task_state")) goto out;
    if (state != AGENTSCHED_TASK_RUNNING) {
      fprintf(stderr, "quickstart: task#1000 is not running on the restored dispatcher\n");
      goto out;
    }
    printf("  the copy placed task#1000 (plan) on agent#%" PRIu32 "\n", agent);
  }
  rc = 0;
out:
  agentsched_explanation_free(why);
  agentsched_dispatcher_free(d);
  agentsched_dispatcher_free(d2);
  free(snap);
  free(snap2);
  return rc;
}
