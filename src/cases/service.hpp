// The rules of the closed loop: intake, routing to the lowest level that can
// solve a case, the state machine, 吹哨报到, deadlines on the work calendar,
// the sweep that flags and escalates, follow-up. Every call takes the caller
// and checks permission and scope itself.
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/audit.hpp"
#include "auth/principal.hpp"
#include "cases/model.hpp"
#include "core/calendar.hpp"
#include "notify/service.hpp"
#include "store/db.hpp"
#include "store/sql.hpp"

namespace linli::cases {

using Json = nlohmann::json;

class CaseService {
 public:
  CaseService(store::Db& db, notify::Notifier& notifier) : db_(db), notifier_(notifier) {}

  // Photos: stored once by content hash. Only JPEG, PNG and WebP, ≤ 5 MiB.
  Result<Json> put_blob(std::string_view bytes);
  // The image, if the caller may see a case that shows it.
  Result<std::pair<std::string, std::string>> get_blob(const auth::Principal& p,
                                                       const std::string& sha256);

  // What registering a case tells its caller at once; the case itself is
  // read with detail() or get() (not re-read here: intake's page reads it).
  struct Registered {
    std::int64_t id = 0;
    std::string code;
    std::int64_t accept_due = 0;
  };
  Result<Registered> create(const auth::Principal& p, const CaseInput& in, const auth::Actor& by);
  // Several cases from one meeting, all or nothing.
  Result<std::vector<Case>> create_batch(const auth::Principal& p, const std::vector<CaseInput>& in,
                                         const auth::Actor& by);
  Result<Case> get(const auth::Principal& p, std::int64_t id);
  // Case + timeline, photos, whistles and the actions the caller may take,
  // as JSON text.
  Result<std::string> detail(const auth::Principal& p, std::int64_t id);
  // The cases the caller may see that pass the filter, newest first, up to
  // f.limit + 1 (the extra one says another page follows): whole cases
  // (exports, the duplicates check) …
  Result<std::vector<Case>> list(const auth::Principal& p, const CaseFilter& f);
  // … or `columns` (a select list over `c`, the case, and `cat`, its
  // category) handed to `row` where they lie (Open311's public list). A
  // wider way of finding them may follow a narrower one: `restart` is
  // called before each way, and its rows replace those handed out before …
  Status list_each(const auth::Principal& p, const CaseFilter& f, const char* columns,
                   const std::function<void()>& restart, const store::EachRow& row);
  // … or a page of f.limit summaries written as they are read (the list,
  // search and "my cases").
  Result<ListPage> list_page(const auth::Principal& p, const CaseFilter& f);
  // Open cases at the caller's levels in scope, soonest deadline first.
  Result<QueuePage> queue(const auth::Principal& p, int limit,
                          const std::optional<QueueCursor>& after = std::nullopt);
  // Open cases near a new report: same grid and category, last 30 days,
  // with similar words; each with a similarity in [0,1].
  Result<Json> duplicates(const auth::Principal& p, std::int64_t node_id, std::int64_t category_id,
                          const std::string& text);

  // One step of the state machine; 409 naming the current state when the
  // step is not allowed now, 403/404 when the caller may not take it.
  Result<Case> act(const auth::Principal& p, std::int64_t id, const std::string& action,
                   const ActionInput& in, const auth::Actor& by);
  Result<Case> whistle(const auth::Principal& p, std::int64_t id,
                       const std::vector<std::int64_t>& org_ids, std::int64_t lead_org,
                       const std::string& note, const auth::Actor& by);
  // A department's step on a whistle: report, arrive, act, return.
  Result<Case> whistle_step(const auth::Principal& p, std::int64_t id, std::int64_t org_id,
                            const std::string& step, const std::string& note,
                            const auth::Actor& by);
  std::vector<std::string> allowed_actions(const auth::Principal& p, const Case& c);

  // Flags cases near their deadline and overdue, notifies, auto-escalates
  // where the category says so, closes unrated cases after the window.
  // Returns how many cases it touched.
  Result<int> sweep(std::int64_t now_ms);

  // Settings
  // The category tree; settings pages also see switched-off ones.
  Result<Json> categories(bool include_inactive = false);
  Result<Json> settings(const auth::Principal& p);
  Status put_limits(const auth::Principal& p, const Json& rows, const auth::Actor& by);
  Status put_routing(const auth::Principal& p, const Json& rows, const auth::Actor& by);
  Status put_settings(const auth::Principal& p, const Json& obj, const auth::Actor& by);
  // Adds a category (under parent_id, or top-level) or changes one: name,
  // default level, auto-escalation on overdue, active. Codes never change:
  // Open311 clients know services by them.
  Result<Json> add_category(const auth::Principal& p, const Json& body, const auth::Actor& by);
  Status change_category(const auth::Principal& p, std::int64_t id, const Json& body,
                         const auth::Actor& by);
  // Loads a year's holidays and make-up days (docs/CALENDAR.md); the days in
  // the file replace what was stored for them. Returns the count.
  Result<int> load_calendar(const auth::Principal& p, std::string_view csv, const auth::Actor& by);
  calendar::Calendar work_calendar();
  double satisfaction_k();
  // How many of the newest case ids a wide scope's list page looks through
  // before it reads its scope's indexes instead (list_page). Tests make it
  // small to reach both ways.
  void set_list_window(std::int64_t ids) { list_window_.store(ids, std::memory_order_relaxed); }

