// What a password must be: long enough, more than one kind of character, not
// on the list of passwords everyone tries first, and not the username.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace linli::auth {

// A Chinese sentence saying what is wrong, or nullopt when the password is
// acceptable. `min_chars` counts characters (UTF-8), not bytes.
std::optional<std::string> password_policy_problem(const std::string& password,
                                                   const std::string& username,
                                                   std::size_t min_chars);
// True when the password (compared case-insensitively) is on the common list.
bool is_common_password(const std::string& password);

}  // namespace linli::auth
