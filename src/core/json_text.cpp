#include "core/json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/validate.hpp"

namespace linli {

namespace {

std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Whether any of eight bytes is a control character, '"', '\\' or not ASCII
// (the classic "has zero byte" test on the word and its XORs).
bool needs_care(std::uint64_t v) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto zero_in = [&](std::uint64_t x) { return (x - ones) & ~x & highs; };
  return ((v & highs) | zero_in(v & 0xE0E0E0E0E0E0E0E0ULL) | zero_in(v ^ (ones * '"')) |
          zero_in(v ^ (ones * '\\'))) != 0;
}

bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

void append_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {  // other control characters, as dump() writes them
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
    }
  }
}

// Bytes of a broken sequence at s[i] that dump() replaces with one U+FFFD:
// the lead byte and the continuation bytes valid in their place before the
// sequence broke off. The byte that broke it starts over (as in dump()).
std::size_t broken_span(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = at(i);
  std::size_t want = lead >= 0xF5 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC2 ? 1 : 0;
  // The second byte's range rules out overlong forms, surrogates and
  // code points past U+10FFFF.
  unsigned char lo = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  unsigned char hi = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  std::size_t n = 1;
  for (; n <= want && i + n < s.size(); ++n) {
    if (at(i + n) < lo || at(i + n) > hi) break;
    lo = 0x80, hi = 0xBF;
  }
  return n;
}

}  // namespace

namespace {

// Where the bytes that can be copied as they are end, from i on: the first
// '"', '\\', control character or broken UTF-8 sequence, or the end.
std::size_t plain_until(std::string_view s, std::size_t i) {
  const char* p = s.data();
  const std::size_t n = s.size();
  while (i < n) {
    // Eight plain ASCII bytes at a time: most of an answer is keys, codes,
    // dates and numbers.
    if (i + 8 <= n && !needs_care(load8(p + i))) {
      i += 8;
      continue;
    }
    auto c = static_cast<unsigned char>(p[i]);
    if (plain(c)) {
      ++i;
      continue;
    }
    if (c < 0x80) return i;
    // A three-byte character (all of CJK) checked inline; the rest by the
    // general decoder. Chinese text runs on: the characters after this one
    // are tried as CJK first, before the ASCII word test.
    auto cjk = [&](std::size_t k) {
      auto lead = static_cast<unsigned char>(p[k]);
      return lead >= 0xE1 && lead <= 0xEF && lead != 0xED && k + 3 <= n &&
             (static_cast<unsigned char>(p[k + 1]) & 0xC0) == 0x80 &&
             (static_cast<unsigned char>(p[k + 2]) & 0xC0) == 0x80;
    };
    if (cjk(i)) {
      do i += 3;
      while (i < n && cjk(i));
      continue;
    }
    char32_t cp;
    std::size_t len = validate::utf8_next(s, i, cp);
    if (len == 0) return i;
    i += len;
  }
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t n = s.size();
  std::size_t i = plain_until(s, 0);
  if (i == n) {
    // Nothing to escape (nearly every string): quotes and bytes in one write
    // instead of three appends (callgrind).
    const std::size_t at = out.size(), size = at + n + 2;
    out.resize_and_overwrite(size, [&](char* buf, std::size_t) {  // size: see member()
      buf[at] = '"';
      std::memcpy(buf + at + 1, s.data(), n);
      buf[at + n + 1] = '"';
      return size;
    });
    return;
  }
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  while (i < n) {
    out.append(s.data() + run, i - run);
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      out += "\xEF\xBF\xBD";
      i += broken_span(s, i);
    } else {
      append_escape(out, c);
      ++i;
    }
    run = i;
    i = plain_until(s, i);
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

void append_json_integer(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_json_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  // dump()'s own shortest round-trip formatting, so the text is the same.
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, end);
}

}  // namespace linli
