// The built web UI, read into memory at start (it is small) and served with
// long caching for hashed assets and none for the HTML entry points.
// Text files are gzipped once here, at level 9, so a phone on a slow network
// downloads a third of the bytes at no cost per request; each representation
// has a strong ETag so a revisit revalidates with a 304 instead of a download.
#pragma once
#include <optional>
#include <string>
#include <unordered_map>

#include "http/message.hpp"

namespace linli::http {

class StaticFiles {
 public:
  // Loads every file under dir; a missing dir leaves the set empty and the
  // server answers API requests only.
  void load(const std::string& dir);
  bool empty() const { return files_.empty(); }
  // The file at req.path, or the SPA entry point for an app route, gzipped
  // when req's Accept-Encoding allows and a 304 when its If-None-Match names
  // the chosen representation; nullopt when the path is not the UI's.
  std::optional<Response> serve(const Request& req) const;

 private:
  struct Representation {
    std::string body, etag;  // etag with its quotes: "\"…\""
  };
  struct File {
    std::string type;
    Representation plain;
    std::optional<Representation> gzipped;  // only when it saves enough
  };
  const File* find(const std::string& path, bool& hashed) const;
  std::unordered_map<std::string, File> files_;
};

}  // namespace linli::http
