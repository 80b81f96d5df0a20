// The C header used from C++17: it compiles cleanly (-Wall -Wextra -Werror -pedantic), its
// declarations have C linkage (this program links against the library and calls into it), and
// its types are plain C types.
//
//   g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/header_check.cpp
//       target/release/libagentsched.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o header_check
#include "agentsched.h"
#include "agentsched.h" // the include guard works

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(sizeof(agentsched_status) == sizeof(std::uint32_t), "status is 32 bits");
static_assert(std::is_same<std::underlying_type<agentsched_status>::type, std::uint32_t>::value,
              "status has uint32_t as its underlying type");
static_assert(AGENTSCHED_STATUS_OK == 0, "OK is 0");

template <typename T> constexpr bool plain() {
  return std::is_standard_layout<T>::value && std::is_trivially_copyable<T>::value;
}
static_assert(plain<agentsched_config>(), "agentsched_config is a plain C struct");
static_assert(plain<agentsched_label>(), "agentsched_label is a plain C struct");
static_assert(plain<agentsched_agent_spec>(), "agentsched_agent_spec is a plain C struct");
static_assert(plain<agentsched_task_spec>(), "agentsched_task_spec is a plain C struct");
static_assert(plain<agentsched_assignment>(), "agentsched_assignment is a plain C struct");
static_assert(plain<agentsched_counts>(), "agentsched_counts is a plain C struct");
static_assert(plain<agentsched_explanation_summary>(), "summary is a plain C struct");
static_assert(plain<agentsched_reason>(), "agentsched_reason is a plain C struct");
static_assert(plain<agentsched_candidate>(), "agentsched_candidate is a plain C struct");
static_assert(plain<agentsched_bounds>(), "agentsched_bounds is a plain C struct");
static_assert(plain<agentsched_balance_agent>(), "agentsched_balance_agent is a plain C struct");
static_assert(plain<agentsched_balance_task>(), "agentsched_balance_task is a plain C struct");
static_assert(plain<agentsched_balance_options>(), "agentsched_balance_options is a plain C struct");
static_assert(plain<agentsched_balance_summary>(), "agentsched_balance_summary is a plain C struct");
static_assert(plain<agentsched_placement>(), "agentsched_placement is a plain C struct");
static_assert(plain<agentsched_agent_load>(), "agentsched_agent_load is a plain C struct");
static_assert(plain<agentsched_unplaced>(), "agentsched_unplaced is a plain C struct");
static_assert(plain<agentsched_shortfall>(), "agentsched_shortfall is a plain C struct");
static_assert(plain<agentsched_migration_task>(), "agentsched_migration_task is a plain C struct");
static_assert(plain<agentsched_migration_options>(), "agentsched_migration_options is a plain C struct");
static_assert(plain<agentsched_migration_summary>(), "agentsched_migration_summary is a plain C struct");
static_assert(plain<agentsched_move>(), "agentsched_move is a plain C struct");
static_assert(plain<agentsched_slot>(), "agentsched_slot is a plain C struct");
static_assert(plain<agentsched_backup>(), "agentsched_backup is a plain C struct");
static_assert(plain<agentsched_fault_spec>(), "agentsched_fault_spec is a plain C struct");
static_assert(plain<agentsched_makespan_options>(), "makespan options are a plain C struct");
static_assert(plain<agentsched_makespan_estimate>(), "makespan estimate is a plain C struct");
static_assert(plain<agentsched_consolidation_host>(), "agentsched_consolidation_host is a plain C struct");
static_assert(plain<agentsched_consolidation_item>(), "agentsched_consolidation_item is a plain C struct");
static_assert(plain<agentsched_consolidation_options>(), "agentsched_consolidation_options is a plain C struct");
static_assert(plain<agentsched_consolidation_summary>(), "agentsched_consolidation_summary is a plain C struct");
static_assert(plain<agentsched_consolidation_migration>(), "agentsched_consolidation_migration is a plain C struct");
static_assert(plain<agentsched_host_report>(), "agentsched_host_report is a plain C struct");
static_assert(plain<agentsched_fair_problem>(), "agentsched_fair_problem is a plain C struct");
static_assert(plain<agentsched_drf_share>(), "agentsched_drf_share is a plain C struct");
static_assert(plain<agentsched_hybrid_agents>(), "agentsched_hybrid_agents is a plain C struct");
static_assert(plain<agentsched_hybrid_tasks>(), "agentsched_hybrid_tasks is a plain C struct");
static_assert(plain<agentsched_hybrid_options>(), "agentsched_hybrid_options is a plain C struct");
static_assert(plain<agentsched_hybrid_summary>(), "agentsched_hybrid_summary is a plain C struct");
static_assert(plain<agentsched_hybrid_unplaced>(), "agentsched_hybrid_unplaced is a plain C struct");
static_assert(plain<agentsched_cover_problem>(), "cover problem is a plain C struct");
static_assert(plain<agentsched_cover_summary>(), "cover summary is a plain C struct");
static_assert(plain<agentsched_hw_params>(), "agentsched_hw_params is a plain C struct");

