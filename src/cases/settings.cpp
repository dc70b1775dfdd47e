// Categories, routing, time limits, the work calendar, and the sweep.
#include <fmt/format.h>

#include <algorithm>

#include "auth/scope_sql.hpp"
#include "cases/service.hpp"
#include "core/clock.hpp"
#include "core/json_fields.hpp"
#include "store/sql.hpp"

namespace linli::cases {
namespace {

std::vector<std::string> roles_at(const std::string& level) {
  if (level == "building") return {"building_head", "unit_head", "party_group_leader"};
  if (level == "grid") return {"grid_worker", "branch_secretary"};
  if (level == "community") return {"community_staff"};
  if (level == "street") return {"street_center"};
  return {"community_staff"};  // department level: the community follows it
}

Status need_settings(const auth::Principal& p) {
  if (!p.can("case.settings"))
    return fail(Error::forbidden("只有管理员和街道指挥中心可以修改办理设置"));
  return {};
}

}  // namespace

Result<CaseService::Limits> CaseService::limits_for(const std::string& type,
                                                    const std::string& urgency,
                                                    std::int64_t category_id) {
  auto rows = db_.query(
      "SELECT * FROM case_limits WHERE case_type = $1 AND urgency = $2 AND (category_id = $3 OR "
      "category_id IS NULL) ORDER BY CASE WHEN category_id IS NULL THEN 1 ELSE 0 END LIMIT 1",
      {type, urgency, category_id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::internal("缺少办理时限设置，请管理员补充"));
  const auto& r = (*rows)[0];
  auto unit = [&](const char* col) {
    return calendar::parse_unit(r.str(col)).value_or(calendar::Unit::workdays);
  };
  return Limits{r.i64("accept_value"), r.i64("contact_value"), r.i64("resolve_value"),
                r.i64("report_value"), r.i64("act_value"),     unit("accept_unit"),
                unit("contact_unit"),  unit("resolve_unit"),   unit("report_unit"),
                unit("act_unit")};
}

Result<std::string> CaseService::route(std::int64_t category_id, const std::string& node_kind) {
  // The category's own rule, then its parent's, then the default level.
  auto rows = db_.query(
      "SELECT r.level, CASE WHEN r.category_id = c.id THEN 0 ELSE 1 END AS rank FROM "
      "case_categories c JOIN case_routing r ON (r.category_id = c.id OR r.category_id = "
      "c.parent_id) AND r.node_kind = $2 WHERE c.id = $1 ORDER BY rank LIMIT 1",
      {category_id, node_kind});
  if (!rows) return fail(rows.error());
  if (!rows->empty()) return (*rows)[0].str("level");
  auto c = db_.one("SELECT default_level FROM case_categories WHERE id = $1", {category_id});
  if (!c) return fail(c.error());
  return c->str("default_level");
}

calendar::Calendar CaseService::work_calendar() {
  std::lock_guard lock(cal_mu_);
  if (!cal_) {
    std::vector<calendar::DayOverride> days;
    if (auto rows = db_.query("SELECT day, kind, name FROM calendar_days"))
      for (const auto& r : *rows)
        days.push_back({r.str("day"), r.str("kind") == "workday", r.str("name")});
    cal_.emplace(days);
  }
  return *cal_;
}

double CaseService::satisfaction_k() {
  auto r = db_.query("SELECT v FROM case_settings WHERE k = 'satisfaction_k'");
  if (!r || r->empty()) return 0.8;
  try {
    return std::stod((*r)[0].str("v"));
  } catch (const std::exception&) {
    return 0.8;
  }
}

Result<std::vector<std::int64_t>> CaseService::users_at_level(store::Tx& tx,
                                                              const std::string& node_path,
                                                              const std::string& level) {
  auto roles = roles_at(level);
  store::Sql q;
  q << "SELECT DISTINCT ra.user_id FROM role_assignments ra JOIN nodes n ON n.id = ra.node_id "
       "WHERE substr("
    << q.bind(node_path) << ", 1, length(n.path)) = n.path AND ra.role IN (";
  for (std::size_t i = 0; i < roles.size(); ++i) q << (i ? ", " : "") << q.bind(roles[i]);
  q << ")";
  auto rows = tx.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  std::vector<std::int64_t> out;
  for (const auto& r : *rows) out.push_back(r.i64("user_id"));
  return out;
}

Result<std::vector<std::int64_t>> CaseService::users_of_org(store::Tx& tx, std::int64_t org_id) {
  auto rows = tx.query("SELECT DISTINCT user_id FROM role_assignments WHERE org_id = $1", {org_id});
  if (!rows) return fail(rows.error());
  std::vector<std::int64_t> out;
  for (const auto& r : *rows) out.push_back(r.i64("user_id"));
  return out;
}

Result<Json> CaseService::categories(bool include_inactive) {
  auto rows = db_.query(
      "SELECT id, parent_id, code, name, default_level, auto_escalate, active FROM "
      "case_categories WHERE active = 1 OR $1 = 1 ORDER BY id",
      {static_cast<std::int64_t>(include_inactive ? 1 : 0)});
  if (!rows) return fail(rows.error());
  Json top = Json::array();
  std::map<std::int64_t, std::size_t> index;
  for (const auto& r : *rows) {
    Json j = {{"id", r.i64("id")},
              {"parent_id", r.is_null("parent_id") ? Json(nullptr) : Json(r.i64("parent_id"))},
              {"code", r.str("code")},
              {"name", r.str("name")},
              {"default_level", r.str("default_level")},
              {"auto_escalate", r.i64("auto_escalate") != 0},
              {"active", r.i64("active") != 0},
              {"children", Json::array()}};
    if (r.is_null("parent_id")) {
      index[r.i64("id")] = top.size();
      top.push_back(std::move(j));
    } else if (auto it = index.find(r.i64("parent_id")); it != index.end()) {
      top[it->second]["children"].push_back(std::move(j));
    }
  }
  return top;
}

Result<Json> CaseService::settings(const auth::Principal& p) {
  if (!p.can("case.dispatch") && !p.can("case.settings")) return fail(Error::forbidden());
  auto cats = categories(true);
  if (!cats) return fail(cats.error());
  Json out = {{"categories", *cats}};
  auto limits = db_.query("SELECT * FROM case_limits ORDER BY id");
  if (!limits) return fail(limits.error());
  out["limits"] = Json::array();
  for (const auto& r : *limits) {
    Json j = {
        {"case_type", r.str("case_type")},
        {"case_type_name", type_name(r.str("case_type"))},
        {"urgency", r.str("urgency")},
        {"category_id", r.is_null("category_id") ? Json(nullptr) : Json(r.i64("category_id"))}};
    for (const char* k : {"accept", "contact", "resolve", "report", "act"})
      j[k] = {{"value", r.i64(std::string(k) + "_value")},
              {"unit", r.str(std::string(k) + "_unit")}};
    out["limits"].push_back(j);
  }
  auto routing = db_.query(
      "SELECT r.category_id, c.name, r.node_kind, r.level FROM case_routing r JOIN "
      "case_categories c ON c.id = r.category_id ORDER BY r.id");
  if (!routing) return fail(routing.error());
  out["routing"] = Json::array();
  for (const auto& r : *routing)
    out["routing"].push_back({{"category_id", r.i64("category_id")},
                              {"category_name", r.str("name")},
                              {"node_kind", r.str("node_kind")},
                              {"level", r.str("level")}});
  auto days = db_.query("SELECT day, kind, name FROM calendar_days ORDER BY day");
  if (!days) return fail(days.error());
  out["calendar"] = Json::array();
  for (const auto& r : *days)
    out["calendar"].push_back(
        {{"day", r.str("day")}, {"kind", r.str("kind")}, {"name", r.str("name")}});
  auto kv = db_.query("SELECT k, v FROM case_settings ORDER BY k");
  if (!kv) return fail(kv.error());
  out["settings"] = Json::object();
  for (const auto& r : *kv) out["settings"][r.str("k")] = std::atof(r.str("v").c_str());
  return out;
}

Status CaseService::put_limits(const auth::Principal& p, const Json& rows, const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return s;
  if (!rows.is_array() || rows.empty() || rows.size() > 200)
    return fail(Error::invalid("时限设置应为1到200行的列表"));
  std::vector<FieldError> errs;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    auto field = fmt::format("limits[{}]", i);
    if (!r.is_object() || !r.contains("case_type") || !r["case_type"].is_string() ||
        !r.contains("urgency") || !r["urgency"].is_string() ||
        std::find(kTypes.begin(), kTypes.end(), r["case_type"].get<std::string>()) ==
            kTypes.end() ||
        std::find(kUrgencies.begin(), kUrgencies.end(), r["urgency"].get<std::string>()) ==
            kUrgencies.end()) {
      errs.push_back({field, "事项类型或紧急程度不正确"});
      continue;
    }
    for (const char* k : {"accept", "contact", "resolve", "report", "act"}) {
      const auto& v = r.value(k, Json());
      if (!v.is_object() || !v.contains("value") || !v["value"].is_number_integer() ||
          v["value"].get<std::int64_t>() < 0 || v["value"].get<std::int64_t>() > 1000 ||
          !v.contains("unit") || !v["unit"].is_string() ||
          !calendar::parse_unit(v["unit"].get<std::string>()))
        errs.push_back({field + "." + k, "时限应为0到1000的整数，单位为 hours 或 workdays"});
    }
  }
  if (!errs.empty()) return fail(Error::invalid("请检查时限设置", errs));
  return db_.write([&](store::Tx& tx) -> Status {
    if (auto d = tx.exec("DELETE FROM case_limits"); !d) return fail(d.error());
    for (const auto& r : rows) {
      store::Params params = {r["case_type"].get<std::string>(), r["urgency"].get<std::string>(),
                              r.contains("category_id") && r["category_id"].is_number_integer()
                                  ? store::Value{r["category_id"].get<std::int64_t>()}
                                  : store::null()};
      for (const char* k : {"accept", "contact", "resolve", "report", "act"}) {
        params.push_back(r[k]["value"].get<std::int64_t>());
        params.push_back(r[k]["unit"].get<std::string>());
      }
      auto ins = tx.exec(
          "INSERT INTO case_limits (case_type, urgency, category_id, accept_value, accept_unit, "
          "contact_value, contact_unit, resolve_value, resolve_unit, report_value, report_unit, "
          "act_value, act_unit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
          params);
      if (!ins) {
        if (ins.error().kind == ErrorKind::conflict)
          return fail(Error::invalid("同一类型、紧急程度和分类只能设置一行时限"));
        return fail(ins.error());
      }
    }
    return auth::record(tx, by, {"case.settings.limits", "case_limits", 0, "", "修改办理时限"});
  });
}

Status CaseService::put_routing(const auth::Principal& p, const Json& rows, const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return s;
  if (!rows.is_array() || rows.size() > 1000) return fail(Error::invalid("分派规则应为列表"));
  static const std::vector<std::string> kinds = {"district", "street",   "community",
                                                 "grid",     "building", "unit"};
  for (const auto& r : rows)
    if (!r.is_object() || !r.contains("category_id") || !r["category_id"].is_number_integer() ||
        !r.contains("node_kind") || !r["node_kind"].is_string() ||
        std::find(kinds.begin(), kinds.end(), r["node_kind"].get<std::string>()) == kinds.end() ||
        !r.contains("level") || !r["level"].is_string() ||
        level_rank(r["level"].get<std::string>()) < 0 ||
        level_rank(r["level"].get<std::string>()) > 3)
      return fail(
          Error::invalid("每条分派规则需要分类、位置类型和层级（building/grid/community/street）"));
  return db_.write([&](store::Tx& tx) -> Status {
    if (auto d = tx.exec("DELETE FROM case_routing"); !d) return fail(d.error());
    for (const auto& r : rows) {
      auto ins = tx.exec(
          "INSERT INTO case_routing (category_id, node_kind, level) VALUES ($1, $2, $3) ON "
          "CONFLICT (category_id, node_kind) DO UPDATE SET level = excluded.level",
          {r["category_id"].get<std::int64_t>(), r["node_kind"].get<std::string>(),
           r["level"].get<std::string>()});
      if (!ins) {
        if (ins.error().kind == ErrorKind::conflict) return fail(Error::invalid("分类不存在"));
        return fail(ins.error());
      }
    }
    return auth::record(tx, by, {"case.settings.routing", "case_routing", 0, "", "修改分派规则"});
  });
}

Status CaseService::put_settings(const auth::Principal& p, const Json& obj, const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return s;
  static const std::map<std::string, std::pair<double, double>> allowed = {
      {"satisfaction_k", {0, 1}},
      {"rating_window_days", {1, 60}},
      {"near_due_fraction", {0.5, 0.99}}};
  if (!obj.is_object()) return fail(Error::invalid("设置应为JSON对象"));
  std::vector<FieldError> errs;
  for (const auto& [k, v] : obj.items()) {
    auto it = allowed.find(k);
    if (it == allowed.end())
      errs.push_back({k, "未知的设置项"});
    else if (!v.is_number() || v.get<double>() < it->second.first ||
             v.get<double>() > it->second.second)
      errs.push_back({k, fmt::format("应为{}到{}之间的数", it->second.first, it->second.second)});
  }
  if (!errs.empty()) return fail(Error::invalid("请检查设置", errs));
  return db_.write([&](store::Tx& tx) -> Status {
    for (const auto& [k, v] : obj.items()) {
      auto r = tx.exec(
          "INSERT INTO case_settings (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = "
          "excluded.v",
          {k, fmt::format("{}", v.get<double>())});
      if (!r) return fail(r.error());
    }
    return auth::record(tx, by, {"case.settings", "case_settings", 0, "", "修改诉求办理设置"});
  });
}

Result<Json> CaseService::add_category(const auth::Principal& p, const Json& body,
                                       const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return fail(s.error());
  Fields f(body);
  auto code = f.text("code", "分类代码", 40);
  auto name = f.text("name", "分类名称", 30);
  auto parent = f.integer("parent_id", "上级分类", false, 1);
  auto level =
      f.one_of("default_level", "默认层级", {"building", "grid", "community", "street"}, false);
  auto escalate = f.boolean("auto_escalate", "超期自动提级", false);
  if (code &&
      code->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos)
    f.add("code", "分类代码只能包含小写字母、数字、点、下划线和短横线");
  if (!f.ok()) return fail(f.error());
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.one(
        "INSERT INTO case_categories (parent_id, code, name, default_level, auto_escalate) VALUES "
        "($1, $2, $3, $4, $5) RETURNING id",
        {parent ? store::Value{*parent} : store::null(), *code, *name,
         level && !level->empty() ? *level : std::string("grid"),
         static_cast<std::int64_t>(escalate.value_or(false) ? 1 : 0)});
    if (!r) {
      if (r.error().kind == ErrorKind::conflict)
        return fail(
            Error::invalid("请检查填写的内容", {{"code", "分类代码已存在，或上级分类不存在"}}));
      return fail(r.error());
    }
    id = r->i64("id");
    return auth::record(
        tx, by, {"case.settings.category", "case_category", id, "", "新增诉求分类 " + *name});
  });
  if (!w) return fail(w.error());
  return Json{{"id", id}};
}

