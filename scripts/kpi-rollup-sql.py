#!/usr/bin/env python3
"""Writes migrations/{sqlite,postgres}/0010_kpi_rollups.sql and
src/cases/kpi_rollup_sql.inc: the KPI roll-ups (docs/KPIS.md, "Cost") as
triggers, so every case write — intake, actions, sweep, direct SQL — keeps them
in the same transaction, and the full recount the tests compare them with.

The definitions mirror case_counts/whistle_counts in src/cases/kpis.cpp: change
both together, then run this script again.

Roll-up rows are keyed by (node_id, day): node_id is each of the first four
nodes on the case's path (district, street, community, grid in a city; three
until migration 0023 added the grid), day the
Shanghai day number (ms + 8 h) / 24 h of the cohort's anchor instant. Counters
that depend on "now" (pending deadlines) are not rolled up; kpis.cpp reads
them live through small indexes.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent

LIVE = "{r}state NOT IN ('rejected','merged')"
FIN = "{r}state IN ('follow_up','closed')"
LEVEL = "COALESCE({r}closed_level, {r}level)"
RESOLVED = "COALESCE({r}resolved_at, {r}closed_at)"
INC = "(SELECT kind FROM nodes WHERE id = {r}node_id) IN ('grid','building','unit')"

# cohort: anchor column, membership condition, [(counter, condition or value expr)]
COHORTS = [
    ("created_at", "1 = 1", [
        ("received", "1 = 1"),
        ("rejected", "{r}state = 'rejected'"),
        ("merged", "{r}state = 'merged'"),
    ]),
    ("accepted_at", LIVE, [
        ("accepted", "1 = 1"),
        ("escalated", "{r}escalation_count > 0"),
        ("accepted_in_compound", INC),
        ("closed_in_compound", INC + " AND " + FIN + " AND " + LEVEL + " IN ('building','grid')"),
        ("closed_in_community", FIN + " AND " + LEVEL + " IN ('building','grid','community')"),
    ]),
    ("dispatched_at", LIVE, [
        ("dispatched", "1 = 1"),
        ("contacted_in_time",
         "{r}contacted_at IS NOT NULL AND ({r}contact_due IS NULL OR {r}contacted_at <= {r}contact_due)"),
    ]),
    ("resolve_due", LIVE, [
        ("due", "1 = 1"),
        ("due_suspended", "{r}state = 'suspended'"),
        ("due_closed", FIN),
        ("due_closed_on_time", FIN + " AND " + RESOLVED + " <= {r}resolve_due"),
    ]),
    ("closed_at", "{r}state = 'closed'", [
        ("closed", "1 = 1"),
        ("closed_reworked", "{r}rework_count > 0"),
        ("rated", "{r}rating IS NOT NULL"),
        ("satisfied", "{r}rating = 'satisfied'"),
        ("basic", "{r}rating = 'basic'"),
        ("unsatisfied", "{r}rating = 'unsatisfied'"),
        ("rated_solved", "{r}rating_solved IS NOT NULL"),
        ("solved", "{r}rating_solved = 1"),
        ("close_ms_total", "=" + "{r}closed_at - {r}created_at - {r}suspended_ms"),
        ("resolve_ms_total", "=" + RESOLVED + " - {r}created_at - {r}suspended_ms"),
    ]),
]
COLS = [c for _, _, cs in COHORTS for c, _ in cs]

# Whistle counters: w = the whistle row, r = its case.
WCOLS = [
    ("whistles", "1 = 1"),
    ("reported_in_time", "{w}reported_at IS NOT NULL AND {w}reported_at <= {w}report_due"),
    ("acted_in_time", "{w}acted_at IS NOT NULL AND {w}acted_at <= {w}act_due"),
    ("due", LIVE + " AND {r}resolve_due IS NOT NULL"),
    ("due_suspended", LIVE + " AND {r}resolve_due IS NOT NULL AND {r}state = 'suspended'"),
    ("due_closed_on_time",
     LIVE + " AND {r}resolve_due IS NOT NULL AND " + FIN + " AND " + RESOLVED + " <= {r}resolve_due"),
    ("rated", "{r}rating IS NOT NULL"),
    ("satisfied", "{r}rating = 'satisfied'"),
    ("basic", "{r}rating = 'basic'"),
]
WNAMES = [c for c, _ in WCOLS]

# Columns of cases the roll-ups read: an UPDATE touching none of them
# changes nothing.
CASE_COLS = ["state", "level", "closed_level", "node_id", "node_path", "created_at", "accepted_at",
             "dispatched_at", "contacted_at", "contact_due", "resolve_due", "resolved_at",
             "closed_at", "rework_count", "escalation_count", "suspended_ms", "rating",
             "rating_solved"]
WHISTLE_COLS = ["case_id", "org_id", "whistled_at", "report_due", "act_due", "reported_at",
                "acted_at"]


def val(expr, r, sign):
    if expr.startswith("="):
        return f"{sign} * ({expr[1:].format(r=r)})"
    return f"{sign} * (CASE WHEN {expr.format(r=r)} THEN 1 ELSE 0 END)"


def day(col, r):
    return f"({r}{col} + 28800000) / 86400000"


# How many nodes of a path are rolled up: the district, street and community
# (migrations 0010, 0014: LEGACY_DEPTH), and since 0023 the grid.
DEPTH = 4
LEGACY_DEPTH = 3


def ancestor_exprs(store, p, depth=DEPTH):
    """The first `depth` node ids on path expression p (NULL where the path is shorter)."""
    if store == "postgres":
        return [f"NULLIF(split_part({p}, '/', {i}), '')::bigint" for i in range(2, depth + 2)]
    if depth == LEGACY_DEPTH:
        # As 0010 and 0014 were written. Each level nests the one before it
        # twice, so the n-th id costs 2^n substr calls: 7 us for the fourth,
        # evaluated twice per upsert (callgrind and the sqlite3 shell).
        rests = [f"substr({p}, 2)"]
        while len(rests) < depth:
            rests.append(f"substr({rests[-1]}, instr({rests[-1]}, '/') + 1)")
        return [f"CAST(NULLIF(substr({x}, 1, instr({x}, '/') - 1), '') AS INTEGER)" for x in rests]
    # "/1/5/23/301/" read as the JSON array [1,5,23,301]: about 0.9 us for any
    # level. Paths are written by linli from integer ids only.
    arr = f"'[' || replace(trim({p}, '/'), '/', ',') || ']'"
    return [f"json_extract({arr}, '$[{i}]')" for i in range(depth)]


def ancestors(store, r, path=None, depth=DEPTH):
    """The first `depth` node ids on the case's path, as rows (node_id)."""
    parts = ancestor_exprs(store, path or f"{r}node_path", depth)
    return " UNION ALL ".join(f"SELECT {x} AS node_id" for x in parts)


