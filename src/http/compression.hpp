// gzip content coding (RFC 9110 §8.4.1.3) for what the server sends: the UI
// files, compressed once at start, and large textual API answers, compressed
// per request. gzip is the one coding every browser and HTTP client accepts.
#pragma once
#include <string>
#include <string_view>

namespace linli::http {

// Whether a request's Accept-Encoding value accepts gzip: "gzip" (or its
// alias "x-gzip") with a non-zero q, or else "*" with a non-zero q. Codings
// are case-insensitive; an empty header accepts nothing but identity.
bool accepts_gzip(std::string_view accept_encoding);

// body as one gzip member, deflated at level (1 = fastest … 9 = smallest).
// Throws std::runtime_error when zlib fails (out of memory).
std::string gzip(std::string_view body, int level);

}  // namespace linli::http
