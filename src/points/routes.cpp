// /api/v1/points/…: decode, call the points service, encode.
#include <fmt/format.h>

#include "app/app.hpp"
#include "core/log.hpp"
#include "points/service.hpp"

namespace linli {
namespace {

using points::PointsService;

// The values the deeds' and the redemptions' state filters take.
const std::vector<std::string> kDeedStates = {"pending", "approved", "rejected"};
const std::vector<std::string> kRedemptionStates = {"ordered",  "handed_over", "code_issued",
                                                    "verified", "cancelled",   "expired"};

Result<points::LedgerQuery> ledger_query(const http::Request& req) {
  auto community = required_id(req, "community", "社区");
  if (!community) return fail(community.error());
  points::LedgerQuery q;
  q.community_id = *community;
  auto resident = optional_id(req, "resident", "居民");
  if (!resident) return fail(resident.error());
  q.resident_id = *resident;
  auto kind = optional_choice(req, "kind", "积分变动类型", points::transfer_kinds());
  if (!kind) return fail(kind.error());
  q.kind = *kind;
  auto month = optional_month(req, "month");
  if (!month) return fail(month.error());
  q.month = *month;
  return q;
}

// A ranking's period: a month (YYYY-MM) or a whole year (YYYY).
http::QueryParam ranking_period() {
  auto q = http::required("period");
  q.pattern = "^[0-9]{4}(-(0[1-9]|1[0-2]))?$";
  return q;
}

// A POST handler taking a JSON body.
http::Handler body_handler(std::function<Result<Json>(http::Request&, const Json&)> fn,
                           int status = 200) {
  return json_handler(
      [fn = std::move(fn)](http::Request& req) -> Result<Json> {
        Json body = Json::object();
        if (!req.body.empty()) {
          auto b = body_json(req);
          if (!b) return fail(b.error());
          body = std::move(*b);
        }
        return fn(req, body);
      },
      status);
}

void add_rule_and_deed_routes(App& app, std::shared_ptr<PointsService> svc) {
  app.router.add({"GET",
                  "/api/v1/points/rules",
                  http::access::kSignedIn,
                  "points",
                  "积分规则（社区继承全市默认）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto community = optional_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->rules(caller(req), *community);
                  }),
                  nullptr,
                  {"community"}});
  app.router.add({"PUT",
                  "/api/v1/points/rules",
                  "points.review",
                  "points",
                  "修改或新增社区积分规则（新版本）",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    auto community = required_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->put_rule(caller(req), *community, b, App::actor(req));
                  }),
                  {{"type", "object"}},
                  {http::required("community")}});
  app.router.add({"POST",
                  "/api/v1/points/deeds",
                  "points.record",
                  "points",
                  "一事一记：记录积分",
                  body_handler(
                      [svc](http::Request& req, const Json& b) -> Result<Json> {
                        Fields f(b);
                        points::DeedInput in;
                        in.resident_id = f.integer("resident_id", "居民", true, 1).value_or(0);
                        in.rule_code = f.text("rule_code", "积分规则", 40).value_or("");
                        in.deed_date = f.text("deed_date", "日期", 10).value_or("");
                        in.note = f.text("note", "说明", 200, false).value_or("");
                        in.evidence_sha = f.text("evidence_sha", "照片", 64, false).value_or("");
                        if (!f.ok()) return fail(f.error());
                        return svc->record(caller(req), in, App::actor(req));
                      },
                      201),
                  {{"type", "object"},
                   {"properties",
                    {{"resident_id", {{"type", "integer"}}},
                     {"rule_code", {{"type", "string"}}},
                     {"deed_date", {{"type", "string"}}},
                     {"note", {{"type", "string"}}}}}}});
  app.router.add(
      {"GET",
       "/api/v1/points/deeds",
       "points.read",
       "points",
       "积分记录（按社区、月份、状态）",
       json_text_handler([svc](http::Request& req) -> Result<std::string> {
         auto community = optional_id(req, "community", "社区");
         if (!community) return fail(community.error());
         auto resident = optional_id(req, "resident", "居民");
         if (!resident) return fail(resident.error());
         auto month = optional_month(req, "month");
         if (!month) return fail(month.error());
         auto state = optional_choice(req, "state", "审核状态", kDeedStates);
         if (!state) return fail(state.error());
         return svc->deeds(caller(req), *community, *month, *state, *resident);
       }),
       nullptr,
       {"community", http::month("month"), http::one_of("state", kDeedStates), "resident"}});
  app.router.add({"POST",
                  "/api/v1/points/review",
                  "points.review",
                  "points",
                  "一月一评：批量评议",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    if (!b.contains("items") || !b["items"].is_array())
                      return fail(Error::invalid("请提供评议列表 items"));
                    std::vector<points::Review> items;
                    for (const auto& it : b["items"]) {
                      if (!it.is_object() || !it.contains("deed_id") ||
                          !it["deed_id"].is_number_integer())
                        return fail(Error::invalid("每条评议需要 deed_id"));
                      points::Review r;
                      r.deed_id = it["deed_id"].get<std::int64_t>();
                      r.decision = it.value("decision", std::string());
                      if (it.contains("points") && it["points"].is_number_integer())
                        r.points = it["points"].get<std::int64_t>();
                      r.reason = it.value("reason", std::string());
                      items.push_back(std::move(r));
                    }
                    return svc->review(caller(req), items, App::actor(req));
                  }),
                  {{"type", "object"}, {"properties", {{"items", {{"type", "array"}}}}}}});
}

