// /api/v1/cases…, /api/v1/blobs, /api/v1/notifications, /api/v1/case-settings.
#include <fmt/format.h>

#include <span>

#include "app/app.hpp"
#include "auth/principal.hpp"
#include "cases/kpis.hpp"
#include "cases/service.hpp"
#include "core/clock.hpp"
#include "core/json_text.hpp"
#include "core/log.hpp"

namespace linli {
namespace {

// Routes open to every signed-in user still answer 403 to one who takes no
// part in cases at all (a merchant), as the authorization matrix expects.
bool takes_part_in_cases(const auth::Principal& p) {
  return p.can("case.read") || p.can("case.report") || p.can("case.department") ||
         p.can("case.property");
}

using cases::CaseService;

Result<std::optional<double>> opt_number(const Json& b, const char* key, const char* label) {
  if (!b.contains(key) || b[key].is_null()) return std::optional<double>{};
  if (!b[key].is_number())
    return fail(Error::invalid("请检查填写的内容", {{key, std::string(label) + "应为数字"}}));
  return std::optional<double>(b[key].get<double>());
}

Result<cases::CaseInput> case_input(const Json& b) {
  Fields f(b);
  cases::CaseInput in;
  auto title = f.text("title", "标题", 60);
  auto description = f.text("description", "问题描述", 2000);
  auto category = f.integer("category_id", "诉求分类", true, 1);
  auto type = f.text("case_type", "事项类型", 16, false);
  auto urgency = f.text("urgency", "紧急程度", 16, false);
  auto channel = f.text("channel", "来源渠道", 16, false);
  auto node = f.integer("node_id", "位置", false, 1);
  auto household = f.integer("household_id", "住户", false, 1);
  auto address = f.text("address", "地址", 200, false);
  auto name = f.text("reporter_name", "反映人姓名", 30, false);
  auto phone = f.text("reporter_phone", "反映人电话", 11, false);
  auto anonymous = f.boolean("anonymous", "匿名", false);
  auto photos = f.strings("photos", "照片", 9, 64, false);
  auto lat = opt_number(b, "lat", "纬度");
  auto lng = opt_number(b, "lng", "经度");
  if (!lat) return fail(lat.error());
  if (!lng) return fail(lng.error());
  if (!f.ok()) return fail(f.error());
  in.title = *title;
  in.description = *description;
  in.category_id = *category;
  if (type && !type->empty()) in.case_type = *type;
  if (urgency && !urgency->empty()) in.urgency = *urgency;
  if (channel && !channel->empty()) in.channel = *channel;
  in.node_id = node.value_or(0);
  in.household_id = household.value_or(0);
  in.address = address.value_or("");
  in.reporter_name = name.value_or("");
  in.reporter_phone = phone.value_or("");
  in.anonymous = anonymous.value_or(false);
  in.photos = photos.value_or(std::vector<std::string>{});
  in.lat = *lat;
  in.lng = *lng;
  return in;
}

Result<cases::ActionInput> action_input(const Json& b) {
  Fields f(b);
  cases::ActionInput in;
  in.note = f.text("note", "说明", 1000, false).value_or("");
  in.reason = f.text("reason", "原因", 1000, false).value_or("");
  in.level = f.text("level", "层级", 16, false).value_or("");
  in.handler_user_id = f.integer("handler_user_id", "经办人", false, 1).value_or(0);
  in.org_id = f.integer("org_id", "单位", false, 1).value_or(0);
  in.into_case_id = f.integer("into_case_id", "原诉求", false, 1).value_or(0);
  in.photos = f.strings("photos", "照片", 9, 64, false).value_or(std::vector<std::string>{});
  in.passed = f.boolean("passed", "核查结果", false);
  in.solved = f.boolean("solved", "是否解决", false);
  in.rating = f.text("rating", "满意度", 16, false).value_or("");
  in.comment = f.text("comment", "评价", 500, false).value_or("");
  // A comment is internal unless marked public (docs/CASES.md).
  in.is_public = f.boolean("public", "是否对居民可见", false).value_or(false);
  if (!f.ok()) return fail(f.error());
  return in;
}

// The states a list filters on: each state, and "open" and "done" for the
// states of each kind (kOpenStates, kDoneStates).
const std::vector<std::string>& state_filters() {
  static const auto states = [] {
    auto all = cases::kStates;
    all.insert(all.end(), {"open", "done"});
    return all;
  }();
  return states;
}

Result<cases::CaseFilter> case_filter(const http::Request& req) {
  auto page = page_of(req);
  if (!page) return fail(page.error());
  cases::CaseFilter f;
  f.after = page->after;
  f.limit = page->limit;
  auto state = optional_choice(req, "state", "状态", state_filters());
  if (!state) return fail(state.error());
  auto level = optional_choice(req, "level", "层级", cases::kLevels);
  if (!level) return fail(level.error());
  auto type = optional_choice(req, "type", "五事类别", cases::kTypes);
  if (!type) return fail(type.error());
  auto urgency = optional_choice(req, "urgency", "紧急程度", cases::kUrgencies);
  if (!urgency) return fail(urgency.error());
  auto channel = optional_choice(req, "channel", "来源渠道", cases::kChannels);
  if (!channel) return fail(channel.error());
  f.state = *state;
  f.level = *level;
  f.case_type = *type;
  f.urgency = *urgency;
  f.channel = *channel;
  f.q = req.q("q").value_or("");
  if (f.q.size() > 100) return fail(Error::invalid("搜索词过长"));
  auto category = optional_id(req, "category", "诉求分类");
  if (!category) return fail(category.error());
  auto node = optional_id(req, "node", "区划");
  if (!node) return fail(node.error());
  auto org = optional_id(req, "org", "部门");
  if (!org) return fail(org.error());
  f.category_id = *category;
  f.node_id = *node;
  f.org_id = *org;
  f.overdue = req.q("overdue").value_or("") == "true";
  f.mine = req.q("mine").value_or("") == "true";
  if (auto from = req.q("from")) {
    auto ms = clock::shanghai_day_start(*from);
    if (!ms) return fail(Error::invalid("开始日期应为 YYYY-MM-DD"));
    f.from_ms = *ms;
  }
  if (auto to = req.q("to")) {
    auto ms = clock::shanghai_day_start(*to);
    if (!ms) return fail(Error::invalid("结束日期应为 YYYY-MM-DD"));
    f.to_ms = *ms + 86400000LL;
  }
  return f;
}

// Lists of cases are written as text straight from the cases: as nlohmann
// objects a queue page of 50 spent about half its instructions building,
// printing and freeing them (callgrind; docs/PERFORMANCE.md).

// {"<key>":[summaries]}
std::string summaries_text(std::string_view key, std::span<const cases::Case> list) {
  std::string out;
  {
    JsonObjectText o(out);
    cases::append_case_summaries(o.member(key), list, clock::now_ms());
  }
  return out;
}

// {"items":[summaries],"next_cursor":"…" or null}
std::string page_text(std::string_view items, const std::optional<std::string>& next) {
  std::string out;
  out.reserve(items.size() + 64);
  {
    JsonObjectText o(out);
    o.member("items").append(items);
    if (next)
      o.str("next_cursor", *next);
    else
      o.null("next_cursor");
  }
  return out;
}

// The list's query, as case_filter reads it: the OpenAPI document lists the
// values of each enumerated filter.
const std::vector<http::QueryParam>& list_query() {
  static const std::vector<http::QueryParam> query = {http::one_of("state", state_filters()),
                                                      http::one_of("level", cases::kLevels),
                                                      "category",
                                                      http::one_of("type", cases::kTypes),
                                                      http::one_of("urgency", cases::kUrgencies),
                                                      "node",
                                                      "org",
                                                      "overdue",
                                                      http::one_of("channel", cases::kChannels),
                                                      "from",
                                                      "to",
                                                      "q",
                                                      "mine",
                                                      "cursor",
                                                      "limit"};
  return query;
}

// The export's query: the list's, and the download's format.
const std::vector<http::QueryParam>& export_query() {
  static const auto query = [] {
    auto q = list_query();
    q.push_back(http::one_of("format", kSheetFormats));
    return q;
  }();
  return query;
}

void add_intake_routes(App& app, std::shared_ptr<CaseService> svc) {
  app.router.add({"GET", "/api/v1/case-categories", http::access::kSignedIn, "cases",
                  "诉求分类（两级）",
                  json_handler([svc](http::Request&) { return svc->categories(); })});
  app.router.add(
      {"POST", "/api/v1/blobs", http::access::kSignedIn, "cases", "上传照片（JPG/PNG/WebP，≤5MB）",
       json_handler([svc](http::Request& req) { return svc->put_blob(req.body); }, 201)});
  app.router.add({"GET", "/api/v1/blobs/{sha256}", http::access::kSignedIn, "cases", "查看照片",
                  [svc](http::Request& req) {
                    auto b = svc->get_blob(caller(req), req.params["sha256"]);
                    if (!b) return http::Response::problem(b.error(), req.request_id);
                    http::Response r;
                    r.content_type = b->first;
                    r.body = std::move(b->second);
                    r.headers.emplace_back("Cache-Control", "private, max-age=86400");
                    return r;
                  }});
  app.router.add({"POST",
                  "/api/v1/cases",
                  http::access::kSignedIn,
                  "cases",
                  "反映诉求（居民、网格员、热线代录）",
                  json_text_handler(
                      [svc](http::Request& req) -> Result<std::string> {
                        // Who first (403), then what: the authorization matrix
                        // expects a caller without permission to learn nothing more.
                        if (!caller(req).can("case.create") && !caller(req).can("case.report"))
                          return fail(Error::forbidden());
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        auto in = case_input(*body);
                        if (!in) return fail(in.error());
                        auto c = svc->create(caller(req), *in, App::actor(req));
                        if (!c) return fail(c.error());
                        return svc->detail(caller(req), c->id);
                      },
                      201),
                  {{"type", "object"},
                   {"required", {"title", "description", "category_id"}},
                   {"properties",
                    {{"title", {{"type", "string"}}},
                     {"description", {{"type", "string"}}},
                     {"category_id", {{"type", "integer"}}},
                     {"case_type", {{"type", "string"}}},
                     {"urgency", {{"type", "string"}}},
                     {"channel", {{"type", "string"}}},
                     {"node_id", {{"type", "integer"}}},
                     {"household_id", {{"type", "integer"}}},
                     {"lat", {{"type", "number"}}},
                     {"lng", {{"type", "number"}}},
                     {"photos", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}});
  app.router.add(
      {"POST",
       "/api/v1/cases/batch",
       "case.create",
       "cases",
       "会议批量登记诉求（全部成功或全部不登记）",
       json_text_handler(
           [svc](http::Request& req) -> Result<std::string> {
             auto body = body_json(req);
             if (!body) return fail(body.error());
             if (!body->contains("cases") || !(*body)["cases"].is_array())
               return fail(Error::invalid("请提供诉求列表 cases"));
             std::string channel = body->value("channel", "meeting");
             std::vector<cases::CaseInput> inputs;
             std::size_t i = 0;
             for (const auto& c : (*body)["cases"]) {
               if (!c.is_object()) return fail(Error::invalid("诉求列表中每一项应为对象"));
               auto in = case_input(c);
               if (!in) {
                 Error e = in.error();
                 for (auto& fe : e.errors) fe.field = fmt::format("cases[{}].{}", i, fe.field);
                 return fail(e);
               }
               if (!c.contains("channel")) in->channel = channel;
               inputs.push_back(std::move(*in));
               ++i;
             }
             auto created = svc->create_batch(caller(req), inputs, App::actor(req));
             if (!created) return fail(created.error());
             return summaries_text("created", *created);
           },
           201),
       {{"type", "object"},
        {"properties", {{"channel", {{"type", "string"}}}, {"cases", {{"type", "array"}}}}}}});
}

void add_reading_routes(App& app, std::shared_ptr<CaseService> svc,
                        std::shared_ptr<CaseService> exports) {
  app.router.add(
      {"GET", "/api/v1/cases", http::access::kSignedIn, "cases", "诉求列表与搜索（按范围）",
       json_text_handler([svc](http::Request& req) -> Result<std::string> {
         if (!takes_part_in_cases(caller(req))) return fail(Error::forbidden());
         auto f = case_filter(req);
         if (!f) return fail(f.error());
         auto page = svc->list_page(caller(req), *f);
         if (!page) return fail(page.error());
         return page_text(page->items,
                          page->next ? std::optional(std::to_string(*page->next)) : std::nullopt);
       }),
       nullptr, list_query()});
  app.router.add({"GET", "/api/v1/me/cases", "case.report", "cases", "我的诉求（居民）",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    cases::CaseFilter f;
                    f.mine = true;
                    f.limit = 200;
                    auto page = svc->list_page(caller(req), f);
                    if (!page) return fail(page.error());
                    std::string out;
                    {
                      JsonObjectText o(out);
                      o.member("items").append(page->items);
                    }
                    return out;
                  })});
  app.router.add(
      {"GET", "/api/v1/me/places", "case.report", "cases", "我所在社区的网格和楼栋（选择诉求地点）",
       json_handler([&app](http::Request& req) -> Result<Json> {
         auto me =
             app.db.one("SELECT node_path FROM residents WHERE id = $1", {caller(req).resident_id});
         if (!me) return fail(Error::not_found("您的账号尚未关联居民信息，请联系社区"));
         auto community = auth::ancestor_path(me->str("node_path"), 2);
         auto rows = app.db.query(
             "SELECT id, parent_id, kind, name FROM nodes WHERE path >= $1 AND path < $2 AND "
             "kind IN ('grid', 'building') ORDER BY id",
             {community, auth::subtree_end(community)});
         if (!rows) return fail(rows.error());
         Json out = Json::array();
         for (const auto& r : *rows)
           out.push_back({{"id", r.i64("id")},
                          {"parent_id", r.i64("parent_id")},
                          {"kind", r.str("kind")},
                          {"name", r.str("name")}});
         return out;
       })});
  app.router.add({"GET",
                  "/api/v1/cases/queue",
                  "case.read",
                  "cases",
                  "我的待办（按期限排序）",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    // Pages of "limit" (1..200, default 50) in deadline order;
                    // the cursor is "<deadline ms>_<id>" of the last case seen.
                    auto limit = limit_of(req);
                    if (!limit) return fail(limit.error());
                    std::optional<cases::QueueCursor> after;
                    if (auto c = req.q("cursor")) {
                      auto sep = c->find('_');
                      std::optional<std::int64_t> due, id;
                      if (sep != std::string::npos) {
                        due = whole_number(c->substr(0, sep));
                        id = whole_number(c->substr(sep + 1));
                      }
                      if (!due || !id)
                        return fail(Error::invalid("分页参数无效，请从第一页重新加载"));
                      after = cases::QueueCursor{*due, *id};
                    }
                    auto page = svc->queue(caller(req), *limit, after);
                    if (!page) return fail(page.error());
                    return page_text(page->items,
                                     page->next ? std::optional(fmt::format(
                                                      "{}_{}", page->next->due, page->next->id))
                                                : std::nullopt);
                  }),
                  nullptr,
                  {"cursor", "limit"}});
  app.router.add(
      {"GET",
       "/api/v1/cases/duplicates",
       "case.create",
       "cases",
       "疑似重复诉求",
       json_handler([svc](http::Request& req) -> Result<Json> {
         auto node = required_id(req, "node_id", "位置");
         if (!node) return fail(node.error());
         auto cat = required_id(req, "category_id", "诉求分类");
         if (!cat) return fail(cat.error());
         auto text = req.q("text").value_or("");
         if (text.empty() || text.size() > 6000)
           return fail(Error::invalid("请提供问题描述（6000字以内）"));
         return svc->duplicates(caller(req), *node, *cat, text);
       }),
       nullptr,
       {http::required("node_id"), http::required("category_id"), http::required("text")}});
  app.router.add({"GET", "/api/v1/cases/export", "case.export", "cases", "导出诉求（CSV或Excel）",
                  [exports](http::Request& req) {
                    auto format = sheet_format(req);
                    if (!format) return http::Response::problem(format.error(), req.request_id);
                    auto f = case_filter(req);
                    if (!f) return http::Response::problem(f.error(), req.request_id);
                    f->limit = 50000;
                    auto list = exports->list(caller(req), *f);
                    if (!list) return http::Response::problem(list.error(), req.request_id);
                    std::vector<std::vector<std::string>> rows = {
                        {"编号", "标题", "分类", "五事类型", "紧急程度", "来源", "状态", "层级",
                         "地点", "登记时间", "办结期限"}};
                    for (const auto& c : *list) {
                      rows.push_back({c.code, c.title, c.category_name,
                                      cases::type_name(c.case_type), cases::urgency_name(c.urgency),
                                      cases::channel_name(c.channel), cases::state_name(c.state),
                                      cases::level_name(c.level), c.address,
                                      clock::shanghai_text(c.created_at),
                                      c.resolve_due ? clock::shanghai_text(*c.resolve_due) : ""});
                    }
                    return spreadsheet(rows, *format, "诉求");
                  },
                  nullptr, export_query()});
  app.router.add(
      {"GET",
       "/api/v1/cases/kpis",
       "case.kpi",
       "cases",
       "诉求办理考核指标",
       json_handler([&app](http::Request& req) -> Result<Json> {
         const auto& p = caller(req);
         std::string path;
         if (auto node = req.q("node")) {
           auto n =
               app.db.query("SELECT path FROM nodes WHERE id = $1", {std::atoll(node->c_str())});
           if (!n) return fail(n.error());
           if (n->empty()) return fail(Error::not_found());
           path = (*n)[0].str("path");
         } else {
           auto roots = p.scope_paths("case.kpi");
           if (roots.empty()) return fail(Error::forbidden());
           path = roots.front();
         }
         if (auto a = auth::authorize(p, "case.kpi", path); !a) return fail(a.error());
         auto q = cases::kpi_query(path, req.q("from").value_or(""), req.q("to").value_or(""));
         if (!q) return fail(q.error());
         return cases::compute_kpis(app.reads, *q);
       }),
       nullptr,
       {"node", "from", "to"}});
  app.router.add({"GET", "/api/v1/cases/{id}", http::access::kSignedIn, "cases",
                  "诉求详情（含办理过程）",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    if (!takes_part_in_cases(caller(req))) return fail(Error::forbidden());
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    return svc->detail(caller(req), *id);
                  })});
}