Status CaseService::change_category(const auth::Principal& p, std::int64_t id, const Json& body,
                                    const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return s;
  Fields f(body);
  auto name = f.text("name", "分类名称", 30, false);
  auto level =
      f.one_of("default_level", "默认层级", {"building", "grid", "community", "street"}, false);
  auto escalate = f.boolean("auto_escalate", "超期自动提级", false);
  auto active = f.boolean("active", "启用", false);
  if (!f.ok()) return fail(f.error());
  auto exists = db_.query("SELECT id FROM case_categories WHERE id = $1", {id});
  if (!exists) return fail(exists.error());
  if (exists->empty()) return fail(Error::not_found());
  return db_.write([&](store::Tx& tx) -> Status {
    store::Sql q;
    q << "UPDATE case_categories SET id = id";
    if (name && !name->empty()) q << ", name = " << q.bind(*name);
    if (level && !level->empty()) q << ", default_level = " << q.bind(*level);
    if (escalate) q << ", auto_escalate = " << q.bind(static_cast<std::int64_t>(*escalate ? 1 : 0));
    if (active) q << ", active = " << q.bind(static_cast<std::int64_t>(*active ? 1 : 0));
    q << " WHERE id = " << q.bind(id);
    if (auto r = tx.exec(q.text, q.params); !r) return fail(r.error());
    return auth::record(tx, by,
                        {"case.settings.category", "case_category", id, "", "修改诉求分类"});
  });
}

