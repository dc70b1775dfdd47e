#include "org/service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "auth/scope_sql.hpp"
#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/json_text.hpp"
#include "core/validate.hpp"
#include "org/place.hpp"
#include "store/sql.hpp"

namespace linli::org {
namespace {

const char* kNodeCols =
    "n.id, n.parent_id, n.kind, n.name, n.path, n.depth, n.lat, n.lng, n.floors, "
    "(SELECT count(*) FROM nodes c WHERE c.parent_id = n.id) AS child_count";

const char* kResidentCols =
    "r.id, r.household_id, r.node_path, r.name, r.gender, r.birth_date, r.relation, "
    "r.phone_mask, r.id_mask, r.tags, r.status, h.address, "
    "(SELECT count(*) FROM party_members pm WHERE pm.resident_id = r.id) AS party";

const char* kHouseholdCols =
    "h.id, h.node_id, h.node_path, h.room, h.address, h.area, "
    "(SELECT count(*) FROM residents m WHERE m.household_id = h.id AND m.status = 'active') AS "
    "members, "
    "(SELECT min(m.name) FROM residents m WHERE m.household_id = h.id AND m.relation = '户主') AS "
    "head";

Node node_from(const store::Row& r) {
  Node n;
  n.id = r.i64("id");
  n.parent_id = r.i64("parent_id");
  n.kind = r.str("kind");
  n.name = r.str("name");
  n.path = r.str("path");
  n.depth = static_cast<int>(r.i64("depth"));
  n.child_count = r.i64("child_count");
  if (!r.is_null("lat")) n.lat = r.f64("lat");
  if (!r.is_null("lng")) n.lng = r.f64("lng");
  n.floors = r.opt_i64("floors");
  return n;
}

std::vector<std::string> split_tags(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ",") + t;
  return out;
}

Resident resident_from(const store::Row& r) {
  Resident x;
  x.id = r.i64("id");
  x.household_id = r.i64("household_id");
  x.node_path = r.str("node_path");
  x.name = r.str("name");
  x.gender = r.str("gender");
  x.birth_date = r.str("birth_date");
  x.relation = r.str("relation");
  x.phone_mask = r.str("phone_mask");
  x.id_mask = r.str("id_mask");
  x.tags = split_tags(r.str("tags"));
  x.status = r.str("status");
  x.address = r.str("address");
  x.party_member = r.i64("party") > 0;
  return x;
}

Household household_from(const store::Row& r) {
  Household h;
  h.id = r.i64("id");
  h.node_id = r.i64("node_id");
  h.node_path = r.str("node_path");
  h.room = r.str("room");
  h.address = r.str("address");
  if (!r.is_null("area")) h.area = r.f64("area");
  h.member_count = r.i64("members");
  h.head_name = r.str("head");
  return h;
}

// "和平街道桃源社区幸福里小区3栋2单元301室": what a letter would carry.
Result<std::string> address_of(store::Db& db, const std::string& node_path,
                               const std::string& room) {
  auto place = place_name(db, node_path);
  if (!place) return fail(place.error());
  return *place + room + "室";
}

}  // namespace

const char* kind_name(const std::string& kind) {
  if (kind == "district") return "区";
  if (kind == "street") return "街道";
  if (kind == "community") return "社区";
  if (kind == "grid") return "网格";
  if (kind == "building") return "楼栋";
  if (kind == "unit") return "单元";
  return "";
}

std::string child_kind(const std::string& kind) {
  for (std::size_t i = 0; i + 1 < kNodeKinds.size(); ++i)
    if (kNodeKinds[i] == kind) return kNodeKinds[i + 1];
  return "";
}

// ---- territory ----

Result<std::vector<Node>> OrgService::scope_roots(const auth::Principal& p) {
  std::vector<Node> out;
  for (const auto& path : p.scope_paths("node.read")) {
    auto r = db_.query(fmt::format("SELECT {} FROM nodes n WHERE n.path = $1", kNodeCols), {path});
    if (!r) return fail(r.error());
    for (const auto& row : *r) out.push_back(node_from(row));
  }
  return out;
}

Result<Node> OrgService::node(const auth::Principal& p, std::int64_t id,
                              const std::string& permission) {
  auto r = db_.query(fmt::format("SELECT {} FROM nodes n WHERE n.id = $1", kNodeCols), {id});
  if (!r) return fail(r.error());
  if (r->empty()) return fail(Error::not_found());
  Node n = node_from((*r)[0]);
  if (auto a = auth::authorize(p, permission, n.path); !a) return fail(a.error());
  return n;
}