void add_action_routes(App& app, std::shared_ptr<CaseService> svc) {
  app.router.add({"POST",
                  "/api/v1/cases/{id}/actions/{action}",
                  http::access::kSignedIn,
                  "cases",
                  "办理操作：受理、派单、办结、核查、退单、提级、缓办、合并、评价…",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    if (!takes_part_in_cases(caller(req))) return fail(Error::forbidden());
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    Json body = Json::object();
                    if (!req.body.empty()) {
                      auto b = body_json(req);
                      if (!b) return fail(b.error());
                      body = *b;
                    }
                    auto in = action_input(body);
                    if (!in) return fail(in.error());
                    auto c = svc->act(caller(req), *id, req.params["action"], *in, App::actor(req));
                    if (!c) return fail(c.error());
                    return svc->detail(caller(req), *id);
                  }),
                  {{"type", "object"}}});
  app.router.add({"POST",
                  "/api/v1/cases/{id}/whistle",
                  "case.whistle",
                  "cases",
                  "吹哨：请职能部门报到",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto body = body_json(req);
                    if (!body) return fail(body.error());
                    std::vector<std::int64_t> orgs;
                    if (body->contains("org_ids") && (*body)["org_ids"].is_array())
                      for (const auto& o : (*body)["org_ids"])
                        if (o.is_number_integer()) orgs.push_back(o.get<std::int64_t>());
                    Fields f(*body);
                    auto lead = f.integer("lead_org_id", "牵头部门", true, 1);
                    auto note = f.text("note", "吹哨说明", 1000, false);
                    if (!f.ok()) return fail(f.error());
                    auto c = svc->whistle(caller(req), *id, orgs, *lead, note.value_or(""),
                                          App::actor(req));
                    if (!c) return fail(c.error());
                    return svc->detail(caller(req), *id);
                  }),
                  {{"type", "object"},
                   {"properties",
                    {{"org_ids", {{"type", "array"}}},
                     {"lead_org_id", {{"type", "integer"}}},
                     {"note", {{"type", "string"}}}}}}});
  app.router.add({"POST",
                  "/api/v1/cases/{id}/whistles/{org_id}/{step}",
                  "case.department",
                  "cases",
                  "部门报到：报到、到场、处置、退回",
                  json_text_handler([svc](http::Request& req) -> Result<std::string> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto org = req.id_param("org_id");
                    if (!org) return fail(org.error());
                    std::string note;
                    if (!req.body.empty()) {
                      auto b = body_json(req);
                      if (!b) return fail(b.error());
                      Fields f(*b);
                      note = f.text("note", "说明", 1000, false).value_or("");
                      if (!f.ok()) return fail(f.error());
                    }
                    auto c = svc->whistle_step(caller(req), *id, *org, req.params["step"], note,
                                               App::actor(req));
                    if (!c) return fail(c.error());
                    return svc->detail(caller(req), *id);
                  }),
                  {{"type", "object"}, {"properties", {{"note", {{"type", "string"}}}}}}});
}

