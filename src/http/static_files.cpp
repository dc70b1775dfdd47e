#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace linli::http {
namespace {

std::string type_of(const std::string& ext) {
  static const std::unordered_map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".csv", "text/csv; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"}};
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace

void StaticFiles::load(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto rel = "/" + fs::relative(e.path(), dir).generic_string();
    files_[rel] = {ss.str(), type_of(e.path().extension().string())};
  }
}

std::optional<Response> StaticFiles::serve(const std::string& path) const {
  if (files_.empty()) return std::nullopt;
  std::string key = path;
  auto it = files_.find(key);
  if (it == files_.end() || key.ends_with("/")) {
    // An app route: the mobile app lives under /m/, the console everywhere else.
    // Asset-looking paths that do not exist are real 404s.
    if (key.starts_with("/assets/") || key.find('.') != std::string::npos) return std::nullopt;
    key = (key == "/m" || key.starts_with("/m/")) ? "/m/index.html" : "/index.html";
    it = files_.find(key);
    if (it == files_.end()) return std::nullopt;
  }
  Response r;
  r.body = it->second.body;
  r.content_type = it->second.type;
  bool hashed = key.starts_with("/assets/");
  r.headers.emplace_back("Cache-Control",
                         hashed ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

}  // namespace linli::http