def contributions(r, sign):
    """One row per cohort: (day, every counter) for case row r."""
    out = []
    for anchor, member, counters in COHORTS:
        mine = {c: e for c, e in counters}
        cols = ", ".join((val(mine[c], r, sign) if c in mine else "0") + f" AS {c}" for c in COLS)
        out.append(f"SELECT {day(anchor, r)} AS day, {cols} WHERE {r}{anchor} IS NOT NULL AND "
                   f"{member.format(r=r)}")
    return " UNION ALL ".join(out)


def wcontrib(w, r, sign):
    cols = ", ".join(val(e.replace("{w}", w), r, sign) + f" AS {c}" for c, e in WCOLS)
    return f"{day('whistled_at', w)} AS day, {w}org_id AS org_id, {cols}"


def sums(cols):
    return ", ".join(f"SUM(k.{c})" for c in cols)


def nonzero(cols):
    return " OR ".join(f"SUM(k.{c}) <> 0" for c in cols)


def upsert(store, table, key, cols):
    if store == "postgres":
        return ""  # append-only deltas: no hot row for concurrent writers to fight over
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in cols)
    return f" ON CONFLICT ({key}) DO UPDATE SET {sets}"


def case_stmt(store, sides, depth=DEPTH):
    """sides: [(row prefix, sign)] → INSERT of the net change to case_kpi_days."""
    parts = [f"SELECT a.node_id, k.* FROM ({ancestors(store, r, depth=depth)}) a, ({contributions(r, s)}) k "
             f"WHERE a.node_id IS NOT NULL" for r, s in sides]
    body = " UNION ALL ".join(parts)
    return (f"INSERT INTO case_kpi_days (node_id, day, {', '.join(COLS)}) "
            f"SELECT k.node_id, k.day, {sums(COLS)} FROM ({body}) k "
            f"GROUP BY k.node_id, k.day HAVING {nonzero(COLS)}"
            + upsert(store, table="case_kpi_days", key="node_id, day", cols=COLS))


