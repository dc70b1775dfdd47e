// KPIs of the closed loop (诉求办理考核指标) for a subtree and a period, as a
// leader reads them in a monthly report. Every definition — formula,
// numerator, denominator, period rule — is in docs/KPIS.md; this header only
// promises the shape.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/db.hpp"

namespace linli::cases {

struct KpiQuery {
  std::string root_path;                // materialised path of the subtree root, "/1/4/"
  std::int64_t from_ms = 0, to_ms = 0;  // the period [from, to), UTC ms
  // 基本满意 weight in the satisfaction rate; unset: case_settings
  // 'satisfaction_k', else 0.8.
  std::optional<double> k;
  // "Now" for deadlines still running: a case whose deadline lies after as_of
  // and whose step is not done yet is left out of that rate's denominator
  // (counted as pending). 0: the wall clock. Tests pin it.
  std::int64_t as_of_ms = 0;
};

// Builds a query from the API's Shanghai calendar days (YYYY-MM-DD, both
// inclusive): from 00:00 of from_ymd to 24:00 of to_ymd. An empty from_ymd
// means the first day of to's month, an empty to_ymd today (Shanghai).
// Invalid dates or to < from answer invalid naming the field.
Result<KpiQuery> kpi_query(std::string root_path, std::string_view from_ymd,
                           std::string_view to_ymd);

// Computes every KPI for cases located in the subtree at root_path (must
// already be authorised by the caller) over the period: a few aggregate
// queries, nothing loaded case by case. Rates are numbers in [0,1] rounded to
// 4 places, or null when their denominator is 0; "counts" holds every
// numerator and denominator. Invalid when root_path is not a path or the
// period is empty.
Result<nlohmann::json> compute_kpis(store::Db& db, const KpiQuery& q);

// Recomputes the KPI roll-ups (migration 0010) from every case and whistle:
// the full recount. `linli gen` calls it after its bulk load (which bypasses
// the triggers); tests compare it with what the triggers kept.
Status rebuild_kpi_rollups(store::Db& db);

// PostgreSQL's roll-up triggers append a delta row per change; this sums the
// deltas of up to max_keys roll-up keys into one row each (the totals do not
// change), so a year's KPI read stays about 365 rows. Returns the number of
// keys compacted. SQLite keeps one row per key already: nothing to do.
Result<std::int64_t> compact_kpi_rollups(store::Db& db, std::int64_t max_keys);

}  // namespace linli::cases