void add_month_routes(App& app, std::shared_ptr<PointsService> svc) {
  app.router.add({"POST",
                  "/api/v1/points/months",
                  "points.review",
                  "points",
                  "一月一示：公示某月积分",
                  body_handler(
                      [svc](http::Request& req, const Json& b) -> Result<Json> {
                        Fields f(b);
                        auto community = f.integer("community_id", "社区", true, 1);
                        auto month = f.text("month", "月份", 7);
                        if (!f.ok()) return fail(f.error());
                        return svc->publish(caller(req), *community, *month, App::actor(req));
                      },
                      201),
                  {{"type", "object"},
                   {"properties",
                    {{"community_id", {{"type", "integer"}}}, {"month", {{"type", "string"}}}}}}});
  app.router.add({"GET", "/api/v1/points/months/{community}/{month}", http::access::kSignedIn,
                  "points", "已公示的月度积分（快照、公告文字）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto c = req.id_param("community");
                    if (!c) return fail(c.error());
                    return svc->month(caller(req), *c, req.params["month"]);
                  })});
  app.router.add({"POST",
                  "/api/v1/points/objections",
                  "points.self",
                  "points",
                  "居民对公示提出异议",
                  body_handler(
                      [svc](http::Request& req, const Json& b) -> Result<Json> {
                        Fields f(b);
                        auto deed = f.integer("deed_id", "积分记录", true, 1);
                        auto reason = f.text("reason", "异议理由", 300);
                        if (!f.ok()) return fail(f.error());
                        return svc->object(caller(req), *deed, *reason, App::actor(req));
                      },
                      201),
                  {{"type", "object"}}});
  app.router.add({"GET",
                  "/api/v1/points/objections",
                  "points.review",
                  "points",
                  "异议列表",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto community = optional_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->objections(caller(req), *community);
                  }),
                  nullptr,
                  {"community"}});
  app.router.add({"POST",
                  "/api/v1/points/objections/{id}/resolve",
                  "points.review",
                  "points",
                  "处理异议（成立则下月更正）",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    Fields f(b);
                    auto upheld = f.boolean("upheld", "异议是否成立");
                    auto resolution = f.text("resolution", "处理意见", 300);
                    auto correction = f.integer("correction", "更正分值", false, -1000, 1000);
                    if (!f.ok()) return fail(f.error());
                    return svc->resolve_objection(caller(req), *id, *upheld, *resolution,
                                                  correction.value_or(0), App::actor(req));
                  }),
                  {{"type", "object"}}});
  app.router.add(
      {"GET",
       "/api/v1/points/rankings",
       "points.read",
       "points",
       "排名：居民、单元、楼栋、支部（指定社区 community 或街道 street；街道另有社区排名）",
       json_handler([svc](http::Request& req) -> Result<Json> {
         if (!req.q("street") && !req.q("community"))
           return fail(Error::bad_request("请指定社区（community）或街道（street）",
                                          {{"community", "请指定社区或街道"}}));
         auto node = req.q("street") ? required_id(req, "street", "街道")
                                     : required_id(req, "community", "社区");
         if (!node) return fail(node.error());
         return svc->rankings(caller(req), *node, req.q("period").value_or(""));
       }),
       nullptr,
       {"community", "street", ranking_period()}});
  app.router.add({"POST",
                  "/api/v1/points/honours",
                  "points.review",
                  "points",
                  "评选荣誉称号",
                  body_handler(
                      [svc](http::Request& req, const Json& b) {
                        return svc->add_honour(caller(req), b, App::actor(req));
                      },
                      201),
                  {{"type", "object"}}});
  app.router.add({"GET",
                  "/api/v1/points/honours",
                  http::access::kSignedIn,
                  "points",
                  "荣誉榜",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto community = required_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    auto year = optional_id(req, "year", "年份");
                    if (!year) return fail(year.error());
                    return svc->honours(caller(req), *community, *year);
                  }),
                  nullptr,
                  {http::required("community"), "year"}});
}

