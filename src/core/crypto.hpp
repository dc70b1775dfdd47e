// Cryptography for accounts and personal data, all through libsodium.
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace linli::crypto {

// Must run once before any other call (sodium_init); safe to call again.
void init();

// Argon2id (crypto_pwhash_str, interactive limits): an encoded string that
// carries its own salt and parameters.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view encoded, std::string_view password);

// 256 random bits, base64url without padding (43 chars): a session token.
std::string random_token();
// Hex of a BLAKE2b-256 hash: what we store instead of a token.
std::string token_hash(std::string_view token);

// Key for personal data at rest. Loads LINLI_DATA_KEY (64 hex chars) if set,
// else the key file at `path`, creating it with mode 0600 when absent.
Status load_data_key(const std::string& path);
// True once a key is loaded.
bool data_key_loaded();
// secretbox with a random nonce; output is base64 of nonce||ciphertext.
std::string seal(std::string_view plaintext);
Result<std::string> open(std::string_view sealed);
// Keyed BLAKE2b (derived from the data key), hex: lets us find a resident by
// exact phone or ID number without decrypting every row (a blind index).
std::string blind_index(std::string_view value);

}  // namespace linli::crypto
