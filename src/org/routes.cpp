// /api/v1/nodes, households, residents, party, orgs, import, export.
#include <fmt/format.h>

#include "app/app.hpp"
#include "core/clock.hpp"
#include "org/privacy.hpp"
#include "org/service.hpp"
#include "points/service.hpp"

namespace linli {
namespace {

using org::OrgService;

Json node_json(const org::Node& n) {
  return {{"id", n.id},
          {"parent_id", n.parent_id ? Json(n.parent_id) : Json(nullptr)},
          {"kind", n.kind},
          {"kind_name", org::kind_name(n.kind)},
          {"name", n.name},
          {"path", n.path},
          {"depth", n.depth},
          {"child_count", n.child_count},
          {"lat", n.lat ? Json(*n.lat) : Json(nullptr)},
          {"lng", n.lng ? Json(*n.lng) : Json(nullptr)},
          {"floors", n.floors ? Json(*n.floors) : Json(nullptr)}};
}

Json household_json(const org::Household& h) {
  return {{"id", h.id},
          {"node_id", h.node_id},
          {"room", h.room},
          {"address", h.address},
          {"area", h.area ? Json(*h.area) : Json(nullptr)},
          {"member_count", h.member_count},
          {"head_name", h.head_name}};
}

Json resident_json(const org::Resident& r) {
  return {{"id", r.id},
          {"household_id", r.household_id},
          {"name", r.name},
          {"gender", r.gender == "M" ? "男" : "女"},
          {"birth_date", r.birth_date},
          {"age", clock::age_from_birth(r.birth_date)},
          {"relation", r.relation},
          {"phone_masked", r.phone_mask},
          {"id_masked", r.id_mask},
          {"tags", r.tags},
          {"address", r.address},
          {"status", r.status},
          {"party_member", r.party_member}};
}

Result<org::ListQuery> list_query(const http::Request& req) {
  auto page = page_of(req);
  if (!page) return fail(page.error());
  org::ListQuery q;
  q.after = page->after;
  q.limit = page->limit;
  auto node = optional_id(req, "node", "区划");
  if (!node) return fail(node.error());
  if (*node) q.node = *node;
  q.q = req.q("q").value_or("");
  if (q.q.size() > 100) return fail(Error::invalid("搜索词过长"));
  q.tag = req.q("tag").value_or("");
  q.category = req.q("category").value_or("");
  q.kind = req.q("kind").value_or("");
  return q;
}

// Builds ResidentInput from a JSON body: absent keys stay empty (unchanged).
Result<org::ResidentInput> resident_input(const Json& body) {
  Fields f(body);
  org::ResidentInput in;
  if (f.has("household_id")) in.household_id = f.integer("household_id", "所在住户", true, 1);
  if (f.has("name")) in.name = f.text("name", "姓名", 30);
  if (f.has("gender")) {
    auto g = f.one_of("gender", "性别", {"男", "女", "M", "F"});
    if (g) in.gender = (*g == "男" || *g == "M") ? "M" : "F";
  }
  if (f.has("birth_date")) in.birth_date = f.text("birth_date", "出生日期", 10, false);
  if (f.has("relation")) in.relation = f.text("relation", "与户主关系", 10, false);
  if (f.has("phone")) in.phone = f.text("phone", "手机号", 11, false);
  if (f.has("id_number")) in.id_number = f.text("id_number", "身份证号", 18, false);
  if (f.has("tags")) in.tags = f.strings("tags", "标签", 10, 10);
  if (!f.ok()) return fail(f.error());
  return in;
}

void add_node_routes(App& app, std::shared_ptr<OrgService> svc) {
  app.router.add({"GET",
                  "/api/v1/nodes",
                  "node.read",
                  "org",
                  "区划：管辖范围的根或某区划的下级",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto parent = optional_id(req, "parent", "上级区划");
                    if (!parent) return fail(parent.error());
                    auto nodes = *parent ? svc->children(caller(req), *parent)
                                         : svc->scope_roots(caller(req));
                    if (!nodes) return fail(nodes.error());
                    Json out = Json::array();
                    for (const auto& n : *nodes) out.push_back(node_json(n));
                    return out;
                  }),
                  nullptr,
                  {"parent"}});
  app.router.add(
      {"GET", "/api/v1/nodes/{id}", "node.read", "org", "区划详情",
       json_handler([svc](http::Request& req) -> Result<Json> {
         auto id = req.id_param("id");
         if (!id) return fail(id.error());
         auto n = svc->node(caller(req), *id, "node.read");
         if (!n) return fail(n.error());
         auto crumbs = svc->breadcrumbs(caller(req), *n);
         if (!crumbs) return fail(crumbs.error());
         Json j = node_json(*n);
         j["breadcrumbs"] = Json::array();
         for (const auto& c : *crumbs)
           j["breadcrumbs"].push_back({{"id", c.id}, {"name", c.name}, {"kind", c.kind}});
         return j;
       })});
  app.router.add(
      {"POST",
       "/api/v1/nodes",
       "node.write",
       "org",
       "新建下级区划",
       json_handler(
           [&app, svc](http::Request& req) -> Result<Json> {
             auto body = body_json(req);
             if (!body) return fail(body.error());
             Fields f(*body);
             auto parent = f.integer("parent_id", "上级区划", true, 1);
             auto name = f.text("name", "名称", 40);
             if (!f.ok()) return fail(f.error());
             auto n = svc->create_node(caller(req), *parent, *name, App::actor(req));
             if (!n) return fail(n.error());
             return node_json(*n);
           },
           201),
       {{"type", "object"},
        {"required", {"parent_id", "name"}},
        {"properties", {{"parent_id", {{"type", "integer"}}}, {"name", {{"type", "string"}}}}}}});
  app.router.add({"PATCH",
                  "/api/v1/nodes/{id}",
                  "node.write",
                  "org",
                  "区划更名",
                  json_handler([&app, svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto body = body_json(req);
                    if (!body) return fail(body.error());
                    Fields f(*body);
                    auto name = f.text("name", "名称", 40);
                    if (!f.ok()) return fail(f.error());
                    auto n = svc->rename_node(caller(req), *id, *name, App::actor(req));
                    if (!n) return fail(n.error());
                    return node_json(*n);
                  }),
                  {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}});
}

