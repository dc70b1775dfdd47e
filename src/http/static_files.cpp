#include "http/static_files.hpp"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "http/compression.hpp"

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

bool compressible(const std::string& ext) {
  // Fonts (woff2 is compressed already) and raster images gain nothing; svg
  // is text, and an ico is mostly an uncompressed bitmap.
  static const std::unordered_set<std::string> text = {
      ".html", ".js", ".css", ".json", ".svg", ".csv", ".txt", ".ico", ".webmanifest"};
  return text.contains(ext);
}

// A strong validator from the bytes themselves: it changes exactly when the
// file does, and every node of a cluster serving the same build agrees on it.
std::string content_tag(const std::string& body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[2 * sizeof hash + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

// Whether an If-None-Match value names etag, by the weak comparison RFC 9110
// §13.1.2 asks for there (a W/ prefix is ignored); "*" names any.
bool none_match_names(std::string_view list, std::string_view etag) {
  std::size_t i = 0;
  while (i < list.size()) {
    char c = list[i];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i;
      continue;
    }
    if (c == '*') return true;
    if (list.substr(i, 2) == "W/") i += 2;
    if (i >= list.size() || list[i] != '"') return false;  // malformed: no match
    auto end = list.find('"', i + 1);
    if (end == std::string_view::npos) return false;
    if (list.substr(i, end + 1 - i) == etag) return true;
    i = end + 1;
  }
  return false;
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
    auto ext = e.path().extension().string();
    File f{type_of(ext), {ss.str(), {}}, std::nullopt};
    auto tag = content_tag(f.plain.body);
    f.plain.etag = '"' + tag + '"';
    if (compressible(ext)) {
      // Level 9 costs once, at start. A copy saving under 10 % is not worth
      // a second representation (a tiny file can even grow).
      auto packed = gzip(f.plain.body, 9);
      if (packed.size() * 10 < f.plain.body.size() * 9)
        f.gzipped = Representation{std::move(packed), '"' + tag + "-gz\""};
    }
    files_["/" + fs::relative(e.path(), dir).generic_string()] = std::move(f);
  }
}

const StaticFiles::File* StaticFiles::find(const std::string& path, bool& hashed) const {
  std::string key = path;
  auto it = files_.find(key);
  if (it == files_.end() || key.ends_with("/")) {
    // An app route: the mobile app lives under /m/, the console everywhere else.
    // Asset-looking paths that do not exist are real 404s.
    if (key.starts_with("/assets/") || key.find('.') != std::string::npos) return nullptr;
    key = (key == "/m" || key.starts_with("/m/")) ? "/m/index.html" : "/index.html";
    it = files_.find(key);
    if (it == files_.end()) return nullptr;
  }
  hashed = key.starts_with("/assets/");
  return &it->second;
}

std::optional<Response> StaticFiles::serve(const Request& req) const {
  bool hashed = false;
  const File* f = find(req.path, hashed);
  if (!f) return std::nullopt;
  bool gzipped = f->gzipped && accepts_gzip(req.header("accept-encoding"));
  const Representation& chosen = gzipped ? *f->gzipped : f->plain;
  Response r;
  r.headers.emplace_back("Cache-Control",
                         hashed ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("ETag", chosen.etag);
  // Caches must key the two representations apart, including the plain one.
  if (f->gzipped) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (none_match_names(req.header("if-none-match"), chosen.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (gzipped) r.headers.emplace_back("Content-Encoding", "gzip");
  r.body = chosen.body;
  r.content_type = f->type;
  return r;
}

}  // namespace linli::http