Result<std::vector<Node>> OrgService::children(const auth::Principal& p, std::int64_t parent_id) {
  auto parent = node(p, parent_id, "node.read");
  if (!parent) return fail(parent.error());
  auto r = db_.query(
      fmt::format("SELECT {} FROM nodes n WHERE n.parent_id = $1 ORDER BY n.id", kNodeCols),
      {parent_id});
  if (!r) return fail(r.error());
  std::vector<Node> out;
  for (const auto& row : *r) out.push_back(node_from(row));
  return out;
}

Result<std::vector<Node>> OrgService::breadcrumbs(const auth::Principal& p, const Node& n) {
  auto r = db_.query(
      fmt::format("SELECT {} FROM nodes n WHERE $1 >= n.path AND substr($1, 1, length(n.path)) = "
                  "n.path ORDER BY n.depth",
                  kNodeCols),
      {n.path});
  if (!r) return fail(r.error());
  std::vector<Node> out;
  for (const auto& row : *r) {
    Node a = node_from(row);
    if (auth::authorize(p, "node.read", a.path)) out.push_back(std::move(a));
  }
  return out;
}

Result<Node> OrgService::create_node(const auth::Principal& p, std::int64_t parent_id,
                                     const std::string& name, const auth::Actor& by) {
  auto parent = node(p, parent_id, "node.write");
  if (!parent) return fail(parent.error());
  auto kind = child_kind(parent->kind);
  if (kind.empty()) return fail(Error::invalid("单元下不能再建区划，请在单元下登记住户"));
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    auto r = tx.one(
        "INSERT INTO nodes (parent_id, kind, name, depth, created_at, updated_at) VALUES ($1, $2, "
        "$3, $4, $5, $5) RETURNING id",
        {parent_id, kind, name, static_cast<std::int64_t>(parent->depth + 1), now});
    if (!r) return fail(r.error());
    id = r->i64("id");
    auto path = parent->path + std::to_string(id) + "/";
    if (auto u = tx.exec("UPDATE nodes SET path = $1 WHERE id = $2", {path, id}); !u)
      return fail(u.error());
    return auth::record(
        tx, by,
        {"node.create", "node", id, path, fmt::format("新建{}：{}", kind_name(kind), name)});
  });
  if (!w) return fail(w.error());
  return node(p, id, "node.read");
}

Result<Node> OrgService::rename_node(const auth::Principal& p, std::int64_t id,
                                     const std::string& name, const auth::Actor& by) {
  auto n = node(p, id, "node.write");
  if (!n) return fail(n.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto r = tx.exec("UPDATE nodes SET name = $1, updated_at = $2 WHERE id = $3",
                     {name, clock::now_ms(), id});
    if (!r) return fail(r.error());
    return auth::record(tx, by,
                        {"node.rename", "node", id, n->path,
                         fmt::format("{}更名：{} → {}", kind_name(n->kind), n->name, name)});
  });
  if (!w) return fail(w.error());
  return node(p, id, "node.read");
}

Result<std::string> OrgService::scope_root_path(const auth::Principal& p,
                                                std::optional<std::int64_t> node_id,
                                                const std::string& permission) {
  if (!node_id) return std::string{};
  auto n = node(p, *node_id, permission);
  if (!n) return fail(n.error());
  return n->path;
}

namespace {
// A page of a territory list (residents, households, party members) in id
// order, in the caller's scope and under the chosen node. Both stores
// guessed wrong here on 2M residents: SQLite walked the table in id order
// for a community or a grid, whose residents sit far from the first ids
// (0.24-0.48 s a page), and read the whole city through the index of the
// path to sort it when the city searched by name (4-5 s). The whole city
// (every row is in scope) now walks the ids and stops at the page; a
// narrower subtree takes its ids from the index of the path (the id is in
// the entry; migration 0019 on PostgreSQL), sorts them and reads only the
// page's rows.
struct SubtreePage {
  store::Kind kind;
  const char* table;  // "residents"
  const char* alias;  // "r"
  const char* path_index;
  const char* columns;
  const char* joins;  // joined for the columns, after the table
  const ListQuery& lq;
  // What the whole city walks instead of the table's ids, when a filter has
  // an index of its own in id order: FROM and ON (the table's alias joined
  // to it) and the walked id column. Left empty, the city walks the table.
  std::function<void()> city_walk = {};
  const char* city_walk_id = nullptr;