void add_ledger_routes(App& app, std::shared_ptr<PointsService> svc) {
  app.router.add({"POST",
                  "/api/v1/points/base-grant",
                  "points.review",
                  "points",
                  "发放年度基础积分（每户每年一次）",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    Fields f(b);
                    auto community = f.integer("community_id", "社区", true, 1);
                    auto year = f.integer("year", "年份", true, 2000, 2100);
                    if (!f.ok()) return fail(f.error());
                    return svc->grant_base(caller(req), *community, static_cast<int>(*year),
                                           App::actor(req));
                  }),
                  {{"type", "object"}}});
  app.router.add({"GET",
                  "/api/v1/points/balance",
                  http::access::kSignedIn,
                  "points",
                  "积分余额与明细（居民看自己的；工作人员须指定居民 resident）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    // A resident's own balance needs no id; staff name the resident.
                    auto resident = caller(req).resident_id;
                    if (req.q("resident") || !resident) {
                      auto named = required_id(req, "resident", "居民");
                      if (!named) return fail(named.error());
                      resident = *named;
                    }
                    return svc->balance(caller(req), resident);
                  }),
                  nullptr,
                  {"resident"}});
  app.router.add(
      {"GET",
       "/api/v1/points/ledger",
       "points.read",
       "points",
       "积分台账：按居民、类型、月份查询积分流水",
       json_handler([svc](http::Request& req) -> Result<Json> {
         auto page = page_of(req);
         if (!page) return fail(page.error());
         auto q = ledger_query(req);
         if (!q) return fail(q.error());
         q->before = page->after;
         q->limit = page->limit;
         auto items = svc->ledger(caller(req), *q);
         if (!items) return fail(items.error());
         return page_json(std::move(*items), page->limit);
       }),
       nullptr,
       {http::required("community"), "resident", http::one_of("kind", points::transfer_kinds()),
        http::month("month"), "cursor", "limit"}});
  app.router.add(
      {"GET",
       "/api/v1/points/ledger/export",
       "points.read",
       "points",
       "导出积分台账（CSV或Excel）",
       [svc](http::Request& req) {
         auto format = sheet_format(req);
         if (!format) return http::Response::problem(format.error(), req.request_id);
         auto q = ledger_query(req);
         if (!q) return http::Response::problem(q.error(), req.request_id);
         auto rows = svc->export_ledger(caller(req), *q, App::actor(req));
         if (!rows) return http::Response::problem(rows.error(), req.request_id);
         return spreadsheet(*rows, *format, "积分台账");
       },
       nullptr,
       {http::required("community"), "resident", http::one_of("kind", points::transfer_kinds()),
        http::month("month"), http::one_of("format", kSheetFormats)}});
  app.router.add({"GET", "/api/v1/points/ledger/check", "points.review", "points", "积分账本核对",
                  json_handler([svc](http::Request&) -> Result<Json> {
                    auto problems = svc->check_ledger();
                    if (!problems) return fail(problems.error());
                    return Json{{"ok", problems->empty()}, {"problems", *problems}};
                  })});
}

