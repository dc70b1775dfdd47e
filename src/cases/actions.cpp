// The state machine (docs/CASES.md): which step may follow which, who may
// take it, and what it changes. Every step is one transaction with its
// timeline row, audit row and notifications.
#include <fmt/format.h>

#include <algorithm>

#include "auth/scope_sql.hpp"
#include "cases/service.hpp"
#include "core/clock.hpp"
#include "core/validate.hpp"
#include "points/service.hpp"

namespace linli::cases {
namespace {

enum class Who { dispatcher, handler, handler_or_dispatcher, reporter, suspender, reader };

struct Rule {
  const char* action;
  std::vector<std::string> from;
  Who who;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {"accept", {"submitted"}, Who::dispatcher},
      {"reject", {"submitted"}, Who::dispatcher},
      {"merge", {"submitted", "accepted"}, Who::dispatcher},
      {"dispatch", {"accepted"}, Who::dispatcher},
      {"start", {"assigned"}, Who::handler},
      {"resolve", {"in_progress"}, Who::handler},
      {"return", {"assigned", "in_progress"}, Who::handler},
      {"escalate", {"accepted", "assigned", "in_progress"}, Who::handler_or_dispatcher},
      {"deescalate", {"assigned", "in_progress"}, Who::dispatcher},
      {"verify", {"resolved"}, Who::dispatcher},
      {"suspend", {"assigned", "in_progress"}, Who::suspender},
      {"resume", {"suspended"}, Who::suspender},
      {"rate", {"follow_up"}, Who::reporter},
      {"phone_followup", {"follow_up"}, Who::dispatcher},
      {"comment", {}, Who::reader},
  };
  return r;
}

const Rule* find_rule(const std::string& action) {
  for (const auto& r : rules())
    if (action == r.action) return &r;
  return nullptr;
}

bool from_ok(const Rule& r, const std::string& state) {
  return r.from.empty() || std::find(r.from.begin(), r.from.end(), state) != r.from.end();
}

Error wrong_state(const Case& c, const std::string& action) {
  return Error::conflict(fmt::format("当前状态为“{}”，不能执行“{}”", state_name(c.state),
                                     action_name(action == "verify" ? "verify_pass" : action)));
}

std::string next_level(const std::string& level) {
  auto r = level_rank(level);
  return r >= 0 && r < 3 ? kLevels[r + 1] : "";
}

}  // namespace

std::vector<std::string> CaseService::allowed_actions(const auth::Principal& p, const Case& c) {
  std::vector<std::string> out;
  bool dispatcher = dispatches(p, c), handler = handles(p, c);
  bool suspender = p.can("case.suspend") && auth::authorize(p, "case.suspend", c.node_path);
  bool staff = p.can("case.read") && auth::authorize(p, "case.read", c.node_path);
  for (const auto& r : rules()) {
    if (!from_ok(r, c.state)) continue;
    bool ok = false;
    switch (r.who) {
      case Who::dispatcher:
        ok = dispatcher;
        break;
      case Who::handler:
        ok = handler;
        break;
      case Who::handler_or_dispatcher:
        ok = handler || dispatcher;
        break;
      case Who::reporter:
        ok = c.reporter_user_id == p.user_id;
        break;
      case Who::suspender:
        ok = suspender;
        break;
      case Who::reader:
        ok = staff || handler;
        break;
    }
    if (r.who == Who::handler_or_dispatcher && next_level(c.level).empty()) ok = false;
    if (std::string(r.action) == "deescalate" && level_rank(c.level) <= 0) ok = false;
    if (ok) out.push_back(r.action);
  }
  if ((c.state == "assigned" || c.state == "in_progress") && p.can("case.whistle") &&
      auth::authorize(p, "case.whistle", c.node_path))
    out.push_back("whistle");
  return out;
}

Status CaseService::event(store::Tx& tx, const Case& c, const auth::Actor& by,
                          const std::string& action, const std::string& to_state,
                          const std::string& to_level, const std::string& note, std::int64_t org_id,
                          bool is_public) {
  return tx.send(
      "INSERT INTO case_events (case_id, at, actor_user_id, actor_name, action, from_state, "
      "to_state, from_level, to_level, org_id, note, public) VALUES ($1, $2, $3, $4, $5, $6, $7, "
      "$8, $9, $10, $11, $12)",
      {c.id, clock::now_ms(), by.user_id ? store::Value{by.user_id} : store::null(),
       by.display_name.empty() ? by.username : by.display_name, action, c.state,
       to_state.empty() ? c.state : to_state, c.level, to_level.empty() ? c.level : to_level,
       org_id ? store::Value{org_id} : store::null(), note,
       static_cast<std::int64_t>(is_public ? 1 : 0)});
}

