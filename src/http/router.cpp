#include "http/router.hpp"

#include <algorithm>
#include <set>

namespace linli::http {
namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_param(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::add(Route r) {
  compiled_.push_back({split(r.pattern)});
  routes_.push_back(std::move(r));
}

bool Router::path_matches(std::size_t route, const std::vector<std::string>& segs) const {
  const auto& pat = compiled_[route].segments;
  if (pat.size() != segs.size()) return false;
  for (std::size_t k = 0; k < pat.size(); ++k)
    if (is_param(pat[k]) ? segs[k].empty() : pat[k] != segs[k]) return false;
  return true;
}

const Route* Router::match(const std::string& method, const std::string& path,
                           std::unordered_map<std::string, std::string>& params,
                           bool& path_exists) const {
  auto segs = split(path);
  path_exists = false;
  const bool head = method == "HEAD";
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!path_matches(i, segs)) continue;
    path_exists = true;
    if (routes_[i].method != method && !(head && routes_[i].method == "GET")) continue;
    params.clear();
    const auto& pat = compiled_[i].segments;
    for (std::size_t k = 0; k < pat.size(); ++k)
      if (is_param(pat[k])) params[pat[k].substr(1, pat[k].size() - 2)] = segs[k];
    return &routes_[i];
  }
  return nullptr;
}

std::string Router::allowed(const std::string& path) const {
  auto segs = split(path);
  std::vector<std::string> methods;
  auto add = [&](const std::string& m) {
    if (std::ranges::find(methods, m) == methods.end()) methods.push_back(m);
  };
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!path_matches(i, segs)) continue;
    add(routes_[i].method);
    if (routes_[i].method == "GET") add("HEAD");
  }
  std::string out;
  for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
  return out;
}

nlohmann::json Router::openapi() const {
  using nlohmann::json;
  json paths = json::object();
  std::set<std::string> tags;
  for (const auto& r : routes_) {
    json op = {{"summary", r.summary},
               {"tags", json::array({r.tag})},
               {"operationId", r.method + " " + r.pattern},
               {"x-permission", r.permission}};
    json params = json::array();
    for (const auto& seg : split(r.pattern))
      if (is_param(seg))
        params.push_back({{"name", seg.substr(1, seg.size() - 2)},
                          {"in", "path"},
                          {"required", true},
                          {"schema", {{"type", "string"}}}});
    for (const auto& q : r.query) {
      json schema = {{"type", "string"}};
      if (!q.choices.empty()) schema["enum"] = q.choices;
      if (!q.pattern.empty()) schema["pattern"] = q.pattern;
      params.push_back({{"name", q.name}, {"in", "query"}, {"schema", std::move(schema)}});
      if (q.required) params.back()["required"] = true;
    }
    if (!params.empty()) op["parameters"] = params;
    if (!r.request_body.is_null())
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", r.request_body}}}}}};
    op["responses"] = {{"200", {{"description", "成功"}}},
                       {"default",
                        {{"description", "错误 (problem+json)"},
                         {"content",
                          {{"application/problem+json",
                            {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}}}};
    if (r.permission == access::kPublic) op["security"] = json::array();
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    paths[r.pattern][method] = op;
    tags.insert(r.tag);
  }
  json tag_list = json::array();
  for (const auto& t : tags) tag_list.push_back({{"name", t}});
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "linli 邻里 API"},
            {"version", "1.0.0"},
            {"description", "党建引领基层治理平台接口。错误以 application/problem+json 返回。"}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"tags", tag_list},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}, {{"cookie", json::array()}}})},
          {"components",
           {{"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
              {"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "linli_session"}}}}},
            {"schemas",
             {{"Problem",
               {{"type", "object"},
                {"properties",
                 {{"type", {{"type", "string"}}},
                  {"title", {{"type", "string"}}},
                  {"status", {{"type", "integer"}}},
                  {"detail", {{"type", "string"}}},
                  {"errors",
                   {{"type", "array"},
                    {"items",
                     {{"type", "object"},
                      {"properties",
                       {{"field", {{"type", "string"}}},
                        {"message", {{"type", "string"}}}}}}}}}}}}}}}}}};
}

}  // namespace linli::http
