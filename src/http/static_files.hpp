// The built web UI, read into memory at start (it is small) and served with
// long caching for hashed assets and none for the HTML entry points.
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
  // The file at path, or the SPA entry point for an app route; nullopt when
  // the path is not the UI's.
  std::optional<Response> serve(const std::string& path) const;

 private:
  struct File {
    std::string body, type;
  };
  std::unordered_map<std::string, File> files_;
};

}  // namespace linli::http