  // Writes the statement into q; `filters` appends " AND …" conditions on
  // the table's rows.
  void write(store::Sql& q, const auth::Principal& p, const std::string& permission,
             const std::string& root, const std::function<void()>& filters) const {
    const std::string a = alias, path = a + ".node_path";
    auto where = [&](const std::string& id) {
      q << " WHERE " << id << " > " << q.bind(lq.after);
      auth::and_in_scope(q, p, permission, path);
      if (!root.empty()) auth::and_in_subtree(q, root, path);
      filters();
    };
    auto limit = [&] { return q.bind(static_cast<std::int64_t>(lq.limit + 1)); };
    q << store::kPlanWithValues;
    if (whole_city(p, permission, root)) {
      std::string id = a + ".id";
      q << "SELECT " << columns << " FROM ";
      if (city_walk) {
        city_walk();
        id = city_walk_id;
      } else {
        q << table << " " << a;
        if (kind == store::Kind::sqlite) q << " NOT INDEXED";
      }
      q << joins;
      where(id);
      q << " ORDER BY " << id << " LIMIT " << limit();
    } else {
      q << "WITH scope AS MATERIALIZED (SELECT " << a << ".id FROM " << table << " " << a;
      if (kind == store::Kind::sqlite) q << " INDEXED BY " << path_index;
      where(a + ".id");
      q << ") SELECT " << columns << " FROM (SELECT id FROM scope ORDER BY id LIMIT " << limit()
        << ") page JOIN " << table << " " << a << " ON " << a << ".id = page.id" << joins
        << " ORDER BY " << a << ".id";
    }
  }

  // The list walks city_walk instead of the table (the filter city_walk
  // stands for is then met by the walk).
  bool walks_city(const auth::Principal& p, const std::string& permission,
                  const std::string& root) const {
    return city_walk && whole_city(p, permission, root);
  }

  // The list covers the whole city: the chosen node, or else one of the
  // caller's subtrees, is the root of the tree.
  static bool whole_city(const auth::Principal& p, const std::string& permission,
                         const std::string& root) {
    if (!root.empty()) return auth::whole_city(root);
    return std::ranges::any_of(p.scope_paths(permission), auth::whole_city);
  }
};
}  // namespace

// ---- the grids' map ----

Result<std::string> OrgService::grid_map() {
  // Written as text with each stored boundary copied in: parsing every
  // polygon's numbers into a JSON value and printing them again was most of
  // the answer's 40-100 ms (2,171 grids, 256 KB of boundaries; docs/
  // PERFORMANCE.md, session 14). A boundary that is not JSON is left out, as
  // before; accept() checks it without building it. Keys in the order
  // nlohmann's objects print them (sorted), as before.
  auto rows = db_.query(
      "SELECT g.id, g.name, g.boundary, c.id AS community_id, c.name AS community FROM nodes g "
      "JOIN nodes c ON c.id = g.parent_id WHERE g.kind = 'grid' AND g.boundary IS NOT NULL "
      "ORDER BY g.id");
  if (!rows) return fail(rows.error());
  std::string out = R"({"features":[)";
  bool first = true;
  for (const auto& r : *rows) {
    const std::string& boundary = r.str("boundary");
    if (!Json::accept(boundary)) continue;
    if (!first) out += ',';
    first = false;
    JsonObjectText feature(out);
    {
      JsonObjectText geometry(feature.member("geometry"));
      geometry.member("coordinates") += boundary;
      geometry.str("type", "Polygon");
    }
    feature.integer("id", r.i64("id"));
    {
      JsonObjectText properties(feature.member("properties"));
      properties.str("community", r.str("community"))
          .integer("community_id", r.i64("community_id"))
          .integer("id", r.i64("id"))
          .str("name", r.str("name"));
    }
    feature.str("type", "Feature");
  }
  out += R"(],"type":"FeatureCollection"})";
  return out;
}

// ---- households ----