void add_redemption_routes(App& app, std::shared_ptr<PointsService> svc) {
  app.router.add({"GET",
                  "/api/v1/points/items",
                  http::access::kSignedIn,
                  "points",
                  "积分超市商品",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto community = optional_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->items(caller(req), *community);
                  }),
                  nullptr,
                  {"community"}});
  app.router.add({"POST",
                  "/api/v1/points/items",
                  "points.shop",
                  "points",
                  "积分超市上架商品",
                  body_handler(
                      [svc](http::Request& req, const Json& b) -> Result<Json> {
                        Fields f(b);
                        auto station = f.integer("station_id", "服务站", true, 1);
                        auto name = f.text("name", "商品名称", 30);
                        auto price = f.integer("points_price", "所需积分", true, 1, 100000);
                        auto stock = f.integer("stock", "库存", true, 0, 100000);
                        if (!f.ok()) return fail(f.error());
                        return svc->add_item(caller(req), *station, *name, *price, *stock,
                                             App::actor(req));
                      },
                      201),
                  {{"type", "object"}}});
  app.router.add({"POST",
                  "/api/v1/points/items/{id}/stock",
                  "points.shop",
                  "points",
                  "补货或盘点",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    Fields f(b);
                    auto delta = f.integer("delta", "数量", true, -100000, 100000);
                    if (!f.ok()) return fail(f.error());
                    return svc->restock(caller(req), *id, *delta, App::actor(req));
                  }),
                  {{"type", "object"}}});
  app.router.add({"POST", "/api/v1/points/items/{id}/order", "points.self", "points",
                  "居民兑换商品",
                  json_handler(
                      [svc](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        return svc->order(caller(req), *id, App::actor(req));
                      },
                      201)});
  app.router.add({"POST", "/api/v1/points/redemptions/{id}/hand-over", "points.shop", "points",
                  "发放商品", json_handler([svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    return svc->hand_over(caller(req), *id, App::actor(req));
                  })});
  app.router.add({"POST", "/api/v1/points/redemptions/{id}/cancel", http::access::kSignedIn,
                  "points", "取消兑换（积分和库存退回）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto id = req.id_param("id");
                    if (!id) return fail(id.error());
                    return svc->cancel(caller(req), *id, App::actor(req));
                  })});
  app.router.add({"GET",
                  "/api/v1/points/redemptions",
                  http::access::kSignedIn,
                  "points",
                  "服务站或商户的兑换单（如待发放）",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto org = required_id(req, "org", "服务站或商户");
                    if (!org) return fail(org.error());
                    auto state = optional_choice(req, "state", "兑换状态", kRedemptionStates);
                    if (!state) return fail(state.error());
                    return svc->redemptions(caller(req), *org, *state);
                  }),
                  nullptr,
                  {http::required("org"), http::one_of("state", kRedemptionStates)}});
  app.router.add(
      {"GET", "/api/v1/points/redemptions/mine", "points.self", "points", "我的兑换",
       json_handler([svc](http::Request& req) { return svc->my_redemptions(caller(req)); })});
  app.router.add({"GET", "/api/v1/points/services", http::access::kSignedIn, "points",
                  "商家联盟服务",
                  json_handler([svc](http::Request& req) { return svc->services(caller(req)); })});
  app.router.add({"POST",
                  "/api/v1/points/services",
                  http::access::kSignedIn,
                  "points",
                  "商家发布积分服务",
                  body_handler(
                      [svc](http::Request& req, const Json& b) -> Result<Json> {
                        // Who first (403), then what.
                        if (!caller(req).can("merchant.portal") && !caller(req).can("points.shop"))
                          return fail(Error::forbidden());
                        Fields f(b);
                        auto merchant = f.integer("merchant_id", "商户", true, 1);
                        auto name = f.text("name", "服务名称", 30);
                        auto price = f.integer("points_price", "所需积分", true, 1, 100000);
                        if (!f.ok()) return fail(f.error());
                        return svc->add_service(caller(req), *merchant, *name, *price,
                                                App::actor(req));
                      },
                      201),
                  {{"type", "object"}}});
  app.router.add({"POST", "/api/v1/points/services/{id}/code", "points.self", "points",
                  "生成一次性兑换码",
                  json_handler(
                      [svc](http::Request& req) -> Result<Json> {
                        auto id = req.id_param("id");
                        if (!id) return fail(id.error());
                        return svc->issue_code(caller(req), *id, App::actor(req));
                      },
                      201)});
  app.router.add({"POST",
                  "/api/v1/points/verify",
                  "merchant.portal",
                  "points",
                  "商家核销兑换码",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    Fields f(b);
                    auto merchant = f.integer("merchant_id", "商户", true, 1);
                    auto code = f.text("code", "兑换码", 6);
                    if (!f.ok()) return fail(f.error());
                    return svc->verify_code(caller(req), *merchant, *code, App::actor(req));
                  }),
                  {{"type", "object"}}});
  app.router.add({"GET",
                  "/api/v1/points/statements/{org}",
                  http::access::kSignedIn,
                  "points",
                  "商户或积分超市月度对账单",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto org = req.id_param("org");
                    if (!org) return fail(org.error());
                    return svc->statement(caller(req), *org, req.q("month").value_or(""));
                  }),
                  nullptr,
                  {http::month("month", true)}});
}

}  // namespace

