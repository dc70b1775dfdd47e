#include "demo/demo_points.hpp"

#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "auth/principal.hpp"
#include "core/calendar.hpp"
#include "points/service.hpp"

namespace linli::demo {
namespace {

using Json = nlohmann::json;

auth::Principal staff_of(std::int64_t community, const std::string& path) {
  auth::Principal p;
  p.username = "demo";
  p.grants.push_back({"community_staff", community, path, "", 0, ""});
  return p;
}

struct Community {
  std::int64_t id;
  std::string path;
};

class PointsHistory {
 public:
  PointsHistory(store::Db& db, const Options& opt, std::int64_t now)
      : db_(db), svc_(db), rng_(opt.seed + 7), now_(now) {}

  Status load() {
    auto rows = db_.query("SELECT id, path FROM nodes WHERE kind = 'community' ORDER BY id");
    if (!rows) return fail(rows.error());
    for (const auto& r : *rows)
      if (auto s = community({r.i64("id"), r.str("path")}); !s) return s;
    return merchants();
  }

 private:
  Status community(const Community& c) {
    auto p = staff_of(c.id, c.path);
    auto people = db_.query(
        "SELECT r.id, r.node_path, r.household_id FROM residents r WHERE r.status = 'active' AND "
        "r.node_path >= $1 AND r.node_path < $2 ORDER BY r.id",
        {c.path, auth::subtree_end(c.path)});
    if (!people) return fail(people.error());
    if (people->empty()) return {};
    auto rules = svc_.rules(p, c.id);
    if (!rules) return fail(rules.error());
    std::vector<Json> good, bad;
    for (const auto& r : *rules) {
      auto code = r["code"].get<std::string>();
      if (code == "base" || code == "case_solved") continue;
      (r["kind"] == "positive" ? good : bad).push_back(r);
    }
    if (good.empty()) return {};
    auto today = calendar::shanghai_day(now_);
    auto month = today.substr(0, 7);
    for (int k = 3; k >= 0; --k) {
      auto m = calendar::month_add(month, -k);
      int deeds = k == 0 ? 12 : 40;
      for (int i = 0; i < deeds; ++i) {
        const auto& who = (*people)[pick(people->size())];
        bool penalty = !bad.empty() && pick(12) == 0;
        const auto& rule = penalty ? bad[pick(bad.size())] : good[pick(good.size())];
        int last_day = k == 0 ? std::stoi(today.substr(8, 2)) : 28;
        auto day = fmt::format("{}-{:02d}", m, 1 + static_cast<int>(pick(last_day)));
        points::DeedInput in{who.i64("id"), rule["code"], day,
                             rule["name"].get<std::string>() + "（楼栋长记录）", ""};
        // A cap reached or a rule's recorder list can refuse: like a real
        // head's entry, it is simply not recorded.
        (void)svc_.record(p, in, by_);
      }
      if (k == 0) continue;
      if (auto s = review(p, c.id, m); !s) return s;
      if (k >= 2)
        if (auto r = svc_.publish(p, c.id, m, by_); !r) return fail(r.error());
    }
    if (auto s = shop(p, c, *people); !s) return s;
    return honours(p, c, *people, std::stoi(month.substr(0, 4)) - 1);
  }

  // 一月一评: most approved, a few adjusted or rejected with a reason.
  Status review(const auth::Principal& p, std::int64_t community, const std::string& month) {
    auto pending = svc_.deeds(p, community, month, "pending", 0);
    if (!pending) return fail(pending.error());
    std::vector<points::Review> items;
    for (const auto& d : Json::parse(*pending)) {
      auto roll = pick(20);
      points::Review r{d["id"], "approve", std::nullopt, ""};
      if (roll == 0) {
        r.decision = "reject";
        r.reason = "经评议，情况不符合该项积分条件";
      } else if (roll == 1 && std::abs(d["points"].get<std::int64_t>()) > 1) {
        r.decision = "adjust";
        r.points = d["points"].get<std::int64_t>() / 2;
        r.reason = "只完成了一部分，评议小组减半计分";
      }
      items.push_back(r);
    }
    if (items.empty()) return {};
    auto done = svc_.review(p, items, by_);
    return done ? Status{} : fail(done.error());
  }

