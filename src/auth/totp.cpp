#include "auth/totp.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

namespace linli::auth::totp {
namespace {

constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::uint32_t rotl(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// SHA-1 (FIPS 180-4). libsodium has no SHA-1, and TOTP apps expect it; it is
// used here only inside HMAC, where SHA-1's collision weakness does not matter.
std::string sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(data);
  std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (i * 8)) & 0xff));
  for (std::size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + i * 4);
      w[i] = (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) |
             (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
    }
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      std::uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::string out;
  for (auto v : h)
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  return out;
}

}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == '=' || ch == ' ') continue;
    char c = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 32) : ch;
    const char* p = std::strchr(kAlphabet, c);
    if (!p || c == '\0') return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string hmac_sha1(std::string_view key, std::string_view message) {
  std::string k(key.size() > 64 ? sha1(key) : std::string(key));
  k.resize(64, '\0');
  std::string inner(64, '\0'), outer(64, '\0');
  for (int i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(k[i] ^ 0x36);
    outer[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  return sha1(outer + sha1(inner + std::string(message)));
}

std::string hotp(std::string_view key, std::uint64_t counter, int digits) {
  std::string msg(8, '\0');
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  auto mac = hmac_sha1(key, msg);
  int offset = mac[19] & 0x0f;
  std::uint32_t bin = ((std::uint32_t(static_cast<unsigned char>(mac[offset])) & 0x7f) << 24) |
                      (std::uint32_t(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                      (std::uint32_t(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                      std::uint32_t(static_cast<unsigned char>(mac[offset + 3]));
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string s = std::to_string(bin % mod);
  return std::string(static_cast<std::size_t>(digits) - s.size(), '0') + s;
}

std::int64_t step_of(std::int64_t unix_ms) { return unix_ms / 1000 / kStepSeconds; }

std::string code_at(std::string_view base32_secret, std::int64_t step) {
  auto key = base32_decode(base32_secret);
  if (!key || key->empty()) return "";
  return hotp(*key, static_cast<std::uint64_t>(step));
}

std::string new_secret() {
  std::array<unsigned char, 20> b{};
  randombytes_buf(b.data(), b.size());
  return base32_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

std::string otpauth_uri(std::string_view username, std::string_view base32_secret) {
  // Usernames are [a-z0-9_.-]: nothing to percent-encode.
  return "otpauth://totp/linli:" + std::string(username) + "?secret=" + std::string(base32_secret) +
         "&issuer=linli&algorithm=SHA1&digits=6&period=30";
}

std::optional<std::int64_t> match(std::string_view base32_secret, std::string_view code,
                                  std::int64_t now_ms, std::int64_t last_used_step) {
  if (code.size() != 6) return std::nullopt;
  auto now = step_of(now_ms);
  for (std::int64_t s = now - 1; s <= now + 1; ++s) {
    if (s <= last_used_step) continue;
    auto expected = code_at(base32_secret, s);
    if (expected.size() == code.size() &&
        sodium_memcmp(expected.data(), code.data(), code.size()) == 0)
      return s;
  }
  return std::nullopt;
}

}  // namespace linli::auth::totp