void add_settings_routes(App& app, std::shared_ptr<CaseService> svc) {
  // The settings are read by those who dispatch (CaseService::settings).
  app.router.add({"GET", "/api/v1/case-settings", "case.dispatch", "cases",
                  "诉求办理设置（分类、分派、时限、日历）",
                  json_handler([svc](http::Request& req) { return svc->settings(caller(req)); })});
  auto put =
      [&app, svc](
          const char* path, const char* summary,
          std::function<Status(const auth::Principal&, const Json&, const auth::Actor&)> fn) {
        app.router.add({"PUT",
                        path,
                        "case.settings",
                        "cases",
                        summary,
                        json_handler(
                            [fn](http::Request& req) -> Result<Json> {
                              auto body = nlohmann::json::parse(req.body, nullptr, false);
                              if (body.is_discarded())
                                return fail(Error::invalid("请求内容不是有效的JSON"));
                              if (auto s = fn(caller(req), body, App::actor(req)); !s)
                                return fail(s.error());
                              return Json(nullptr);
                            },
                            204),
                        {{"type", "array"}}});
      };
  put("/api/v1/case-settings/limits", "修改办理时限",
      [svc](const auto& p, const Json& b, const auto& by) { return svc->put_limits(p, b, by); });
  put("/api/v1/case-settings/routing", "修改分派规则",
      [svc](const auto& p, const Json& b, const auto& by) { return svc->put_routing(p, b, by); });
  put("/api/v1/case-settings/settings", "修改满意度系数、评价期限等",
      [svc](const auto& p, const Json& b, const auto& by) { return svc->put_settings(p, b, by); });
  app.router.add({"POST",
                  "/api/v1/case-settings/categories",
                  "case.settings",
                  "cases",
                  "新增诉求分类",
                  json_handler(
                      [svc](http::Request& req) -> Result<Json> {
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        return svc->add_category(caller(req), *body, App::actor(req));
                      },
                      201),
                  {{"type", "object"},
                   {"properties",
                    {{"code", {{"type", "string"}}},
                     {"name", {{"type", "string"}}},
                     {"parent_id", {{"type", "integer"}}},
                     {"default_level", {{"type", "string"}}},
                     {"auto_escalate", {{"type", "boolean"}}}}}}});
  app.router.add({"PATCH",
                  "/api/v1/case-settings/categories/{id}",
                  "case.settings",
                  "cases",
                  "修改诉求分类（名称、默认层级、超期自动提级、启用）",
                  json_handler(
                      [svc](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        if (auto s = svc->change_category(caller(req), *id, *body, App::actor(req));
                            !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204),
                  {{"type", "object"}}});
  app.router.add({"POST", "/api/v1/case-settings/calendar", "case.settings", "cases",
                  "载入节假日与调休安排（CSV，见 docs/CALENDAR.md）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto n = svc->load_calendar(caller(req), req.body, App::actor(req));
                    if (!n) return fail(n.error());
                    return Json{{"loaded", *n}};
                  })});
}