Result<Case> CaseService::act(const auth::Principal& p, std::int64_t id, const std::string& action,
                              const ActionInput& in, const auth::Actor& by) {
  if (!find_rule(action)) return fail(Error::not_found("没有这个办理操作"));
  return step(p, id, action, in, by);
}

Result<Case> CaseService::step(const auth::Principal& p, std::int64_t id, const std::string& action,
                               const ActionInput& in, const auth::Actor& by) {
  const Rule& rule = *find_rule(action);
  auto pre = get(p, id);
  if (!pre) return fail(pre.error());
  auto allowed = [&](const Case& c) {
    auto acts = allowed_actions(p, c);
    return std::find(acts.begin(), acts.end(), action) != acts.end();
  };
  // Who first (403), then the state (409): a resident pressing "accept" is
  // refused for who they are, a handler pressing it twice for the state.
  Case probe = *pre;
  if (!rule.from.empty()) probe.state = rule.from.front();
  if (!allowed(probe)) {
    if (action == "escalate" && next_level(pre->level).empty())
      return fail(Error::conflict("已是街道层级，请通过“吹哨”请职能部门报到"));
    return fail(Error::forbidden("您不能对此诉求执行该操作"));
  }
  auto need = [&](const std::string& v, const char* field, const char* msg) -> Status {
    if (v.empty() || validate::utf8_length(v).value_or(10000) > 1000)
      return fail(Error::invalid("请检查填写的内容", {{field, msg}}));
    return {};
  };
  if (action == "reject" || action == "return" || action == "escalate" || action == "deescalate" ||
      action == "suspend")
    if (auto s = need(in.reason, "reason", "请填写原因（不超过1000字）"); !s)
      return fail(s.error());
  if (action == "resolve" || action == "comment")
    if (auto s = need(in.note, "note", "请填写办理情况（不超过1000字）"); !s)
      return fail(s.error());
  if (action == "verify" && !in.passed)
    return fail(Error::invalid("请检查填写的内容", {{"passed", "请选择核查是否通过"}}));
  if (action == "verify" && !*in.passed)
    if (auto s = need(in.reason, "reason", "请填写返工原因"); !s) return fail(s.error());
  if (action == "rate" || action == "phone_followup") {
    if (!in.solved)
      return fail(Error::invalid("请检查填写的内容", {{"solved", "请选择问题是否已解决"}}));
    if (in.rating != "satisfied" && in.rating != "basic" && in.rating != "unsatisfied")
      return fail(Error::invalid("请检查填写的内容", {{"rating", "请选择满意、基本满意或不满意"}}));
    if (validate::utf8_length(in.comment).value_or(10000) > 500)
      return fail(Error::invalid("请检查填写的内容", {{"comment", "评价不能超过500字"}}));
  }
  if (in.photos.size() > 9)
    return fail(Error::invalid("请检查填写的内容", {{"photos", "最多9张照片"}}));
  std::string target_level;
  if (action == "escalate") {
    target_level = in.level.empty() ? next_level(pre->level) : in.level;
    if (level_rank(target_level) <= level_rank(pre->level) || level_rank(target_level) > 3)
      return fail(
          Error::invalid("请检查填写的内容", {{"level", "提级只能提到更高的层级（最高到街道）"}}));
  }
  if (action == "deescalate") {
    target_level = in.level;
    if (level_rank(target_level) < 0 || level_rank(target_level) >= level_rank(pre->level))
      return fail(Error::invalid("请检查填写的内容", {{"level", "请选择更低的层级"}}));
  }
  if ((action == "accept" || action == "dispatch") && !in.level.empty() &&
      (level_rank(in.level) < 0 || level_rank(in.level) > 3))
    return fail(Error::invalid("请检查填写的内容", {{"level", "层级不正确"}}));
  if (action == "merge") {
    if (!in.into_case_id || in.into_case_id == id)
      return fail(Error::invalid("请检查填写的内容", {{"into_case_id", "请选择要合并到的原诉求"}}));
    auto target = get(p, in.into_case_id);
    if (!target) return fail(target.error());
    if (target->state == "closed" || target->state == "rejected" || target->state == "merged")
      return fail(Error::conflict("原诉求已结束，不能合并到它"));
  }

  std::vector<Json> pending;
  auto cal = work_calendar();
  auto w = db_.write([&](store::Tx& tx) -> Status {
    pending.clear();
    auto cur = load_in(tx, id);
    if (!cur) return fail(cur.error());
    Case c = *cur;
    if (!from_ok(rule, c.state)) return fail(wrong_state(c, action));
    auto now = clock::now_ms();
    auto set = [&](const std::string& sql, store::Params params) -> Status {
      params.push_back(now);
      params.push_back(id);
      auto n = std::to_string(params.size());
      auto r = tx.exec("UPDATE cases SET " + sql + ", updated_at = $" +
                           std::to_string(params.size() - 1) + " WHERE id = $" + n,
                       params);
      if (!r) return fail(r.error());
      return {};
    };
    auto notify_level = [&](const std::string& level, const std::string& kind,
                            const std::string& title) -> Status {
      auto users = users_at_level(tx, c.node_path, level);
      if (!users) return fail(users.error());
      return notifier_.add(tx, *users, {kind, id, title, c.code}, pending);
    };
    auto notify_reporter = [&](const std::string& kind, const std::string& title) -> Status {
      if (!c.reporter_user_id) return {};
      return notifier_.add(tx, {c.reporter_user_id}, {kind, id, title, c.code}, pending);
    };
    auto dispatch_to = [&](std::string level) -> Status {
      if (level.empty()) {
        auto kind = tx.one("SELECT kind FROM nodes WHERE id = $1", {c.node_id});
        if (!kind) return fail(kind.error());
        auto routed = route(c.category_id, kind->str("kind"));
        if (!routed) return fail(routed.error());
        level = *routed;
      }
      // A case located above the chosen level cannot be handled below it.
      auto depth_of = [](const std::string& path) { return auth::path_depth(path) - 1; };
      static const std::vector<std::string> kind_by_depth = {"district", "street",   "community",
                                                             "grid",     "building", "unit"};
      int need_depth = level == "building" ? 4 : level == "grid" ? 3 : level == "community" ? 2 : 1;
      if (depth_of(c.node_path) < need_depth)
        level = kind_by_depth[std::max(1, std::min(depth_of(c.node_path), 3))];
      auto lnode = level_node(c.node_path, level);
      if (!lnode) return fail(lnode.error());
      auto limits = limits_for(c.case_type, c.urgency, c.category_id);
      if (!limits) return fail(limits.error());
      if (auto s = set("state = 'assigned', level = $1, level_node_id = $2, dispatched_at = $3, "
                       "contact_due = $4, handler_user_id = $5, handler_org_id = $6",
                       {level, *lnode, now, cal.add(now, limits->contact, limits->contact_u),
                        in.handler_user_id ? store::Value{in.handler_user_id} : store::null(),
                        in.org_id ? store::Value{in.org_id} : store::null()});
          !s)
        return s;
      if (auto e = event(tx, c, by, "dispatch", "assigned", level, in.note); !e) return e;
      if (in.org_id)
        if (auto n = [&]() -> Status {
              auto users = users_of_org(tx, in.org_id);
              if (!users) return fail(users.error());
              return notifier_.add(tx, *users, {"assignment", id, "新派单：" + c.title, c.code},
                                   pending);
            }();
            !n)
          return n;
      return notify_level(level, "assignment", "新派单：" + c.title);
    };

    if (action == "accept") {
      if (auto s = set("state = 'accepted', accepted_at = $1", {now}); !s) return s;
      if (auto e = event(tx, c, by, "accept", "accepted", "", in.note); !e) return e;
      c.state = "accepted";
      if (auto s = dispatch_to(in.level); !s) return s;
      if (auto n = notify_reporter("reply", "您的诉求已受理：" + c.title); !n) return n;
    } else if (action == "dispatch") {
      if (auto s = dispatch_to(in.level); !s) return s;
    } else if (action == "reject") {
      if (auto s = set("state = 'rejected', closed_at = $1, close_reason = 'rejected', "
                       "closed_level = level",
                       {now});
          !s)
        return s;
      if (auto e = event(tx, c, by, "reject", "rejected", "", in.reason); !e) return e;
      if (auto n = notify_reporter("reply", "您的诉求未予受理：" + in.reason); !n) return n;
    } else if (action == "start") {
      if (auto s = set("state = 'in_progress', contacted_at = COALESCE(contacted_at, $1)", {now});
          !s)
        return s;
      if (auto e = event(tx, c, by, "start", "in_progress", "", in.note); !e) return e;
      if (auto n = notify_reporter("reply", "工作人员已联系您并开始办理：" + c.title); !n) return n;
    } else if (action == "resolve") {
      if (auto s = set("state = 'resolved', resolved_at = $1", {now}); !s) return s;
      if (auto e = event(tx, c, by, "resolve", "resolved", "", in.note); !e) return e;
      for (const auto& sha : in.photos) {
        auto ph = tx.exec(
            "INSERT INTO case_photos (case_id, sha256, stage) SELECT $1, sha256, 'result' FROM "
            "blobs WHERE sha256 = $2",
            {id, sha});
        if (!ph) return fail(ph.error());
      }
      auto dispatchers = tx.query(
          "SELECT DISTINCT ra.user_id FROM role_assignments ra JOIN nodes n ON n.id = ra.node_id "
          "WHERE ra.role IN ('grid_worker', 'community_staff', 'street_center') AND substr($1, 1, "
          "length(n.path)) = n.path",
          {c.node_path});
      if (!dispatchers) return fail(dispatchers.error());
      std::vector<std::int64_t> ids;
      for (const auto& d : *dispatchers) ids.push_back(d.i64("user_id"));
      if (auto n = notifier_.add(tx, ids, {"reply", id, "诉求已办结，待核查：" + c.title, c.code},
                                 pending);
          !n)
        return n;
    } else if (action == "verify") {
      if (*in.passed) {
        if (auto s = set("state = 'follow_up'", {}); !s) return s;
        if (auto e = event(tx, c, by, "verify_pass", "follow_up", "", in.note); !e) return e;
        if (auto n = notify_reporter("rating_request", "诉求已办结，请您评价：" + c.title); !n)
          return n;
      } else {
        if (auto s = set("state = 'in_progress', rework_count = rework_count + 1", {}); !s)
          return s;
        if (auto e = event(tx, c, by, "verify_fail", "in_progress", "", in.reason); !e) return e;
        if (auto n = notify_level(c.level, "assignment", "核查未通过，请返工：" + c.title); !n)
          return n;
      }
    } else if (action == "return") {
      if (auto s = set("state = 'accepted', handler_user_id = NULL, handler_org_id = NULL", {}); !s)
        return s;
      if (auto e = event(tx, c, by, "return", "accepted", "", in.reason); !e) return e;
    } else if (action == "escalate" || action == "deescalate") {
      auto lnode = level_node(c.node_path, target_level);
      if (!lnode) return fail(lnode.error());
      if (auto s =
              set(std::string("state = 'assigned', level = $1, level_node_id = $2, "
                              "handler_user_id = NULL, handler_org_id = NULL") +
                      (action == "escalate" ? ", escalation_count = escalation_count + 1" : ""),
                  {target_level, *lnode});
          !s)
        return s;
      if (auto e = event(tx, c, by, action, "assigned", target_level, in.reason); !e) return e;
      if (auto n =
              notify_level(target_level, "assignment",
                           fmt::format("诉求{}至{}：{}", action == "escalate" ? "提级" : "转交",
                                       level_name(target_level), c.title));
          !n)
        return n;
    } else if (action == "suspend") {
      if (auto s =
              set("state = 'suspended', suspended_from = $1, suspended_at = $2", {c.state, now});
          !s)
        return s;
      if (auto e = event(tx, c, by, "suspend", "suspended", "", in.reason); !e) return e;
    } else if (action == "resume") {
      // The clock stops while suspended: the deadline moves by the pause.
      auto paused = now - c.suspended_at.value_or(now);
      if (auto s = set("state = $1, suspended_from = NULL, suspended_at = NULL, suspended_ms = "
                       "suspended_ms + $2, resolve_due = resolve_due + $2",
                       {c.suspended_from.empty() ? "assigned" : c.suspended_from, paused});
          !s)
        return s;
      if (auto e = event(tx, c, by, "resume", c.suspended_from, "", in.note); !e) return e;
    } else if (action == "merge") {
      if (auto s = set("state = 'merged', merged_into_id = $1, closed_at = $2, close_reason = "
                       "'merged', closed_level = level",
                       {in.into_case_id, now});
          !s)
        return s;
      auto target = load_in(tx, in.into_case_id);
      if (!target) return fail(target.error());
      if (auto e = event(tx, c, by, "merge", "merged", "", "合并到 " + target->code); !e) return e;
      if (auto e = event(tx, *target, by, "comment", "", "", "合并了重复诉求 " + c.code); !e)
        return e;
      if (auto n = notify_reporter("reply", "您的诉求与已有诉求" + target->code + "合并办理"); !n)
        return n;
    } else if (action == "rate" || action == "phone_followup") {
      if (auto s = set("state = 'closed', closed_at = $1, closed_level = level, close_reason = $2, "
                       "rating_solved = $3, rating = $4, rating_comment = $5, rated_at = $1",
                       {now, std::string(action == "rate" ? "rated" : "phone"),
                        static_cast<std::int64_t>(*in.solved ? 1 : 0), in.rating, in.comment});
          !s)
        return s;
      if (auto e = event(
              tx, c, by, action, "closed", "",
              fmt::format("{}，{}{}{}", *in.solved ? "已解决" : "未解决", rating_name(in.rating),
                          in.comment.empty() ? "" : "：", in.comment));
          !e)
        return e;
      // Serve to earn: a resident whose report was solved earns points,
      // reviewed with the month's other deeds (rule case_solved).
      if (*in.solved && c.reporter_resident_id && !c.anonymous) {
        points::PointsService points(db_);
        if (auto a = points.award(tx, c.reporter_resident_id, "case_solved", "case", id,
                                  "诉求" + c.code + "已解决");
            !a)
          return fail(a.error());
      }
    } else if (action == "comment") {
      if (auto e = event(tx, c, by, "comment", "", "", in.note, 0, in.is_public); !e) return e;
      if (in.is_public)
        if (auto n = notify_reporter("reply", "工作人员回复了您的诉求：" + c.title); !n) return n;
    }
    return auth::record(tx, by,
                        {"case." + action, "case", id, c.node_path,
                         fmt::format("诉求{}：{}", c.code, action_name(action))});
  });
  if (!w) return fail(w.error());
  notifier_.flush(pending);
  return get(p, id);
}