void add_household_routes(App& app, std::shared_ptr<OrgService> svc) {
  app.router.add({"GET",
                  "/api/v1/households",
                  "household.read",
                  "org",
                  "住户列表",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto q = list_query(req);
                    if (!q) return fail(q.error());
                    auto list = svc->households(caller(req), *q);
                    if (!list) return fail(list.error());
                    Json items = Json::array();
                    for (const auto& h : *list) items.push_back(household_json(h));
                    return page_json(std::move(items), q->limit);
                  }),
                  nullptr,
                  {"node", "q", "cursor", "limit"}});
  app.router.add({"GET", "/api/v1/households/{id}", "household.read", "org",
                  "住户详情（含成员与迁移记录）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto h = svc->household(caller(req), *id);
                    if (!h) return fail(h.error());
                    auto members = svc->household_members(*id);
                    if (!members) return fail(members.error());
                    auto moves = svc->household_moves(*id);
                    if (!moves) return fail(moves.error());
                    Json j = household_json(*h);
                    j["residents"] = Json::array();
                    for (const auto& r : *members) j["residents"].push_back(resident_json(r));
                    j["moves"] = *moves;
                    return j;
                  })});
  app.router.add({"POST",
                  "/api/v1/households",
                  "household.write",
                  "org",
                  "登记住户",
                  json_handler(
                      [&app, svc](http::Request& req) -> Result<Json> {
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        Fields f(*body);
                        auto node = f.integer("node_id", "所在单元", true, 1);
                        auto room = f.text("room", "房号", 16);
                        auto area = f.number("area", "面积", false);
                        if (area && (*area <= 0 || *area > 10000))
                          f.add("area", "面积应在0到10000平方米之间");
                        if (!f.ok()) return fail(f.error());
                        auto h =
                            svc->create_household(caller(req), *node, *room, area, App::actor(req));
                        if (!h) return fail(h.error());
                        return household_json(*h);
                      },
                      201),
                  {{"type", "object"},
                   {"required", {"node_id", "room"}},
                   {"properties",
                    {{"node_id", {{"type", "integer"}}},
                     {"room", {{"type", "string"}}},
                     {"area", {{"type", "number"}}}}}}});
  app.router.add({"POST",
                  "/api/v1/households/{id}/move",
                  "household.write",
                  "org",
                  "住户迁移（保留历史）",
                  json_handler([&app, svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto body = body_json(req);
                    if (!body) return fail(body.error());
                    Fields f(*body);
                    auto node = f.integer("node_id", "迁入单元", true, 1);
                    auto room = f.text("room", "房号", 16);
                    auto reason = f.text("reason", "迁移原因", 200);
                    if (!f.ok()) return fail(f.error());
                    auto h = svc->move_household(caller(req), *id, *node, *room, *reason,
                                                 App::actor(req));
                    if (!h) return fail(h.error());
                    return household_json(*h);
                  }),
                  {{"type", "object"},
                   {"required", {"node_id", "room", "reason"}},
                   {"properties",
                    {{"node_id", {{"type", "integer"}}},
                     {"room", {{"type", "string"}}},
                     {"reason", {{"type", "string"}}}}}}});
  app.router.add({"GET", "/api/v1/me/household", "self.read", "org", "我的住户（居民本人）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto h = svc->my_household(caller(req));
                    if (!h) return fail(h.error());
                    auto members = svc->household_members(h->id);
                    if (!members) return fail(members.error());
                    Json j = household_json(*h);
                    j["residents"] = Json::array();
                    for (const auto& r : *members) j["residents"].push_back(resident_json(r));
                    // Residents' pages ask for their community's rules and notices.
                    auto ids = auth::path_ids(h->node_path);
                    j["community_id"] = ids.size() >= 3 ? Json(ids[2]) : Json(nullptr);
                    return j;
                  })});
}