Result<std::vector<Household>> OrgService::households(const auth::Principal& p,
                                                      const ListQuery& lq) {
  auto root = scope_root_path(p, lq.node, "household.read");
  if (!root) return fail(root.error());
  store::Sql q;
  SubtreePage page{db_.kind(), "households", "h", "households_path", kHouseholdCols, "", lq};
  auto filters = [&] {  // the address, or a member's name
    if (lq.q.empty()) return;
    auto pat = q.bind("%" + store::like_escape(lq.q) + "%");
    q << " AND (h.address LIKE " << pat << " ESCAPE '\\' OR EXISTS (SELECT 1 FROM residents m "
      << "WHERE m.household_id = h.id AND m.name LIKE " << pat << " ESCAPE '\\'))";
  };
  page.write(q, p, "household.read", *root, filters);
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  std::vector<Household> out;
  for (const auto& r : *rows) out.push_back(household_from(r));
  return out;
}

Result<Household> OrgService::household(const auth::Principal& p, std::int64_t id) {
  auto rows =
      db_.query(fmt::format("SELECT {} FROM households h WHERE h.id = $1", kHouseholdCols), {id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::not_found());
  auto h = household_from((*rows)[0]);
  if (auto a = auth::authorize(p, "household.read", h.node_path); !a) return fail(a.error());
  return h;
}

Result<Json> OrgService::household_moves(std::int64_t household_id) {
  auto rows = db_.query(
      "SELECT m.from_address, m.to_address, m.reason, m.moved_at, u.display_name FROM "
      "household_moves m LEFT JOIN users u ON u.id = m.moved_by WHERE m.household_id = $1 "
      "ORDER BY m.id",
      {household_id});
  if (!rows) return fail(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"from_address", r.str("from_address")},
                   {"to_address", r.str("to_address")},
                   {"reason", r.str("reason")},
                   {"moved_at", clock::iso(r.i64("moved_at"))},
                   {"moved_by", r.str("display_name")}});
  return out;
}

Result<Household> OrgService::create_household(const auth::Principal& p, std::int64_t node_id,
                                               const std::string& room, std::optional<double> area,
                                               const auth::Actor& by) {
  auto n = node(p, node_id, "household.write");
  if (!n) return fail(n.error());
  if (n->kind != "unit" && n->kind != "building")
    return fail(Error::invalid("请检查填写的内容", {{"node_id", "住户应登记在楼栋或单元下"}}));
  auto address = address_of(db_, n->path, room);
  if (!address) return fail(address.error());
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    auto r = tx.one(
        "INSERT INTO households (node_id, node_path, room, address, area, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        {node_id, n->path, room, *address, area ? store::Value{*area} : store::null(), now});
    if (!r) {
      if (r.error().kind == ErrorKind::conflict)
        return fail(Error::invalid("请检查填写的内容", {{"room", "该单元已有此房号的住户"}}));
      return fail(r.error());
    }
    id = r->i64("id");
    return auth::record(tx, by,
                        {"household.create", "household", id, n->path, "登记住户 " + *address});
  });
  if (!w) return fail(w.error());
  return household(p, id);
}

Result<Household> OrgService::move_household(const auth::Principal& p, std::int64_t id,
                                             std::int64_t to_node, const std::string& room,
                                             const std::string& reason, const auth::Actor& by) {
  auto h = household(p, id);
  if (!h) return fail(h.error());
  if (auto a = auth::authorize(p, "household.write", h->node_path); !a) return fail(a.error());
  auto target = node(p, to_node, "household.write");
  if (!target) return fail(target.error());
  if (target->kind != "unit" && target->kind != "building")
    return fail(Error::invalid("请检查填写的内容", {{"node_id", "住户应登记在楼栋或单元下"}}));
  auto address = address_of(db_, target->path, room);
  if (!address) return fail(address.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    auto r = tx.exec(
        "UPDATE households SET node_id = $1, node_path = $2, room = $3, address = $4, updated_at "
        "= $5 WHERE id = $6",
        {to_node, target->path, room, *address, now, id});
    if (!r) {
      if (r.error().kind == ErrorKind::conflict)
        return fail(Error::invalid("请检查填写的内容", {{"room", "目标单元已有此房号的住户"}}));
      return fail(r.error());
    }
    if (auto u = tx.exec("UPDATE residents SET node_path = $1, updated_at = $2 WHERE "
                         "household_id = $3",
                         {target->path, now, id});
        !u)
      return fail(u.error());
    if (auto m = tx.exec(
            "INSERT INTO household_moves (household_id, from_node_id, from_address, to_node_id, "
            "to_address, reason, moved_by, moved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {id, h->node_id, h->address, to_node, *address, reason,
             by.user_id ? store::Value{by.user_id} : store::null(), now});
        !m)
      return fail(m.error());
    return auth::record(tx, by,
                        {"household.move", "household", id, target->path,
                         fmt::format("住户迁移：{} → {}（{}）", h->address, *address, reason)});
  });
  if (!w) return fail(w.error());
  return household(p, id);
}