// ---- 吹哨报到 ----

Result<Case> CaseService::whistle(const auth::Principal& p, std::int64_t id,
                                  const std::vector<std::int64_t>& org_ids, std::int64_t lead,
                                  const std::string& note, const auth::Actor& by) {
  auto c = get(p, id);
  if (!c) return fail(c.error());
  if (auto a = auth::authorize(p, "case.whistle", c->node_path); !a) return fail(a.error());
  if (org_ids.empty() || org_ids.size() > 8)
    return fail(Error::invalid("请检查填写的内容", {{"org_ids", "请选择1到8个职能部门"}}));
  if (std::find(org_ids.begin(), org_ids.end(), lead) == org_ids.end())
    return fail(
        Error::invalid("请检查填写的内容", {{"lead_org_id", "请从所选部门中指定牵头部门"}}));
  for (auto org : org_ids) {
    auto o = db_.query("SELECT kind FROM orgs WHERE id = $1", {org});
    if (!o) return fail(o.error());
    if (o->empty() || (*o)[0].str("kind") != "department")
      return fail(Error::invalid("请检查填写的内容", {{"org_ids", "只能向职能部门吹哨"}}));
  }
  auto limits = limits_for(c->case_type, c->urgency, c->category_id);
  if (!limits) return fail(limits.error());
  auto cal = work_calendar();
  std::vector<Json> pending;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    pending.clear();
    auto cur = load_in(tx, id);
    if (!cur) return fail(cur.error());
    if (cur->state != "assigned" && cur->state != "in_progress")
      return fail(wrong_state(*cur, "whistle"));
    auto now = clock::now_ms();
    for (auto org : org_ids) {
      auto r = tx.exec(
          "INSERT INTO case_whistles (case_id, org_id, lead, state, whistled_at, whistled_by, "
          "report_due, act_due) VALUES ($1, $2, $3, 'whistled', $4, $5, $6, $7)",
          {id, org, static_cast<std::int64_t>(org == lead ? 1 : 0), now,
           by.user_id ? store::Value{by.user_id} : store::null(),
           cal.add(now, limits->report, limits->report_u),
           cal.add(now, limits->act, limits->act_u)});
      if (!r) {
        if (r.error().kind == ErrorKind::conflict)
          return fail(Error::conflict("已向该部门吹过哨，请勿重复"));
        return fail(r.error());
      }
      if (auto e = event(tx, *cur, by, "whistle", "", "", note, org); !e) return e;
      auto users = users_of_org(tx, org);
      if (!users) return fail(users.error());
      if (auto n = notifier_.add(
              tx, *users,
              {"whistle", id,
               (org == lead ? "【牵头】" : "") + std::string("社区吹哨，请报到：") + cur->title,
               cur->code},
              pending);
          !n)
        return n;
    }
    if (auto u = tx.exec("UPDATE cases SET updated_at = $1 WHERE id = $2", {now, id}); !u)
      return fail(u.error());
    return auth::record(tx, by,
                        {"case.whistle", "case", id, cur->node_path,
                         fmt::format("诉求{}吹哨{}个部门", cur->code, org_ids.size())});
  });
  if (!w) return fail(w.error());
  notifier_.flush(pending);
  return get(p, id);
}