  Status shop(const auth::Principal& p, const Community& c, const store::Rows& people) {
    auto station = db_.query(
        "SELECT min(o.id) AS id FROM orgs o JOIN nodes n ON n.id = o.node_id WHERE o.kind = "
        "'station' AND n.path >= $1 AND n.path < $2",
        {c.path, auth::subtree_end(c.path)});
    if (!station) return fail(station.error());
    if (station->empty() || (*station)[0].is_null("id")) return {};
    auto org = (*station)[0].i64("id");
    struct Goods {
      const char* name;
      int price, stock;
    };
    std::vector<std::int64_t> items;
    for (auto g : {Goods{"洗衣液一瓶", 20, 30}, Goods{"大米五斤", 50, 20},
                   Goods{"毛巾两条", 10, 50}, Goods{"理发券", 15, 40}}) {
      auto item = svc_.add_item(p, org, g.name, g.price, g.stock, by_);
      if (!item) return fail(item.error());
      items.push_back((*item)["id"]);
    }
    // A few residents spend what they earned; most goods are handed over.
    int orders = 0;
    for (std::size_t i = 0; i < people.size() && orders < 8; i += 7) {
      auth::Principal me;
      me.resident_id = people[i].i64("id");
      me.grants.push_back({"resident", 0, people[i].str("node_path"), "", 0, ""});
      auto order = svc_.order(me, items[pick(items.size())], by_);
      if (!order) continue;  // not enough points: like a resident who looks and leaves
      ++orders;
      if (orders % 3 != 0)
        if (auto h = svc_.hand_over(p, (*order)["id"], by_); !h) return fail(h.error());
    }
    return {};
  }

  Status honours(const auth::Principal& p, const Community& c, const store::Rows& people,
                 int year) {
    const auto& best = people[pick(people.size())];
    const auto& home = people[pick(people.size())];
    for (const auto& body : {Json{{"community_id", c.id},
                                  {"year", year},
                                  {"kind", "best_resident"},
                                  {"resident_id", best.i64("id")},
                                  {"note", "常年义务照看楼里的独居老人"}},
                             Json{{"community_id", c.id},
                                  {"year", year},
                                  {"kind", "ten_star_household"},
                                  {"household_id", home.i64("household_id")},
                                  {"note", "邻里和睦、热心公益"}}}) {
      auto h = svc_.add_honour(p, body, by_);
      if (!h) return fail(h.error());
    }
    return {};
  }

  Status merchants() {
    auto rows = db_.query("SELECT id FROM orgs WHERE kind = 'merchant' ORDER BY id LIMIT 6");
    if (!rows) return fail(rows.error());
    static const char* kServices[][2] = {{"普通洗车一次", "30"},
                                         {"理发一次", "20"},
                                         {"家政保洁一小时", "40"},
                                         {"购物满100减10元", "25"}};
    for (const auto& m : *rows) {
      auth::Principal p;
      p.grants.push_back({"merchant", 0, "", "", m.i64("id"), ""});
      for (int i = 0; i < 2; ++i) {
        const auto& s = kServices[pick(4)];
        auto made = svc_.add_service(p, m.i64("id"), s[0], std::atoi(s[1]), by_);
        if (!made) return fail(made.error());
      }
    }
    return {};
  }

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  store::Db& db_;
  points::PointsService svc_;
  std::mt19937_64 rng_;
  std::int64_t now_;
  auth::Actor by_ = auth::Actor::named("演示数据");
};

}  // namespace

Status load_points(store::Db& db, const Options& opt, std::int64_t now_ms) {
  return PointsHistory(db, opt, now_ms).load();
}

}  // namespace linli::demo