// Every declaration, by address (a missing or mistyped one fails to compile or to link).
static void (*const EXPORTS[])() = {
    reinterpret_cast<void (*)()>(&agentsched_version),
    reinterpret_cast<void (*)()>(&agentsched_status_str),
    reinterpret_cast<void (*)()>(&agentsched_config_default),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_new),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_free),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_last_error),
    reinterpret_cast<void (*)()>(&agentsched_agent_join),
    reinterpret_cast<void (*)()>(&agentsched_agent_drain),
    reinterpret_cast<void (*)()>(&agentsched_agent_recover),
    reinterpret_cast<void (*)()>(&agentsched_agent_fail),
    reinterpret_cast<void (*)()>(&agentsched_agent_leave),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_requeued),
    reinterpret_cast<void (*)()>(&agentsched_task_submit),
    reinterpret_cast<void (*)()>(&agentsched_task_complete),
    reinterpret_cast<void (*)()>(&agentsched_task_cancel),
    reinterpret_cast<void (*)()>(&agentsched_task_yield),
    reinterpret_cast<void (*)()>(&agentsched_task_set_priority),
    reinterpret_cast<void (*)()>(&agentsched_task_state),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_advance),
    reinterpret_cast<void (*)()>(&agentsched_dispatch),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_assignments),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_counts),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_snapshot),
    reinterpret_cast<void (*)()>(&agentsched_dispatcher_restore),
    reinterpret_cast<void (*)()>(&agentsched_explain),
    reinterpret_cast<void (*)()>(&agentsched_dry_run),
    reinterpret_cast<void (*)()>(&agentsched_dry_run_classed),
    reinterpret_cast<void (*)()>(&agentsched_explanation_free),
    reinterpret_cast<void (*)()>(&agentsched_explanation_get_summary),
    reinterpret_cast<void (*)()>(&agentsched_explanation_reasons),
    reinterpret_cast<void (*)()>(&agentsched_explanation_reason_label),
    reinterpret_cast<void (*)()>(&agentsched_explanation_candidates),
    reinterpret_cast<void (*)()>(&agentsched_explanation_short_by_dimension),
    reinterpret_cast<void (*)()>(&agentsched_explanation_closest_count),
    reinterpret_cast<void (*)()>(&agentsched_explanation_closest),
    reinterpret_cast<void (*)()>(&agentsched_explanation_text),
    reinterpret_cast<void (*)()>(&agentsched_etc_new),
    reinterpret_cast<void (*)()>(&agentsched_etc_free),
    reinterpret_cast<void (*)()>(&agentsched_etc_last_error),
    reinterpret_cast<void (*)()>(&agentsched_etc_shape),
    reinterpret_cast<void (*)()>(&agentsched_map_heuristic),
    reinterpret_cast<void (*)()>(&agentsched_map_improve),
    reinterpret_cast<void (*)()>(&agentsched_map_best),
    reinterpret_cast<void (*)()>(&agentsched_map_lower_bound),
    reinterpret_cast<void (*)()>(&agentsched_mapping_free),
    reinterpret_cast<void (*)()>(&agentsched_mapping_makespan),
    reinterpret_cast<void (*)()>(&agentsched_mapping_assignment),
    reinterpret_cast<void (*)()>(&agentsched_mapping_completion),
    reinterpret_cast<void (*)()>(&agentsched_balance),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_free),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_get_summary),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_assignment),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_loads),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_used),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_unplaced),
    reinterpret_cast<void (*)()>(&agentsched_balance_result_shortfalls),
    reinterpret_cast<void (*)()>(&agentsched_plan_migration),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_free),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_get_summary),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_moves),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_loads),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_used),
    reinterpret_cast<void (*)()>(&agentsched_migration_result_migrated_demand),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_new),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_free),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_last_error),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_add_task),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_add_edge),
    reinterpret_cast<void (*)()>(&agentsched_task_graph_counts),
    reinterpret_cast<void (*)()>(&agentsched_dag_new),
    reinterpret_cast<void (*)()>(&agentsched_dag_free),
    reinterpret_cast<void (*)()>(&agentsched_dag_last_error),
    reinterpret_cast<void (*)()>(&agentsched_dag_counts),
    reinterpret_cast<void (*)()>(&agentsched_dag_index_of),
    reinterpret_cast<void (*)()>(&agentsched_dag_ids),
    reinterpret_cast<void (*)()>(&agentsched_dag_topological_order),
    reinterpret_cast<void (*)()>(&agentsched_dag_times),
    reinterpret_cast<void (*)()>(&agentsched_dag_times_with),
    reinterpret_cast<void (*)()>(&agentsched_times_free),
    reinterpret_cast<void (*)()>(&agentsched_times_makespan),
    reinterpret_cast<void (*)()>(&agentsched_times_values),
    reinterpret_cast<void (*)()>(&agentsched_times_critical_path),
    reinterpret_cast<void (*)()>(&agentsched_times_critical_tasks),
    reinterpret_cast<void (*)()>(&agentsched_platform_related),
    reinterpret_cast<void (*)()>(&agentsched_platform_matrix),
    reinterpret_cast<void (*)()>(&agentsched_platform_free),
    reinterpret_cast<void (*)()>(&agentsched_platform_agents),
    reinterpret_cast<void (*)()>(&agentsched_dag_validate),
    reinterpret_cast<void (*)()>(&agentsched_dag_schedule),
    reinterpret_cast<void (*)()>(&agentsched_dag_schedule_best),
    reinterpret_cast<void (*)()>(&agentsched_dag_improve),
    reinterpret_cast<void (*)()>(&agentsched_dag_lower_bound),
    reinterpret_cast<void (*)()>(&agentsched_dag_upward_ranks),
    reinterpret_cast<void (*)()>(&agentsched_dag_downward_ranks),
    reinterpret_cast<void (*)()>(&agentsched_makespan_options_default),
    reinterpret_cast<void (*)()>(&agentsched_dag_expected_durations),
    reinterpret_cast<void (*)()>(&agentsched_dag_expected_times),
    reinterpret_cast<void (*)()>(&agentsched_dag_no_backup_probability),
    reinterpret_cast<void (*)()>(&agentsched_dag_completion_probability),
    reinterpret_cast<void (*)()>(&agentsched_dag_expected_makespan),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_options_default),
    reinterpret_cast<void (*)()>(&agentsched_plan_consolidation),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_free),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_get_summary),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_migrations),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_emptied),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_placement),
    reinterpret_cast<void (*)()>(&agentsched_consolidation_plan_hosts),
    reinterpret_cast<void (*)()>(&agentsched_drf),
    reinterpret_cast<void (*)()>(&agentsched_drf_discrete),
    reinterpret_cast<void (*)()>(&agentsched_max_tasks),
    reinterpret_cast<void (*)()>(&agentsched_max_min_fair),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_options_default),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_problem_new),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_problem_free),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_solve),
    reinterpret_cast<void (*)()>(&agentsched_pack_heterogeneous),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_free),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_get_summary),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_assignment),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_agents_used),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_unplaced),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_shortfalls),
    reinterpret_cast<void (*)()>(&agentsched_hybrid_result_considered),
    reinterpret_cast<void (*)()>(&agentsched_cover_exact),
    reinterpret_cast<void (*)()>(&agentsched_cover_heuristic),
    reinterpret_cast<void (*)()>(&agentsched_vbp_instance_new),
    reinterpret_cast<void (*)()>(&agentsched_vbp_instance_free),
    reinterpret_cast<void (*)()>(&agentsched_vbp_heuristic),
    reinterpret_cast<void (*)()>(&agentsched_vbp_best),
    reinterpret_cast<void (*)()>(&agentsched_vbp_lower_bound),
    reinterpret_cast<void (*)()>(&agentsched_vbp_validate),
    reinterpret_cast<void (*)()>(&agentsched_vbp_packing_bins),
    reinterpret_cast<void (*)()>(&agentsched_vbp_packing_lower_bound),
    reinterpret_cast<void (*)()>(&agentsched_vbp_packing_assignment),
    reinterpret_cast<void (*)()>(&agentsched_vbp_packing_free),
    reinterpret_cast<void (*)()>(&agentsched_holt_winters_forecast),
    reinterpret_cast<void (*)()>(&agentsched_ar_forecast),
    reinterpret_cast<void (*)()>(&agentsched_forecast_metrics),
    reinterpret_cast<void (*)()>(&agentsched_capacity_burst),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_new),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_free),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_last_error),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_observe),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_predict),
    reinterpret_cast<void (*)()>(&agentsched_runtime_estimator_samples),
    reinterpret_cast<void (*)()>(&agentsched_prediction_quantile),
    reinterpret_cast<void (*)()>(&agentsched_rls_new),
    reinterpret_cast<void (*)()>(&agentsched_rls_free),
    reinterpret_cast<void (*)()>(&agentsched_rls_last_error),
    reinterpret_cast<void (*)()>(&agentsched_rls_update),
    reinterpret_cast<void (*)()>(&agentsched_rls_predict),
    reinterpret_cast<void (*)()>(&agentsched_rls_coefficients),
};