Result<Case> CaseService::whistle_step(const auth::Principal& p, std::int64_t id,
                                       std::int64_t org_id, const std::string& step,
                                       const std::string& note, const auth::Actor& by) {
  static const std::map<std::string, std::vector<std::string>> from = {
      {"report", {"whistled"}},
      {"arrive", {"reported"}},
      {"act", {"reported", "arrived"}},
      {"return", {"whistled", "reported"}}};
  auto it = from.find(step);
  if (it == from.end()) return fail(Error::not_found("没有这个报到操作"));
  auto c = get(p, id);
  if (!c) return fail(c.error());
  auto orgs = p.scope_orgs("case.department");
  if (std::find(orgs.begin(), orgs.end(), org_id) == orgs.end())
    return fail(Error::forbidden("只能以本部门身份报到"));
  if ((step == "act" || step == "return") &&
      (note.empty() || validate::utf8_length(note).value_or(10000) > 1000))
    return fail(Error::invalid("请检查填写的内容",
                               {{"note", step == "act" ? "请填写处置情况" : "请填写退回原因"}}));
  std::vector<Json> pending;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    pending.clear();
    auto wrow = tx.query("SELECT state FROM case_whistles WHERE case_id = $1 AND org_id = $2",
                         {id, org_id});
    if (!wrow) return fail(wrow.error());
    if (wrow->empty()) return fail(Error::not_found());
    auto state = (*wrow)[0].str("state");
    const auto& ok = it->second;
    if (std::find(ok.begin(), ok.end(), state) == ok.end())
      return fail(
          Error::conflict(fmt::format("报到状态为“{}”，不能执行“{}”", whistle_state_name(state),
                                      action_name("whistle_" + step))));
    auto now = clock::now_ms();
    std::string sql;
    if (step == "report") sql = "state = 'reported', reported_at = $1";
    if (step == "arrive") sql = "state = 'arrived', arrived_at = $1";
    if (step == "act") sql = "state = 'acted', acted_at = $1, action_note = $4";
    if (step == "return") sql = "state = 'returned', returned_at = $1, return_reason = $4";
    store::Params params = {now, id, org_id};
    if (step == "act" || step == "return") params.push_back(note);
    auto r =
        tx.exec("UPDATE case_whistles SET " + sql + " WHERE case_id = $2 AND org_id = $3", params);
    if (!r) return fail(r.error());
    auto cur = load_in(tx, id);
    if (!cur) return fail(cur.error());
    if (auto e = event(tx, *cur, by, "whistle_" + step, "", "", note, org_id); !e) return e;
    auto users = users_at_level(tx, cur->node_path, cur->level);
    if (!users) return fail(users.error());
    if (auto n = notifier_.add(
            tx, *users,
            {"reply", id, fmt::format("部门{}：{}", action_name("whistle_" + step), cur->title),
             cur->code},
            pending);
        !n)
      return n;
    return auth::record(tx, by,
                        {"case.whistle_" + step, "case", id, cur->node_path,
                         fmt::format("诉求{}：{}", cur->code, action_name("whistle_" + step))});
  });
  if (!w) return fail(w.error());
  notifier_.flush(pending);
  return get(p, id);
}

}  // namespace linli::cases
