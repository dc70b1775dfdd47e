// Operations endpoints: liveness, readiness, metrics, the OpenAPI document.
#include <fmt/format.h>
#include <malloc.h>

#include "app/app.hpp"
#include "auth/roles.hpp"
#include "store/migrations.hpp"

namespace linli {

void register_ops_routes(App& app) {
  app.router.add(
      {"GET", "/healthz", http::access::kPublic, "ops", "进程存活检查", [](http::Request&) {
         return http::Response::json({{"status", "ok"}});
       }});
  app.router.add({"GET", "/readyz", http::access::kPublic, "ops", "数据库可用且迁移已完成",
                  [&app](http::Request&) {
                    // Says why: the store cannot be reached, or its schema is behind.
                    bool up = app.db.ping();
                    auto current = up ? store::migrations_current(app.db) : Result<bool>(false);
                    if (up && current && *current)
                      return http::Response::json({{"status", "ready"}});
                    return http::Response::json(
                        {{"status", "unavailable"},
                         {"detail", up && current ? "数据库迁移未完成" : "数据库不可用"}},
                        503);
                  }});
  app.router.add(
      {"GET", "/metrics", http::access::kPublic, "ops", "Prometheus 指标", [&app](http::Request&) {
         auto s = app.db.stats();
         std::vector<std::string> extra = {
             "# TYPE linli_store_writes_total counter",
             fmt::format("linli_store_writes_total {}", s.writes),
             "# TYPE linli_store_write_batches_total counter",
             fmt::format("linli_store_write_batches_total {}", s.write_batches),
             "# TYPE linli_store_reads_total counter",
             fmt::format("linli_store_reads_total {}", s.reads),
             "# TYPE linli_store_pool_size gauge",
             fmt::format("linli_store_pool_size {}", s.pool_size),
             "# TYPE linli_store_pool_in_use gauge",
             fmt::format("linli_store_pool_in_use {}", s.pool_in_use),
             "# TYPE linli_store_write_queue_depth gauge",
             fmt::format("linli_store_write_queue_depth {}", s.queue_depth),
             "# TYPE linli_store_cache_bytes gauge",
             fmt::format("linli_store_cache_bytes {}", s.cache_bytes),
             "# TYPE linli_store_round_trips_total counter",
             fmt::format("linli_store_round_trips_total {}", s.round_trips)};
         // The heap as glibc sees it: in use by live objects against free but
         // still mapped. Tells a leak (in use keeps rising) from fragmentation
         // (free keeps rising) when RSS grows.
         auto heap = mallinfo2();
         extra.push_back("# TYPE linli_heap_in_use_bytes gauge");
         extra.push_back(fmt::format("linli_heap_in_use_bytes {}", heap.uordblks + heap.hblkhd));
         extra.push_back("# TYPE linli_heap_free_bytes gauge");
         extra.push_back(fmt::format("linli_heap_free_bytes {}", heap.fordblks));
         http::Response r;
         r.content_type = "text/plain; version=0.0.4; charset=utf-8";
         r.body = app.metrics.render(extra);
         return r;
       }});
  app.router.add({"GET", "/api/v1/openapi.json", http::access::kPublic, "ops",
                  "本接口的OpenAPI文档",
                  [&app](http::Request&) { return http::Response::json(app.router.openapi()); }});
  app.router.add({"GET", "/api/v1/roles", http::access::kSignedIn, "auth", "角色及其权限",
                  json_handler([](http::Request&) -> Result<Json> {
                    Json out = Json::array();
                    for (const auto& r : auth::roles())
                      out.push_back({{"role", r.code},
                                     {"name", r.name_zh},
                                     {"name_en", r.name_en},
                                     {"scope", r.scope == auth::ScopeKind::node ? "node" : "org"},
                                     {"home", r.home},
                                     {"permissions", r.permissions}});
                    return out;
                  })});
}

}  // namespace linli
