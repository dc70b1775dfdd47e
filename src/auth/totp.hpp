// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1,
// 6 digits, 30-second steps — what every authenticator app speaks.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace linli::auth::totp {

inline constexpr std::int64_t kStepSeconds = 30;

// RFC 4648 base32 (upper case, no padding) and back; nullopt on a bad character.
std::string base32_encode(std::string_view bytes);
std::optional<std::string> base32_decode(std::string_view text);

// HMAC-SHA-1 (RFC 2104), 20 raw bytes.
std::string hmac_sha1(std::string_view key, std::string_view message);
// The HOTP value of `counter`, truncated to `digits` decimal digits (RFC 4226 §5.3).
std::string hotp(std::string_view key, std::uint64_t counter, int digits = 6);
// The step containing unix time `unix_ms`.
std::int64_t step_of(std::int64_t unix_ms);
// The code for a step with a base32 secret ("" when the secret is not base32).
std::string code_at(std::string_view base32_secret, std::int64_t step);

// 160 random bits as base32: a new secret.
std::string new_secret();
// otpauth://totp/linli:USER?secret=…&issuer=linli&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view username, std::string_view base32_secret);

// The step in [now-1, now+1] whose code equals `code` and which is later than
// `last_used_step`; nullopt when none (wrong, stale or replayed).
std::optional<std::int64_t> match(std::string_view base32_secret, std::string_view code,
                                  std::int64_t now_ms, std::int64_t last_used_step);

}  // namespace linli::auth::totp
