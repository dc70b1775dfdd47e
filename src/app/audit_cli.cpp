#include "app/audit_cli.hpp"

#include <iostream>

namespace linli {

nlohmann::json chain_report_json(const auth::ChainReport& rep) {
  nlohmann::json j = {{"ok", !rep.broken},
                      {"checked", rep.checked},
                      {"head_hash", rep.head_hash},
                      {"broken", nullptr}};
  if (rep.broken)
    j["broken"] = {{"id", rep.broken->id},       {"seq", rep.broken->seq},
                   {"what", rep.broken->what},   {"expected", rep.broken->expected},
                   {"found", rep.broken->found}, {"detail", rep.broken->detail}};
  return j;
}

int run_audit_verify(store::Db& db) {
  auto rep = auth::verify_chain(db, [](std::int64_t done, std::int64_t total) {
    std::cerr << "\r  已校验 " << done << " / " << total << " 条审计记录" << std::flush;
  });
  std::cerr << "\n";
  if (!rep) {
    std::cerr << "错误: " << rep.error().detail << "\n";
    return 2;
  }
  if (!rep->broken) {
    std::cout << "审计哈希链完整：" << rep->checked << " 条记录，链头哈希 " << rep->head_hash
              << "\n";
    return 0;
  }
  const auto& b = *rep->broken;
  std::cout << "审计哈希链断裂: " << b.detail << "\n"
            << "  记录编号 id=" << b.id << " 序号 seq=" << b.seq << " 字段 " << b.what << "\n"
            << "  应为 expected: " << b.expected << "\n"
            << "  实为 found:    " << b.found << "\n"
            << "  此前 " << rep->checked << " 条记录校验通过\n";
  return 1;
}

}  // namespace linli
