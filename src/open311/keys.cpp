#include "open311/keys.hpp"

#include "auth/audit.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/validate.hpp"

namespace linli::open311 {

Result<std::string> add_key(store::Db& db, const std::string& name) {
  auto len = validate::utf8_length(name);
  if (!len || *len == 0 || *len > 100)
    return fail(Error::invalid("请为密钥起一个1到100字的名称（如使用它的应用）"));
  auto key = crypto::random_token();
  auto w = db.write([&](store::Tx& tx) -> Status {
    auto r =
        tx.one("INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
               {name, crypto::token_hash(key), clock::now_ms()});
    if (!r) return fail(r.error());
    return auth::record(
        tx, auth::Actor{},
        {"open311.key_add", "api_key", r->i64("id"), "", "新建 Open311 api_key：" + name});
  });
  if (!w) return fail(w.error());
  return key;
}

Result<std::int64_t> check_key(store::Db& db, const std::string& key) {
  // A token is 43 base64url characters; anything else cannot match.
  if (key.empty() || key.size() > 128) return fail(Error::forbidden("api_key 无效"));
  auto rows = db.query("SELECT id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                       {crypto::token_hash(key)});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::forbidden("api_key 无效或已停用"));
  return (*rows)[0].i64("id");
}

}  // namespace linli::open311
