// `linli audit verify`: walks the audit hash chain and says where it breaks.
#pragma once
#include <nlohmann/json.hpp>

#include "auth/audit.hpp"

namespace linli {

// The report as JSON (shared by the command line and GET /api/v1/audit/verify).
nlohmann::json chain_report_json(const auth::ChainReport& rep);
// Prints progress to stderr and the result to stdout; 0 when the chain holds,
// 1 at the first broken link, 2 when the store cannot be read.
int run_audit_verify(store::Db& db);

}  // namespace linli
