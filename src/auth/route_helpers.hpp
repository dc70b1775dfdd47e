// Shared by the auth route files (routes.cpp, security_routes.cpp).
#pragma once
#include <string>

#include "app/app.hpp"

namespace linli {

// The signed-in user as /auth/me answers it.
Json principal_json(const auth::Principal& p);
// Set-Cookie value for the session cookie (HttpOnly, SameSite=Strict, Secure when asked).
std::string session_cookie(const std::string& token, std::int64_t max_age_s, bool secure);
// {token, stage, user} plus the cookie, for a login or a completed second step.
http::Response login_response(App& app, const auth::LoginResult& r);
// Sessions, the second factor, and administrators ending sessions.
void register_auth_security_routes(App& app);

}  // namespace linli