 private:
  // How the list finds its cases (list_sql, list_page).
  // period_span (SQLite): the whole city's period, walked newest id first
  // between the least and the greatest id created in it.
  enum class ListPlan { one_pass, ids_first, newest_window, period_span };
  // The newest window's least id: a number, or SQL that subtracts the
  // window (bound after it) from the newest id.
  struct WindowBound {
    std::int64_t id = 0;
    std::string sql;
  };
  Result<WindowBound> window_least(const CaseFilter& f, std::int64_t window);
  // Whether a period's window may be walked as a state's is (list_sql).
  Result<bool> window_in_period(const CaseFilter& f, std::int64_t least);
  // The list's statement, selecting `columns`.
  // `window`: how many of the newest ids ListPlan::newest_window reads.
  Result<store::Sql> list_sql(const auth::Principal& p, const CaseFilter& f, const char* columns,
                              ListPlan plan, std::int64_t window = 0);
  // The index that finds a subtree's cases for the list's filters (SQLite).
  static const char* subtree_index(const CaseFilter& f, std::string_view within);
  // The index whose entries hold a street's or a community's cases newest
  // first (migration 0027), when the list's filters can be checked on
  // its entries; nullptr otherwise.
  static const char* newest_index(const CaseFilter& f, std::string_view within);
  // The filter's conditions on c but the node's, each starting " AND ".
  std::string list_filters(store::Sql& q, const auth::Principal& p, const CaseFilter& f);
  // Whether a wide scope's state or level alone has fewer than `cap` index
  // entries: then its ids are sought at once, without the windows.
  bool few_to_seek(const auth::Principal& p, const CaseFilter& f, std::int64_t cap);
  // Whether the list reads its ids first (ListPlan::ids_first) or its rows
  // in one pass.
  static bool by_ids(const auth::Principal& p, const CaseFilter& f);
  // The ways a list tries in turn, with their windows: each but the last
  // answers only when it finds more than f.limit cases (list_page).
  std::vector<std::pair<ListPlan, std::int64_t>> list_plans(const auth::Principal& p,
                                                            const CaseFilter& f);
  Result<ListPage> list_rows(const auth::Principal& p, const CaseFilter& f, ListPlan plan,
                             std::int64_t window = 0);
  struct Limits {
    std::int64_t accept, contact, resolve, report, act;
    calendar::Unit accept_u, contact_u, resolve_u, report_u, act_u;
  };
  Result<Case> load(std::int64_t id);
  Result<Case> load_in(store::Tx& tx, std::int64_t id);
  Status can_read(const auth::Principal& p, const Case& c);
  bool handles(const auth::Principal& p, const Case& c);
  bool dispatches(const auth::Principal& p, const Case& c);
  Result<Limits> limits_for(const std::string& type, const std::string& urgency,
                            std::int64_t category_id);
  Result<std::string> route(std::int64_t category_id, const std::string& node_kind);
  Result<std::int64_t> level_node(const std::string& node_path, const std::string& level);
  Result<Case> step(const auth::Principal& p, std::int64_t id, const std::string& action,
                    const ActionInput& in, const auth::Actor& by);
  Status event(store::Tx& tx, const Case& c, const auth::Actor& by, const std::string& action,
               const std::string& to_state, const std::string& to_level, const std::string& note,
               std::int64_t org_id = 0, bool is_public = true);
  Result<std::vector<std::int64_t>> users_at_level(store::Tx& tx, const std::string& node_path,
                                                   const std::string& level);
  Result<std::vector<std::int64_t>> users_of_org(store::Tx& tx, std::int64_t org_id);
  // Where a new case happens, as validate() found it (the node's path and name).
  struct Place {
    std::string path, name;
    // A resident reporting: their name and sealed phone, read with their
    // household by validate() so intake reads their row once.
    std::string reporter_name, reporter_phone_enc;
  };
  Result<Place> validate(const auth::Principal& p, CaseInput& in);
  // A new case as insert() writes it: everything it needs is read and
  // computed before the write, so the single writer only writes.
  struct Intake {
    const CaseInput* in = nullptr;
    std::string path, address, reporter_name, phone_sealed, phone_mask;
    std::int64_t resident = 0, user = 0, now = 0, accept_due = 0, resolve_due = 0;
    std::vector<std::int64_t> dispatchers;  // who hears of it: accepters at the place
  };
  Result<Intake> prepare_intake(const auth::Principal& p, const CaseInput& in, const Place& place);
  Result<Registered> insert(store::Tx& tx, const Intake& k, const auth::Actor& by,
                            std::vector<Json>& pending);

  store::Db& db_;
  notify::Notifier& notifier_;
  // ~4 ms of reading at most when it does not fill a page; fills one for a
  // scope that holds at least 1 case in 160 (a street of 33 does).
  std::atomic<std::int64_t> list_window_ = 8192;
  std::mutex cal_mu_;
  std::optional<calendar::Calendar> cal_;
};

// What a list shows of a case. The object (detail, duplicates) and the text
// (lists and the queue, written without building objects) hold the same
// members; tests/case_summary_test.cpp compares them.
Json case_summary_json(const Case& c, std::int64_t now_ms);
// A JSON array of summaries appended to out.
void append_case_summaries(std::string& out, std::span<const Case> list, std::int64_t now_ms);
// The queue page from the summaries of up to limit + 1 cases as read:
// `text` is "[" and their objects separated by commas, `rows` says where
// each lies. Puts them in deadline order if they are not (they are, in
// practice), keeps the first `limit` and, when a case was left over, says
// where the next page starts. The list uses it too, newest first: its rows'
// `due` is -id.
QueuePage page_in_order(std::string text, std::vector<PageRow> rows, std::size_t limit);

}  // namespace linli::cases