void add_settings_routes(App& app, std::shared_ptr<PointsService> svc) {
  app.router.add({"GET",
                  "/api/v1/points/settings",
                  "points.read",
                  "points",
                  "社区积分设置：异议期、兑换码有效期、积分有效期",
                  json_handler([svc](http::Request& req) -> Result<Json> {
                    auto community = required_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->settings(caller(req), *community);
                  }),
                  nullptr,
                  {http::required("community")}});
  app.router.add({"PUT",
                  "/api/v1/points/settings",
                  "points.review",
                  "points",
                  "修改社区积分设置",
                  body_handler([svc](http::Request& req, const Json& b) -> Result<Json> {
                    auto community = required_id(req, "community", "社区");
                    if (!community) return fail(community.error());
                    return svc->put_settings(caller(req), *community, b, App::actor(req));
                  }),
                  {{"type", "object"}},
                  {http::required("community")}});
}

void register_points_routes(App& app) {
  auto svc = std::make_shared<PointsService>(app.db);
  add_rule_and_deed_routes(app, svc);
  add_month_routes(app, svc);
  add_ledger_routes(app, svc);
  add_redemption_routes(app, svc);
  add_settings_routes(app, svc);
  // Expiry is checked every minute and runs once per community and month.
  app.minutely.push_back([svc, &app](std::int64_t now) {
    if (auto r = svc->expire(now, &app.notifier); !r)
      log::warn("points expiry failed", {{"detail", r.error().detail}});
  });
}

}  // namespace linli