def or_chains(sql):
    """SQLite builds a temporary B-tree for every IN list of three or more
    constants each time a statement runs it (a trigger body: at every row),
    about 20k instructions with its zeroed page; a state change ran some 28
    of them through these triggers. Written as OR chains (migration 0023 on;
    0017 did the same for the CHECK constraints)."""
    sql = re.sub(r"\(SELECT kind FROM nodes WHERE id = (\w+\.node_id)\) IN \('grid','building','unit'\)",
                 r"(SELECT kind = 'grid' OR kind = 'building' OR kind = 'unit' FROM nodes WHERE id = \1)",
                 sql)
    sql = re.sub(r"(COALESCE\(\w+\.closed_level, \w+\.level\)) IN \('building','grid','community'\)",
                 lambda m: f"({m[1]} = 'building' OR {m[1]} = 'grid' OR {m[1]} = 'community')", sql)
    assert not re.search(r"IN \('[^')]*','[^')]*','", sql), "an IN list of three is left"
    return sql


def lean_case_stmts(sides, depth=DEPTH):
    """SQLite only (migration 0014): the same net change as case_stmt, as one
    small upsert per cohort, side and ancestor, each skipped by its WHERE when
    it does not apply. No UNION, GROUP BY or sorter: an intake runs 6 index
    upserts instead of a 15-branch aggregate (INSERT INTO cases 75 -> ~25 us).
    On an UPDATE a cohort whose contribution is unchanged is skipped on both
    sides, so accepting a case touches only the cohorts it moves. SQLite runs
    an upsert row by row, so the + and - of one key need no GROUP BY."""
    out = []
    for anchor, member, counters in COHORTS:
        names = [c for c, _ in counters]
        sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in names)
        same = ""
        if len(sides) == 2:
            parts = [f"NEW.{anchor} IS OLD.{anchor}", "NEW.node_path IS OLD.node_path",
                     f"({member.format(r='NEW.')}) IS ({member.format(r='OLD.')})"]
            parts += [f"{val(e, 'NEW.', 1)} IS {val(e, 'OLD.', 1)}" for _, e in counters]
            same = f" AND NOT ({' AND '.join(parts)})"
        for r, sign in sides:
            vals = ", ".join(val(e, r, sign) for _, e in counters)
            for a in ancestor_exprs("sqlite", f"{r}node_path", depth):
                out.append(
                    f"INSERT INTO case_kpi_days (node_id, day, {', '.join(names)}) "
                    f"SELECT {a}, {day(anchor, r)}, {vals} "
                    f"WHERE {r}{anchor} IS NOT NULL AND {member.format(r=r)} AND {a} IS NOT NULL{same} "
                    f"ON CONFLICT (node_id, day) DO UPDATE SET {sets}")
    return out if depth == LEGACY_DEPTH else [or_chains(x) for x in out]


def lean_triggers(depth):
    of = ", ".join(CASE_COLS)
    body = lambda stmts: "\n".join(f"  {x};" for x in stmts)
    return f"""-- The case KPI triggers of 0010, leaner (written by scripts/kpi-rollup-sql.py:
-- edit that script, not this file). Same counters, same net change per
-- (node, day); a small upsert per cohort and ancestor that its WHERE skips
-- when it does not apply, instead of one aggregate over every cohort. The
-- whistle part of the update and delete triggers is unchanged.
DROP TRIGGER cases_kpi_insert;
DROP TRIGGER cases_kpi_update;
DROP TRIGGER cases_kpi_delete;
CREATE TRIGGER cases_kpi_insert AFTER INSERT ON cases BEGIN
{body(lean_case_stmts([("NEW.", 1)], depth))}
END;
CREATE TRIGGER cases_kpi_update AFTER UPDATE OF {of} ON cases BEGIN
{body(lean_case_stmts([("NEW.", 1), ("OLD.", -1)], depth))}
  {W_FOR_CASE("sqlite", [("NEW.", 1), ("OLD.", -1)], depth)};
END;
CREATE TRIGGER cases_kpi_delete AFTER DELETE ON cases BEGIN
{body(lean_case_stmts([("OLD.", -1)], depth))}
  {W_FOR_CASE("sqlite", [("OLD.", -1)], depth)};
END;
"""