// ---- residents ----

Result<std::vector<Resident>> OrgService::residents(const auth::Principal& p, const ListQuery& lq) {
  auto root = scope_root_path(p, lq.node, "resident.read");
  if (!root) return fail(root.error());
  store::Sql q;
  SubtreePage page{db_.kind(),
                   "residents",
                   "r",
                   "residents_path",
                   kResidentCols,
                   " JOIN households h ON h.id = r.household_id",
                   lq};
  // A tag is looked up in resident_tags (migration 0021): the whole city
  // walks the tag's entries in id order, a narrower subtree probes the tag
  // for each of its ids.
  if (!lq.tag.empty()) {
    page.city_walk = [&] {
      // CROSS JOIN: SQLite keeps the tag's entries outside.
      q << "resident_tags t" << (db_.kind() == store::Kind::sqlite ? " CROSS" : "")
        << " JOIN residents r ON r.id = t.resident_id AND t.tag = " << q.bind(lq.tag);
    };
    page.city_walk_id = "t.resident_id";
  }
  const bool walks_tag = page.walks_city(p, "resident.read", *root);
  auto filters = [&] {
    if (!lq.q.empty())
      q << " AND r.name LIKE " << q.bind("%" + store::like_escape(lq.q) + "%") << " ESCAPE '\\'";
    if (!lq.tag.empty() && !walks_tag)
      q << " AND EXISTS (SELECT 1 FROM resident_tags t WHERE t.tag = " << q.bind(lq.tag)
        << " AND t.resident_id = r.id)";
  };
  page.write(q, p, "resident.read", *root, filters);
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  std::vector<Resident> out;
  for (const auto& r : *rows) out.push_back(resident_from(r));
  return out;
}

Result<std::vector<Resident>> OrgService::household_members(std::int64_t household_id) {
  auto rows = db_.query(
      fmt::format("SELECT {} FROM residents r JOIN households h ON h.id = r.household_id WHERE "
                  "r.household_id = $1 ORDER BY r.id",
                  kResidentCols),
      {household_id});
  if (!rows) return fail(rows.error());
  std::vector<Resident> out;
  for (const auto& r : *rows) out.push_back(resident_from(r));
  return out;
}