void add_notification_routes(App& app) {
  app.router.add({"GET",
                  "/api/v1/notifications",
                  http::access::kSignedIn,
                  "notify",
                  "消息提醒",
                  json_handler([&app](http::Request& req) -> Result<Json> {
                    auto page = page_of(req);
                    if (!page) return fail(page.error());
                    return app.notifier.list(caller(req).user_id,
                                             req.q("unread").value_or("") == "true", page->after,
                                             page->limit);
                  }),
                  nullptr,
                  {"unread", "cursor", "limit"}});
  app.router.add({"POST",
                  "/api/v1/notifications/read",
                  http::access::kSignedIn,
                  "notify",
                  "标记已读",
                  json_handler(
                      [&app](http::Request& req) -> Result<Json> {
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        std::vector<std::int64_t> ids;
                        if (body->contains("ids") && (*body)["ids"].is_array())
                          for (const auto& i : (*body)["ids"])
                            if (i.is_number_integer()) ids.push_back(i.get<std::int64_t>());
                        bool all = body->value("all", false);
                        if (ids.size() > 500) return fail(Error::invalid("一次最多标记500条"));
                        if (auto s = app.notifier.mark_read(caller(req).user_id, ids, all); !s)
                          return fail(s.error());
                        return Json(nullptr);
                      },
                      204),
                  {{"type", "object"}}});
  app.router.add({"GET", "/api/v1/notifications/stream", http::access::kSignedIn, "notify",
                  "实时消息（Server-Sent Events）", [&app](http::Request& req) {
                    http::Response r;
                    auto uid = caller(req).user_id;
                    r.on_stream = [&app, uid](std::shared_ptr<http::EventSink> sink) {
                      app.notifier.subscribe(uid, std::move(sink));
                    };
                    return r;
                  }});
}

}  // namespace

void register_case_routes(App& app) {
  auto svc = std::shared_ptr<CaseService>(&app.cases, [](CaseService*) {});
  add_intake_routes(app, svc);
  // Exports read through app.reads (a replica in a cluster).
  add_reading_routes(app, svc, std::make_shared<CaseService>(app.reads, app.notifier));
  add_action_routes(app, svc);
  add_settings_routes(app, svc);
  add_notification_routes(app);
  // PostgreSQL's KPI roll-ups grow by a delta row per change; fold them.
  app.minutely.push_back([&app](std::int64_t) {
    if (auto r = cases::compact_kpi_rollups(app.db, 20000); !r)
      log::warn("kpi roll-up compaction failed", {{"detail", r.error().detail}});
  });
}

}  // namespace linli