def tables(store):
    i = "INTEGER" if store == "sqlite" else "BIGINT"
    strict = " STRICT" if store == "sqlite" else ""
    cols = ",\n  ".join(f"{c} {i} NOT NULL DEFAULT 0" for c in COLS)
    wcols = ",\n  ".join(f"{c} {i} NOT NULL DEFAULT 0" for c in WNAMES)
    if store == "sqlite":
        key, wkey = ",\n  PRIMARY KEY (node_id, day)", ",\n  PRIMARY KEY (node_id, day, org_id)"
        idx = ""
    else:
        key = wkey = ""
        idx = ("CREATE INDEX case_kpi_days_key ON case_kpi_days (node_id, day);\n"
               "CREATE INDEX case_kpi_whistle_days_key ON case_kpi_whistle_days (node_id, day, org_id);\n")
    return f"""-- KPI roll-ups (docs/KPIS.md "Cost"), written by scripts/kpi-rollup-sql.py: edit
-- that script, not this file. Counters per (node, Shanghai day of the cohort's
-- anchor) for the first three nodes of every case's path; kept by triggers in
-- the writing transaction. {"SQLite upserts" if store == "sqlite" else "PostgreSQL appends deltas (no hot row under SERIALIZABLE); readers sum them"}.
CREATE TABLE case_kpi_days (
  node_id {i} NOT NULL,
  day {i} NOT NULL,
  {cols}{key}
){strict};
CREATE TABLE case_kpi_whistle_days (
  node_id {i} NOT NULL,
  day {i} NOT NULL,
  org_id {i} NOT NULL,
  {wcols}{wkey}
){strict};
{idx}-- The live part of the KPIs (deadlines after "now") reads these.
CREATE INDEX cases_contact_open ON cases (contact_due) WHERE contacted_at IS NULL;
CREATE INDEX case_whistles_report_open ON case_whistles (report_due) WHERE reported_at IS NULL;
CREATE INDEX case_whistles_act_open ON case_whistles (act_due) WHERE acted_at IS NULL;
-- Queues: open cases of a subtree (a grid worker's queue on 500k cases: 0.14-0.20 s -> 0.02 s).
CREATE INDEX cases_state_path ON cases (state, node_path);
"""