Result<Resident> OrgService::resident(const auth::Principal& p, std::int64_t id) {
  auto rows = db_.query(
      fmt::format("SELECT {} FROM residents r JOIN households h ON h.id = r.household_id WHERE "
                  "r.id = $1",
                  kResidentCols),
      {id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::not_found());
  auto r = resident_from((*rows)[0]);
  if (auto a = auth::authorize(p, "resident.read", r.node_path); !a) return fail(a.error());
  return r;
}

Status OrgService::check_resident(const ResidentInput& in, bool creating) {
  std::vector<FieldError> errs;
  if (creating && !in.household_id) errs.push_back({"household_id", "请选择所在住户"});
  if (creating && !in.name) errs.push_back({"name", "请填写姓名"});
  if (in.gender && *in.gender != "M" && *in.gender != "F")
    errs.push_back({"gender", "性别应为男或女"});
  if (in.birth_date && !in.birth_date->empty() && !validate::is_date(*in.birth_date))
    errs.push_back({"birth_date", "出生日期应为 YYYY-MM-DD，如 1956-03-08"});
  if (in.phone && !in.phone->empty())
    if (auto m = validate::mobile(*in.phone)) errs.push_back({"phone", *m});
  if (in.id_number && !in.id_number->empty())
    if (auto m = validate::id_number(*in.id_number)) errs.push_back({"id_number", *m});
  if (in.relation && !in.relation->empty() &&
      std::find(kRelations.begin(), kRelations.end(), *in.relation) == kRelations.end())
    errs.push_back({"relation", "与户主关系应为：户主、配偶、子女、父母、孙子女、兄弟姐妹或其他"});
  if (in.tags)
    for (const auto& t : *in.tags)
      if (std::find(kCareTags.begin(), kCareTags.end(), t) == kCareTags.end())
        errs.push_back({"tags", "未知的标签：" + t});
  if (!errs.empty()) return fail(Error::invalid("请检查填写的内容", errs));
  return {};
}

// Writes the given fields of resident `id`; personal numbers are sealed,
// masked and blind-indexed, never stored in the clear.
Status OrgService::write_resident(store::Tx& tx, std::int64_t id, const ResidentInput& in,
                                  const std::string& node_path) {
  store::Sql q;
  q << "UPDATE residents SET updated_at = " << q.bind(clock::now_ms());
  auto set = [&](const char* col, store::Value v) {
    q << ", " << col << " = " << q.bind(std::move(v));
  };
  if (in.household_id) {
    set("household_id", *in.household_id);
    set("node_path", node_path);
  }
  if (in.name) set("name", *in.name);
  if (in.gender) set("gender", *in.gender);
  if (in.birth_date)
    set("birth_date", store::opt(in.birth_date->empty() ? std::nullopt : in.birth_date));
  if (in.relation) set("relation", *in.relation);
  if (in.tags) set("tags", join_tags(*in.tags));
  if (in.phone) {
    bool empty = in.phone->empty();
    set("phone_enc", empty ? store::null() : store::Value{crypto::seal(*in.phone)});
    set("phone_mask", empty ? store::null() : store::Value{validate::mask_phone(*in.phone)});
    set("phone_hash", empty ? store::null() : store::Value{crypto::blind_index(*in.phone)});
  }
  if (in.id_number) {
    auto idn = validate::normalize_id_number(*in.id_number);
    bool empty = idn.empty();
    set("id_enc", empty ? store::null() : store::Value{crypto::seal(idn)});
    set("id_mask", empty ? store::null() : store::Value{validate::mask_id_number(idn)});
    set("id_hash", empty ? store::null() : store::Value{crypto::blind_index(idn)});
  }
  q << " WHERE id = " << q.bind(id);
  auto r = tx.exec(q.text, q.params);
  if (!r) {
    if (r.error().kind == ErrorKind::conflict)
      return fail(
          Error::invalid("请检查填写的内容", {{"id_number", "该身份证号已登记在其他居民名下"}}));
    return fail(r.error());
  }
  return {};
}

Result<Resident> OrgService::create_resident(const auth::Principal& p, const ResidentInput& in,
                                             const auth::Actor& by) {
  if (auto c = check_resident(in, true); !c) return fail(c.error());
  auto h = household(p, *in.household_id);
  if (!h) return fail(h.error());
  if (auto a = auth::authorize(p, "resident.write", h->node_path); !a) return fail(a.error());
  ResidentInput full = in;
  if (!full.gender && full.id_number && !full.id_number->empty())
    full.gender = std::string(1, validate::gender_from_id(*full.id_number));
  if (!full.gender) return fail(Error::invalid("请检查填写的内容", {{"gender", "请选择性别"}}));
  if ((!full.birth_date || full.birth_date->empty()) && full.id_number && !full.id_number->empty())
    full.birth_date = validate::birth_date_from_id(*full.id_number);
  std::int64_t id = 0;
  auto w = db_.write([&](store::Tx& tx) -> Status {
    auto now = clock::now_ms();
    auto r = tx.one(
        "INSERT INTO residents (household_id, node_path, name, gender, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        {h->id, h->node_path, *full.name, *full.gender, now});
    if (!r) return fail(r.error());
    id = r->i64("id");
    if (auto s = write_resident(tx, id, full, h->node_path); !s) return s;
    return auth::record(tx, by,
                        {"resident.create", "resident", id, h->node_path,
                         "登记居民 " + validate::mask_name(*full.name)});
  });
  if (!w) return fail(w.error());
  return resident(p, id);
}

Result<Resident> OrgService::update_resident(const auth::Principal& p, std::int64_t id,
                                             const ResidentInput& in, const auth::Actor& by) {
  auto cur = resident(p, id);
  if (!cur) return fail(cur.error());
  if (auto a = auth::authorize(p, "resident.write", cur->node_path); !a) return fail(a.error());
  if (auto c = check_resident(in, false); !c) return fail(c.error());
  std::string path = cur->node_path;
  if (in.household_id) {
    auto h = household(p, *in.household_id);
    if (!h) return fail(h.error());
    if (auto a = auth::authorize(p, "resident.write", h->node_path); !a) return fail(a.error());
    path = h->node_path;
  }
  auto w = db_.write([&](store::Tx& tx) -> Status {
    if (auto s = write_resident(tx, id, in, path); !s) return s;
    return auth::record(tx, by,
                        {"resident.update", "resident", id, path,
                         "修改居民信息 " + validate::mask_name(cur->name)});
  });
  if (!w) return fail(w.error());
  return resident(p, id);
}

Result<std::string> OrgService::reveal(const auth::Principal& p, std::int64_t id,
                                       const std::string& field, const auth::Actor& by) {
  if (field != "phone" && field != "id_number")
    return fail(Error::invalid("请检查填写的内容", {{"field", "只能查看手机号或身份证号"}}));
  auto r = resident(p, id);
  if (!r) return fail(r.error());
  if (auto a = auth::authorize(p, "resident.reveal", r->node_path); !a) return fail(a.error());
  auto col = field == "phone" ? "phone_enc" : "id_enc";
  auto row = db_.one(fmt::format("SELECT {} AS v FROM residents WHERE id = $1", col), {id});
  if (!row) return fail(row.error());
  if (row->is_null("v")) return fail(Error::not_found("该居民未登记此信息"));
  auto plain = crypto::open(row->str("v"));
  if (!plain) return fail(plain.error());
  auto w = db_.write([&](store::Tx& tx) -> Status {
    return auth::record(tx, by,
                        {"resident.reveal", "resident", id, r->node_path,
                         fmt::format("查看居民{}的{}", validate::mask_name(r->name),
                                     field == "phone" ? "手机号" : "身份证号")});
  });
  if (!w) return fail(w.error());  // no audit row, no reveal
  return *plain;
}

Result<Household> OrgService::my_household(const auth::Principal& p) {
  if (!p.resident_id) return fail(Error::not_found("您的账号尚未关联居民信息，请联系社区"));
  auto rows = db_.query(
      fmt::format("SELECT {} FROM households h JOIN residents r ON r.household_id = h.id WHERE "
                  "r.id = $1",
                  kHouseholdCols),
      {p.resident_id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(Error::not_found());
  return household_from((*rows)[0]);
}

// ---- party and organisations ----

Result<Json> OrgService::party_orgs(const auth::Principal& p, const ListQuery& lq) {
  auto root = scope_root_path(p, lq.node, "party.read");
  if (!root) return fail(root.error());
  store::Sql q;
  q << "SELECT o.id, o.parent_id, o.kind, o.name, o.node_id, n.name AS node_name, "
       "(SELECT count(*) FROM party_members m WHERE m.party_org_id = o.id) AS members "
       "FROM party_orgs o JOIN nodes n ON n.id = o.node_id WHERE 1 = 1";
  auth::and_in_scope(q, p, "party.read", "o.node_path");
  if (!root->empty()) auth::and_in_subtree(q, *root, "o.node_path");
  q << " ORDER BY o.id LIMIT 1000";
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  static const std::map<std::string, const char*> names = {
      {"committee", "社区党委"}, {"branch", "党支部"}, {"group", "党小组"}};
  Json out = Json::array();
  for (const auto& r : *rows)
    out.push_back({{"id", r.i64("id")},
                   {"parent_id", r.opt_i64("parent_id") ? Json(r.i64("parent_id")) : Json(nullptr)},
                   {"kind", r.str("kind")},
                   {"kind_name", names.at(r.str("kind"))},
                   {"name", r.str("name")},
                   {"node_id", r.i64("node_id")},
                   {"node_name", r.str("node_name")},
                   {"members", r.i64("members")}});
  return out;
}

namespace {
const char* category_name(const std::string& c) {
  if (c == "direct") return "直管党员";
  if (c == "in_service") return "在职党员";
  if (c == "mobile") return "流动党员";
  if (c == "retired") return "离退休党员";
  return "";
}
}  // namespace

Result<Json> OrgService::party_members(const auth::Principal& p, const ListQuery& lq) {
  auto root = scope_root_path(p, lq.node, "party.read");
  if (!root) return fail(root.error());
  store::Sql q;
  SubtreePage page{db_.kind(),
                   "party_members",
                   "m",
                   "party_members_path",
                   "m.id, m.resident_id, r.name, m.category, m.employer, o.name AS party_org, "
                   "m.central_household, (SELECT count(*) FROM member_households l WHERE "
                   "l.member_id = m.id) AS linked",
                   " JOIN residents r ON r.id = m.resident_id JOIN party_orgs o ON o.id = "
                   "m.party_org_id",
                   lq};
  auto filters = [&] {
    if (!lq.category.empty()) q << " AND m.category = " << q.bind(lq.category);
    if (!lq.q.empty())  // the member's name, one look-up by id each
      q << " AND EXISTS (SELECT 1 FROM residents n WHERE n.id = m.resident_id AND n.name LIKE "
        << q.bind("%" + store::like_escape(lq.q) + "%") << " ESCAPE '\\')";
  };
  page.write(q, p, "party.read", *root, filters);
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.i64("id")},
                     {"resident_id", r.i64("resident_id")},
                     {"name", r.str("name")},
                     {"category", r.str("category")},
                     {"category_name", category_name(r.str("category"))},
                     {"employer", r.str("employer")},
                     {"party_org", r.str("party_org")},
                     {"central_household", r.i64("central_household") != 0},
                     {"linked_households", r.i64("linked")}});
  return items;
}

Result<Json> OrgService::resident_party(const auth::Principal& p, std::int64_t resident_id) {
  auto r = resident(p, resident_id);
  if (!r) return fail(r.error());
  auto rows = db_.query(
      "SELECT m.category, m.employer, m.joined_on, m.central_household, o.name AS party_org FROM "
      "party_members m JOIN party_orgs o ON o.id = m.party_org_id WHERE m.resident_id = $1",
      {resident_id});
  if (!rows) return fail(rows.error());
  if (rows->empty()) return Json(nullptr);
  const auto& m = (*rows)[0];
  return Json{{"category", m.str("category")},
              {"category_name", category_name(m.str("category"))},
              {"employer", m.str("employer")},
              {"joined_on", m.str("joined_on")},
              {"central_household", m.i64("central_household") != 0},
              {"party_org", m.str("party_org")}};
}

Result<Json> OrgService::orgs(const auth::Principal& p, const ListQuery& lq) {
  if (!p.can("org.read")) return fail(Error::forbidden());
  store::Sql q;
  // An organisation is visible when it serves a node in the caller's scope.
  q << "SELECT DISTINCT o.id, o.kind, o.name, o.contact_name, o.contact_phone_mask FROM orgs o "
       "JOIN org_nodes s ON s.org_id = o.id JOIN nodes n ON n.id = s.node_id WHERE 1 = 1";
  // Served nodes may sit above the caller (a department serving the street):
  // visible when the served node is inside the scope or an ancestor of it.
  auto roots = p.scope_paths("org.read");
  q << " AND (1 = 0";
  for (const auto& root : roots) {
    auto b = q.bind(root);
    q << " OR (n.path >= " << b << " AND n.path < " << q.bind(auth::subtree_end(root)) << ") OR ("
      << b << " >= n.path AND substr(" << b << ", 1, length(n.path)) = n.path)";
  }
  q << ")";
  if (!lq.kind.empty()) q << " AND o.kind = " << q.bind(lq.kind);
  q << " ORDER BY o.id LIMIT 1000";
  auto rows = db_.query(q.text, q.params);
  if (!rows) return fail(rows.error());
  static const std::map<std::string, const char*> names = {
      {"department", "职能部门"},     {"resident_unit", "驻区单位"}, {"property", "物业公司"},
      {"owners_committee", "业委会"}, {"social", "社会组织"},        {"merchant", "商户"},
      {"station", "服务站"}};
  Json out = Json::array();
  for (const auto& r : *rows) {
    auto served = db_.query(
        "SELECT n.id, n.name FROM org_nodes s JOIN nodes n ON n.id = s.node_id WHERE s.org_id = "
        "$1 ORDER BY n.id",
        {r.i64("id")});
    if (!served) return fail(served.error());
    Json nodes = Json::array();
    for (const auto& s : *served) nodes.push_back({{"id", s.i64("id")}, {"name", s.str("name")}});
    auto kind = r.str("kind");
    out.push_back({{"id", r.i64("id")},
                   {"kind", kind},
                   {"kind_name", names.count(kind) ? names.at(kind) : ""},
                   {"name", r.str("name")},
                   {"contact_name", r.str("contact_name")},
                   {"contact_masked", r.str("contact_phone_mask")},
                   {"nodes", nodes}});
  }
  return out;
}

}  // namespace linli::org