Json resident_schema() {
  return {{"type", "object"},
          {"properties",
           {{"household_id", {{"type", "integer"}}},
            {"name", {{"type", "string"}, {"maxLength", 30}}},
            {"gender", {{"type", "string"}, {"enum", {"男", "女"}}}},
            {"birth_date", {{"type", "string"}, {"format", "date"}}},
            {"relation", {{"type", "string"}}},
            {"phone", {{"type", "string"}}},
            {"id_number", {{"type", "string"}}},
            {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}};
}

void add_resident_routes(App& app, std::shared_ptr<OrgService> svc) {
  app.router.add({"GET",
                  "/api/v1/residents",
                  "resident.read",
                  "org",
                  "居民列表（脱敏）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto q = list_query(req);
                    if (!q) return fail(q.error());
                    auto list = svc->residents(caller(req), *q);
                    if (!list) return fail(list.error());
                    Json items = Json::array();
                    for (const auto& r : *list) items.push_back(resident_json(r));
                    return page_json(std::move(items), q->limit);
                  }),
                  nullptr,
                  {"node", "q", "tag", "cursor", "limit"}});
  app.router.add({"GET", "/api/v1/residents/{id}", "resident.read", "org", "居民详情（脱敏）",
                  json_handler([&app, svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto r = svc->resident(caller(req), *id);
                    if (!r) return fail(r.error());
                    auto out = resident_json(*r);
                    auto honours = points::honours_of(app.db, *id);
                    if (!honours) return fail(honours.error());
                    out["honours"] = *honours;
                    return out;
                  })});
  app.router.add({"POST", "/api/v1/residents", "resident.write", "org", "登记居民",
                  json_handler(
                      [&app, svc](http::Request& req) -> Result<Json> {
                        auto body = body_json(req);
                        if (!body) return fail(body.error());
                        auto in = resident_input(*body);
                        if (!in) return fail(in.error());
                        auto r = svc->create_resident(caller(req), *in, App::actor(req));
                        if (!r) return fail(r.error());
                        return resident_json(*r);
                      },
                      201),
                  resident_schema()});
  app.router.add({"PATCH", "/api/v1/residents/{id}", "resident.write", "org", "修改居民信息",
                  json_handler([&app, svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    auto body = body_json(req);
                    if (!body) return fail(body.error());
                    auto in = resident_input(*body);
                    if (!in) return fail(in.error());
                    auto r = svc->update_resident(caller(req), *id, *in, App::actor(req));
                    if (!r) return fail(r.error());
                    return resident_json(*r);
                  }),
                  resident_schema()});
  app.router.add(
      {"POST",
       "/api/v1/residents/{id}/reveal",
       "resident.reveal",
       "org",
       "查看完整手机号或身份证号（记入审计）",
       json_handler([&app, svc](http::Request& req) -> Result<Json> {
         auto id = req.id_param("id");
         if (!id) return fail(id.error());
         auto body = body_json(req);
         if (!body) return fail(body.error());
         Fields f(*body);
         auto field = f.one_of("field", "字段", {"phone", "id_number"});
         if (!f.ok()) return fail(f.error());
         auto v = svc->reveal(caller(req), *id, *field, App::actor(req));
         if (!v) return fail(v.error());
         return Json{{"field", *field}, {"value", *v}};
       }),
       {{"type", "object"},
        {"properties", {{"field", {{"type", "string"}, {"enum", {"phone", "id_number"}}}}}}}});
  app.router.add({"GET", "/api/v1/residents/{id}/party", "resident.read", "org", "居民的党员身份",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    return svc->resident_party(caller(req), *id);
                  })});
}

