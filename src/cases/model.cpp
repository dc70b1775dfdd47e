#include "cases/model.hpp"

#include <map>

namespace linli::cases {
namespace {
// Names keyed by code; found by string_view without making a string.
using Names = std::map<std::string, const char*, std::less<>>;
const char* lookup(const Names& m, std::string_view k) {
  auto it = m.find(k);
  return it == m.end() ? "" : it->second;
}
}  // namespace

const char* level_name(std::string_view l) {
  static const Names m = {{"building", "楼栋"},
                          {"grid", "小区网格"},
                          {"community", "社区"},
                          {"street", "街道"},
                          {"department", "职能部门"}};
  return lookup(m, l);
}

const char* state_name(std::string_view s) {
  static const Names m = {{"submitted", "待受理"},   {"accepted", "已受理"},
                          {"rejected", "不予受理"},  {"assigned", "已派单"},
                          {"in_progress", "办理中"}, {"resolved", "已办结待核查"},
                          {"follow_up", "待回访"},   {"closed", "已结案"},
                          {"suspended", "缓办"},     {"merged", "已合并"}};
  return lookup(m, s);
}

const char* type_name(std::string_view t) {
  static const Names m = {{"big", "大事"},
                          {"practical", "实事"},
                          {"important", "要事"},
                          {"urgent", "急事"},
                          {"hard", "难事"}};
  return lookup(m, t);
}

const char* urgency_name(std::string_view u) { return u == "urgent" ? "紧急" : "一般"; }

const char* channel_name(std::string_view c) {
  static const Names m = {{"mobile", "居民随手拍"}, {"patrol", "网格巡查"},
                          {"hotline", "热线"},      {"meeting", "议事会议"},
                          {"station", "站点来访"},  {"open311", "Open311"}};
  return lookup(m, c);
}

const char* action_name(std::string_view a) {
  static const Names m = {{"submit", "提交诉求"},
                          {"accept", "受理"},
                          {"reject", "不予受理"},
                          {"dispatch", "派单"},
                          {"start", "联系居民并开始办理"},
                          {"resolve", "办结"},
                          {"verify_pass", "核查通过"},
                          {"verify_fail", "核查不通过，返工"},
                          {"return", "退单"},
                          {"escalate", "提级"},
                          {"deescalate", "降级"},
                          {"suspend", "缓办"},
                          {"resume", "恢复办理"},
                          {"merge", "合并"},
                          {"rate", "居民评价"},
                          {"phone_followup", "电话回访"},
                          {"auto_close", "超期未评价，自动结案"},
                          {"whistle", "吹哨"},
                          {"whistle_report", "部门报到"},
                          {"whistle_arrive", "部门到场"},
                          {"whistle_act", "部门处置"},
                          {"whistle_return", "部门退回"},
                          {"comment", "备注"},
                          {"auto_escalate", "超期自动提级"},
                          {"near_due", "即将到期提醒"},
                          {"overdue", "已超期"}};
  return lookup(m, a);
}

const char* rating_name(std::string_view r) {
  if (r == "satisfied") return "满意";
  if (r == "basic") return "基本满意";
  if (r == "unsatisfied") return "不满意";
  return "";
}

const char* whistle_state_name(std::string_view s) {
  static const Names m = {{"whistled", "待报到"},
                          {"reported", "已报到"},
                          {"arrived", "已到场"},
                          {"acted", "已处置"},
                          {"returned", "已退回"}};
  return lookup(m, s);
}

int level_rank(const std::string& level) {
  for (std::size_t i = 0; i < kLevels.size(); ++i)
    if (kLevels[i] == level) return static_cast<int>(i);
  return -1;
}

}  // namespace linli::cases