Result<int> CaseService::load_calendar(const auth::Principal& p, std::string_view csv,
                                       const auth::Actor& by) {
  if (auto s = need_settings(p); !s) return fail(s.error());
  auto days = calendar::parse_csv(csv);
  if (!days) return fail(days.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    for (const auto& d : *days) {
      auto r = tx.exec(
          "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) ON CONFLICT (day) DO "
          "UPDATE SET kind = excluded.kind, name = excluded.name",
          {d.day, std::string(d.workday ? "workday" : "holiday"), d.name});
      if (!r) return fail(r.error());
    }
    return auth::record(tx, by,
                        {"case.settings.calendar", "calendar_days", 0, "",
                         fmt::format("载入工作日历{}天", days->size())});
  });
  if (!w) return fail(w.error());
  std::lock_guard lock(cal_mu_);
  cal_.reset();  // deadlines set from now on use the new days
  return static_cast<int>(days->size());
}

// ---- the sweep ----

Result<int> CaseService::sweep(std::int64_t now) {
  auto near_frac = 0.8;
  if (auto r = db_.query("SELECT v FROM case_settings WHERE k = 'near_due_fraction'");
      r && !r->empty())
    near_frac = std::atof((*r)[0].str("v").c_str());
  int window_days = 7;
  if (auto r = db_.query("SELECT v FROM case_settings WHERE k = 'rating_window_days'");
      r && !r->empty())
    window_days = std::max(1, std::atoi((*r)[0].str("v").c_str()));
  // Only the cases due a flag now: past their deadline, or unwarned and past
  // the warning's share of their time. The partial index cases_sweep_due
  // (migration 0024) holds the open cases not yet flagged overdue with the
  // columns this test reads, so the rows read are the ones flagged; before it
  // every open case's row was read (10M cases: 219,534 rows, ~355M
  // instructions a minute). The loop below decides; the SQL test is the same
  // but for the rounding (+ 1 ms keeps it from missing any).
  const bool sqlite = db_.kind() == store::Kind::sqlite;
  auto due = db_.query(
      std::string("SELECT c.id, c.created_at, c.resolve_due, c.near_due_notified, "
                  "c.overdue_notified, cat.auto_escalate FROM cases c") +
          (sqlite ? " INDEXED BY cases_sweep_due" : "") +
          " JOIN case_categories cat ON cat.id = +c.category_id WHERE (c.state = 'accepted' OR "
          "c.state = 'assigned' OR c.state = 'in_progress') AND c.resolve_due IS NOT NULL AND "
          "c.overdue_notified = 0 "
          "AND (c.resolve_due <= $1 OR (c.near_due_notified = 0 AND c.created_at + "
          "(c.resolve_due - c.created_at) * CAST($2 AS DOUBLE PRECISION) <= $3)) ORDER BY "
          "c.resolve_due LIMIT 5000",
      {now, near_frac, now + 1});
  if (!due) return fail(due.error());
  auto system = auth::Actor::named("系统");
  int touched = 0;
  std::vector<Json> pending;
  for (const auto& r : *due) {
    auto id = r.i64("id");
    auto start = r.i64("created_at"), end = r.i64("resolve_due");
    bool overdue = now >= end;
    bool near = !overdue && !r.i64("near_due_notified") &&
                now >= start + static_cast<std::int64_t>((end - start) * near_frac);
    if (!overdue && !near) continue;
    bool escalate = overdue && r.i64("auto_escalate");
    auto w = db_.write([&](store::Tx& tx) -> Status {
      pending.clear();
      auto c = load_in(tx, id);
      if (!c) return fail(c.error());
      auto col = overdue ? "overdue_notified" : "near_due_notified";
      // Every node sweeps: the flag is claimed here, so a case another node's
      // sweep already flagged is not announced twice.
      auto u =
          tx.exec(fmt::format("UPDATE cases SET {0} = 1 WHERE id = $1 AND {0} = 0", col), {id});
      if (!u) return fail(u.error());
      if (u->changes == 0) return {};
      if (auto e = event(tx, *c, system, overdue ? "overdue" : "near_due", "", "", "", 0, false);
          !e)
        return e;
      auto users = users_at_level(tx, c->node_path, c->level);
      if (!users) return fail(users.error());
      if (auto n = notifier_.add(tx, *users,
                                 {overdue ? "overdue" : "near_due", id,
                                  (overdue ? "已超期：" : "即将到期：") + c->title, c->code},
                                 pending);
          !n)
        return n;
      auto next = level_rank(c->level) >= 0 && level_rank(c->level) < 3
                      ? kLevels[level_rank(c->level) + 1]
                      : "";
      if (escalate && !next.empty()) {
        auto lnode = level_node(c->node_path, next);
        if (!lnode) return fail(lnode.error());
        if (auto u = tx.exec("UPDATE cases SET state = 'assigned', level = $1, level_node_id = $2, "
                             "escalation_count = escalation_count + 1, handler_user_id = NULL, "
                             "updated_at = $3 WHERE id = $4",
                             {next, *lnode, now, id});
            !u)
          return fail(u.error());
        if (auto e = event(tx, *c, system, "auto_escalate", "assigned", next, "超期自动提级"); !e)
          return e;
        auto up = users_at_level(tx, c->node_path, next);
        if (!up) return fail(up.error());
        if (auto n = notifier_.add(tx, *up, {"assignment", id, "超期提级：" + c->title, c->code},
                                   pending);
            !n)
          return n;
      }
      return {};
    });
    if (!w) return fail(w.error());
    notifier_.flush(pending);
    ++touched;
  }
  // Not rated within the window after verification: closed as not rated.
  auto stale = db_.query(
      "SELECT c.id FROM cases c WHERE c.state = 'follow_up' AND (SELECT max(e.at) FROM "
      "case_events e WHERE e.case_id = c.id AND e.action = 'verify_pass') < $1 LIMIT 5000",
      {now - window_days * 86400000LL});
  if (!stale) return fail(stale.error());
  for (const auto& r : *stale) {
    auto id = r.i64("id");
    auto w = db_.write([&](store::Tx& tx) -> Status {
      auto c = load_in(tx, id);
      if (!c) return fail(c.error());
      if (c->state != "follow_up") return {};
      if (auto u = tx.exec("UPDATE cases SET state = 'closed', closed_at = $1, closed_level = "
                           "level, close_reason = 'not_rated', updated_at = $1 WHERE id = $2",
                           {now, id});
          !u)
        return fail(u.error());
      return event(tx, *c, system, "auto_close", "closed", "",
                   fmt::format("{}天内未评价，按未评价结案", window_days));
    });
    if (!w) return fail(w.error());
    ++touched;
  }
  return touched;
}

}  // namespace linli::cases