int main() {
  for (auto f : EXPORTS) {
    if (f == nullptr) return 1;
  }
  const char *const dims[] = {"cpu", "memory"};
  agentsched_config config{};
  agentsched_dispatcher *d = nullptr;
  if (agentsched_config_default(&config) != AGENTSCHED_STATUS_OK) return 1;
  if (agentsched_dispatcher_new(dims, 2, &config, &d) != AGENTSCHED_STATUS_OK) return 1;
  agentsched_counts counts{};
  agentsched_status s = agentsched_dispatcher_counts(d, &counts);
  agentsched_dispatcher_free(d);
  if (s != AGENTSCHED_STATUS_OK || counts.agents != 0) return 1;
  if (std::strcmp(agentsched_status_str(AGENTSCHED_STATUS_OK), "ok") != 0) return 1;
  const double etc[] = {1.0, 2.0};
  agentsched_etc *h = nullptr;
  agentsched_mapping *m = nullptr;
  double makespan = 0.0;
  if (agentsched_etc_new(1, 2, etc, 2, nullptr, 0, &h) != AGENTSCHED_STATUS_OK) return 1;
  s = agentsched_map_heuristic(h, "mct", &m);
  agentsched_etc_free(h);
  if (s != AGENTSCHED_STATUS_OK) return 1;
  s = agentsched_mapping_makespan(m, &makespan);
  agentsched_mapping_free(m);
  if (s != AGENTSCHED_STATUS_OK || makespan != 1.0) return 1;
  agentsched_task_graph *g = nullptr;
  agentsched_dag *dag = nullptr;
  agentsched_times *t = nullptr;
  if (agentsched_task_graph_new(&g) != AGENTSCHED_STATUS_OK) return 1;
  if (agentsched_task_graph_add_task(g, 1, 2.0) != AGENTSCHED_STATUS_OK) return 1;
  if (agentsched_task_graph_add_task(g, 2, 3.0) != AGENTSCHED_STATUS_OK) return 1;
  if (agentsched_task_graph_add_edge(g, 1, 2, 0.0) != AGENTSCHED_STATUS_OK) return 1;
  s = agentsched_dag_new(g, &dag);
  agentsched_task_graph_free(g);
  if (s != AGENTSCHED_STATUS_OK) return 1;
  s = agentsched_dag_times(dag, AGENTSCHED_DELAYS_NONE, &t);
  // Task 1 fails half the time and a backup takes 4: 0.5 * 2 + 0.5 * 4 = 3.
  const agentsched_backup backup{4.0, 0.0};
  agentsched_fault_spec specs[2]{};
  specs[0].failure = 0.5;
  specs[0].backups = &backup;
  specs[0].backups_len = 1;
  double expected[2] = {0.0, 0.0};
  std::size_t n = 0;
  agentsched_status fs = agentsched_dag_expected_durations(
      dag, specs, 2, AGENTSCHED_FAILURE_MODEL_REPLACEMENT, expected, 2, &n);
  agentsched_dag_free(dag);
  if (s != AGENTSCHED_STATUS_OK || fs != AGENTSCHED_STATUS_OK) return 1;
  if (n != 2 || expected[0] != 3.0 || expected[1] != 3.0) return 1;
  s = agentsched_times_makespan(t, &makespan);
  agentsched_times_free(t);
  if (s != AGENTSCHED_STATUS_OK || makespan != 5.0) return 1;
  std::printf("header_check: C++17 ok (%zu exports, agentsched %s)\n",
              sizeof EXPORTS / sizeof EXPORTS[0], agentsched_version());
  return 0;
}