void add_party_and_org_routes(App& app, std::shared_ptr<OrgService> svc) {
  app.router.add({"GET",
                  "/api/v1/party/orgs",
                  "party.read",
                  "org",
                  "党组织",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto q = list_query(req);
                    if (!q) return fail(q.error());
                    return svc->party_orgs(caller(req), *q);
                  }),
                  nullptr,
                  {"node"}});
  app.router.add({"GET",
                  "/api/v1/party/members",
                  "party.read",
                  "org",
                  "党员",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto q = list_query(req);
                    if (!q) return fail(q.error());
                    auto items = svc->party_members(caller(req), *q);
                    if (!items) return fail(items.error());
                    return page_json(std::move(*items), q->limit);
                  }),
                  nullptr,
                  {"node", "category", "q", "cursor", "limit"}});
  app.router.add({"GET",
                  "/api/v1/orgs",
                  "org.read",
                  "org",
                  "单位（部门、物业、商户等）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto q = list_query(req);
                    if (!q) return fail(q.error());
                    return svc->orgs(caller(req), *q);
                  }),
                  nullptr,
                  {"kind"}});
}

// Grid boundaries as GeoJSON, for choosing a place on a map (residents'
// reports) and for the command centre's map.
void add_map_routes(App& app, std::shared_ptr<OrgService> svc) {
  app.router.add({"GET", "/api/v1/map/grids", http::access::kSignedIn, "org", "网格边界（GeoJSON）",
                  json_text_handler([svc](http::Request&) { return svc->grid_map(); })});
}

void add_import_export_routes(App& app, std::shared_ptr<OrgService> svc,
                              std::shared_ptr<OrgService> exports) {
  app.router.add(
      {"POST",
       "/api/v1/import/residents",
       "resident.import",
       "org",
       "导入居民CSV（dry_run=true 只检查）",
       [&app, svc](http::Request& req) {
         bool dry = req.q("dry_run").value_or("false") == "true";
         auto rep = svc->import_residents(caller(req), req.body, dry, App::actor(req));
         if (!rep) return http::Response::problem(rep.error(), req.request_id);
         Json errors = Json::array();
         for (const auto& e : rep->errors)
           errors.push_back({{"row", e.row}, {"column", e.column}, {"message", e.message}});
         Json j = {{"dry_run", rep->dry_run},     {"rows", rep->rows},
                   {"created", rep->created},     {"updated", rep->updated},
                   {"unchanged", rep->unchanged}, {"errors", errors}};
         if (!dry && !rep->errors.empty()) {
           // All or nothing: one bad row and nothing was imported.
           Error e = Error::invalid(fmt::format(
               "文件中有{}处错误，未导入任何数据，请修改后重新导入", rep->errors.size()));
           for (const auto& x : rep->errors)
             e.errors.push_back({fmt::format("第{}行 {}", x.row, x.column), x.message});
           auto res = http::Response::problem(e, req.request_id);
           auto body = Json::parse(res.body);
           body["report"] = j;
           res.body = body.dump();
           return res;
         }
         return http::Response::json(j);
       },
       nullptr,
       {"dry_run"}});
  app.router.add({"GET",
                  "/api/v1/export/residents",
                  "resident.export",
                  "org",
                  "导出居民名单（CSV或Excel，已脱敏）",
                  [&app, exports](http::Request& req) {
                    auto node = required_id(req, "node", "区划");
                    if (!node) return http::Response::problem(node.error(), req.request_id);
                    auto format = sheet_format(req);
                    if (!format) return http::Response::problem(format.error(), req.request_id);
                    auto rows = exports->export_residents(caller(req), *node, App::actor(req));
                    if (!rows) return http::Response::problem(rows.error(), req.request_id);
                    return spreadsheet(*rows, *format, "居民名单");
                  },
                  nullptr,
                  {http::required("node"), http::one_of("format", kSheetFormats)}});
}

}  // namespace

void register_org_routes(App& app) {
  auto svc = std::make_shared<OrgService>(app.db);
  add_node_routes(app, svc);
  add_household_routes(app, svc);
  add_resident_routes(app, svc);
  add_party_and_org_routes(app, svc);
  // Exports read through app.reads (a replica in a cluster); the audit row
  // still goes to the primary.
  add_import_export_routes(app, svc, std::make_shared<OrgService>(app.reads));
  add_map_routes(app, svc);
  org::add_privacy_routes(app);
}

}  // namespace linli