def main():
    sqlite = tables("sqlite")
    of = ", ".join(CASE_COLS)
    wof = ", ".join(WHISTLE_COLS)

    global W_FOR_CASE

    def w_for_case(store, sign_sides, depth=DEPTH):
        parts = []
        for r, s in sign_sides:
            parts.append(f"SELECT a.node_id, {wcontrib('w.', r, s)} FROM case_whistles w, "
                         f"({ancestors(store, r, depth=depth)}) a WHERE a.node_id IS NOT NULL AND w.case_id = {r}id")
        body = " UNION ALL ".join(parts)
        return (f"INSERT INTO case_kpi_whistle_days (node_id, day, org_id, {', '.join(WNAMES)}) "
                f"SELECT k.node_id, k.day, k.org_id, {sums(WNAMES)} FROM ({body}) k "
                f"GROUP BY k.node_id, k.day, k.org_id HAVING {nonzero(WNAMES)}"
                + upsert(store, "case_kpi_whistle_days", "node_id, day, org_id", WNAMES))

    W_FOR_CASE = w_for_case

    def w_for_whistle(store, sign_sides, depth=DEPTH):
        parts = []
        for w, s in sign_sides:
            path = f"(SELECT node_path FROM cases WHERE id = {w}case_id)"
            parts.append(f"SELECT a.node_id, {wcontrib(w, 'c.', s)} FROM cases c, "
                         f"({ancestors(store, 'c.', path, depth)}) a WHERE a.node_id IS NOT NULL AND c.id = {w}case_id")
        body = " UNION ALL ".join(parts)
        return (f"INSERT INTO case_kpi_whistle_days (node_id, day, org_id, {', '.join(WNAMES)}) "
                f"SELECT k.node_id, k.day, k.org_id, {sums(WNAMES)} FROM ({body}) k "
                f"GROUP BY k.node_id, k.day, k.org_id HAVING {nonzero(WNAMES)}"
                + upsert(store, "case_kpi_whistle_days", "node_id, day, org_id", WNAMES))

    def sqlite_whistle_triggers(depth):
        return f"""CREATE TRIGGER case_whistles_kpi_insert AFTER INSERT ON case_whistles BEGIN
  {w_for_whistle("sqlite", [("NEW.", 1)], depth)};
END;
CREATE TRIGGER case_whistles_kpi_update AFTER UPDATE OF {wof} ON case_whistles BEGIN
  {w_for_whistle("sqlite", [("NEW.", 1), ("OLD.", -1)], depth)};
END;
CREATE TRIGGER case_whistles_kpi_delete AFTER DELETE ON case_whistles BEGIN
  {w_for_whistle("sqlite", [("OLD.", -1)], depth)};
END;
"""

    def pg_functions(depth, create):
        return f"""{create} FUNCTION cases_kpi() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {case_stmt("postgres", [("NEW.", 1)], depth)};
  ELSIF TG_OP = 'UPDATE' THEN
    {case_stmt("postgres", [("NEW.", 1), ("OLD.", -1)], depth)};
    {w_for_case("postgres", [("NEW.", 1), ("OLD.", -1)], depth)};
  ELSE
    {case_stmt("postgres", [("OLD.", -1)], depth)};
    {w_for_case("postgres", [("OLD.", -1)], depth)};
  END IF;
  RETURN NULL;
END
$fn$;
""", f"""{create} FUNCTION case_whistles_kpi() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {w_for_whistle("postgres", [("NEW.", 1)], depth)};
  ELSIF TG_OP = 'UPDATE' THEN
    {w_for_whistle("postgres", [("NEW.", 1), ("OLD.", -1)], depth)};
  ELSE
    {w_for_whistle("postgres", [("OLD.", -1)], depth)};
  END IF;
  RETURN NULL;
END
$fn$;
"""

    # Migration 0010 as it was written: three nodes of every path.
    sqlite += f"""
CREATE TRIGGER cases_kpi_insert AFTER INSERT ON cases BEGIN
  {case_stmt("sqlite", [("NEW.", 1)], LEGACY_DEPTH)};
END;
CREATE TRIGGER cases_kpi_update AFTER UPDATE OF {of} ON cases BEGIN
  {case_stmt("sqlite", [("NEW.", 1), ("OLD.", -1)], LEGACY_DEPTH)};
  {w_for_case("sqlite", [("NEW.", 1), ("OLD.", -1)], LEGACY_DEPTH)};
END;
CREATE TRIGGER cases_kpi_delete AFTER DELETE ON cases BEGIN
  {case_stmt("sqlite", [("OLD.", -1)], LEGACY_DEPTH)};
  {w_for_case("sqlite", [("OLD.", -1)], LEGACY_DEPTH)};
END;
{sqlite_whistle_triggers(LEGACY_DEPTH)}"""
    pg_cases_legacy, pg_whistles_legacy = pg_functions(LEGACY_DEPTH, "CREATE")
    pg = tables("postgres")
    pg += f"""
{pg_cases_legacy}CREATE TRIGGER cases_kpi_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION cases_kpi();
CREATE TRIGGER cases_kpi_update AFTER UPDATE OF {of} ON cases FOR EACH ROW EXECUTE FUNCTION cases_kpi();
CREATE TRIGGER cases_kpi_delete AFTER DELETE ON cases FOR EACH ROW EXECUTE FUNCTION cases_kpi();
{pg_whistles_legacy}CREATE TRIGGER case_whistles_kpi_insert AFTER INSERT ON case_whistles FOR EACH ROW EXECUTE FUNCTION case_whistles_kpi();
CREATE TRIGGER case_whistles_kpi_update AFTER UPDATE OF {wof} ON case_whistles FOR EACH ROW EXECUTE FUNCTION case_whistles_kpi();
CREATE TRIGGER case_whistles_kpi_delete AFTER DELETE ON case_whistles FOR EACH ROW EXECUTE FUNCTION case_whistles_kpi();
"""
    # The full recount (rebuild): same definitions over every row. Both
    # stores; one statement per table, for the given ancestors of each path.
    def recount_sql(store, ancestor_list):
        parts = []
        for a in ancestor_list:
            for anchor, member, counters in COHORTS:
                mine = {c: e for c, e in counters}
                cols = ", ".join((val(mine[c], "c.", 1) if c in mine else "0") + f" AS {c}"
                                 for c in COLS)
                parts.append(f"SELECT {a} AS node_id, {day(anchor, 'c.')} AS day, {cols} FROM cases c "
                             f"WHERE c.{anchor} IS NOT NULL AND {member.format(r='c.')} AND {a} IS NOT NULL")
        days = (f"INSERT INTO case_kpi_days (node_id, day, {', '.join(COLS)}) "
                f"SELECT k.node_id, k.day, {sums(COLS)} FROM ({' UNION ALL '.join(parts)}) k "
                f"GROUP BY k.node_id, k.day HAVING {nonzero(COLS)}")
        wparts = [f"SELECT {a} AS node_id, {wcontrib('w.', 'c.', 1)} FROM case_whistles w "
                  f"JOIN cases c ON c.id = w.case_id WHERE {a} IS NOT NULL"
                  for a in ancestor_list]
        whistles = (f"INSERT INTO case_kpi_whistle_days (node_id, day, org_id, {', '.join(WNAMES)}) "
                    f"SELECT k.node_id, k.day, k.org_id, {sums(WNAMES)} FROM ({' UNION ALL '.join(wparts)}) k "
                    f"GROUP BY k.node_id, k.day, k.org_id HAVING {nonzero(WNAMES)}")
        return days, whistles

    recount = {store: recount_sql(store, ancestor_exprs(store, "c.node_path"))
               for store in ("sqlite", "postgres")}

    # Migration 0023: the grid, the fourth node of a path, rolled up too. The
    # triggers are replaced, and the grids' rows of the cases already there
    # counted (deleted first, so that running it again counts nothing twice).
    def grid_backfill(store):
        grids = ("SELECT id FROM nodes WHERE length(path) - length(replace(path, '/', '')) = "
                 f"{DEPTH + 1}")
        days, whistles = recount_sql(store, ancestor_exprs(store, "c.node_path")[DEPTH - 1:])
        return (f"DELETE FROM case_kpi_days WHERE node_id IN ({grids});\n"
                f"DELETE FROM case_kpi_whistle_days WHERE node_id IN ({grids});\n"
                f"{days};\n{whistles};\n")

    header_0023 = """-- A grid's KPIs from the roll-ups (docs/KPIS.md "Cost"), written by
-- scripts/kpi-rollup-sql.py: edit that script, not this file. The triggers of
-- 0010/0014 counted the first three nodes of every case's path (district,
-- street, community); these count the fourth, the grid, too. A grid's month
-- was a scan of its cases (41-48 ms warm, 2.1 s cold on 10M cases).
"""
    drops = "".join(f"DROP TRIGGER IF EXISTS {t};\n" for t in (
        "cases_kpi_insert", "cases_kpi_update", "cases_kpi_delete", "case_whistles_kpi_insert",
        "case_whistles_kpi_update", "case_whistles_kpi_delete"))
    lean = lean_triggers(DEPTH)
    lean = lean[lean.index("CREATE TRIGGER cases_kpi_insert"):]
    sqlite_0023 = header_0023 + drops + lean + sqlite_whistle_triggers(DEPTH) + grid_backfill("sqlite")
    pg_cases, pg_whistles = pg_functions(DEPTH, "CREATE OR REPLACE")
    pg_0023 = header_0023 + pg_cases + pg_whistles + grid_backfill("postgres")
    (ROOT / "migrations/sqlite/0023_kpi_grid_rollups.sql").write_text(sqlite_0023)
    (ROOT / "migrations/postgres/0023_kpi_grid_rollups.sql").write_text(pg_0023)
    (ROOT / "migrations/sqlite/0010_kpi_rollups.sql").write_text(sqlite)
    (ROOT / "migrations/postgres/0010_kpi_rollups.sql").write_text(pg)
    (ROOT / "migrations/sqlite/0014_kpi_lean_triggers.sql").write_text(lean_triggers(LEGACY_DEPTH))
    inc = ["// Written by scripts/kpi-rollup-sql.py: the KPI roll-ups' full recount.",
           "// clang-format off"]
    for store in ("sqlite", "postgres"):
        a, b = recount[store]
        inc.append(f'constexpr const char* k{store.capitalize()}RecountDays = R"sql({a})sql";')
        inc.append(f'constexpr const char* k{store.capitalize()}RecountWhistles = R"sql({b})sql";')
    inc.append(f'constexpr const char* kRollupCounters = "{",".join(COLS)}";')
    inc.append(f'constexpr const char* kRollupWhistleCounters = "{",".join(WNAMES)}";')
    inc.append("// clang-format on")
    (ROOT / "src/cases/kpi_rollup_sql.inc").write_text("\n".join(inc) + "\n")


if __name__ == "__main__":
    main()
