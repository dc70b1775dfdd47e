-- Foundation: territory, people, party, organisations, accounts, audit.
-- Times are INTEGER unix milliseconds (UTC). `path` is a materialised path
-- ('/1/4/9/') so a subtree is the range [path, path || '~').
CREATE TABLE nodes (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES nodes(id),
  kind TEXT NOT NULL CHECK (kind IN ('district','street','community','grid','building','unit')),
  name TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  depth INTEGER NOT NULL DEFAULT 0,
  floors INTEGER,
  lat REAL,
  lng REAL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX nodes_parent ON nodes(parent_id);
CREATE INDEX nodes_path ON nodes(path);

CREATE TABLE households (
  id INTEGER PRIMARY KEY,
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  node_path TEXT NOT NULL,
  room TEXT NOT NULL,
  address TEXT NOT NULL,
  area REAL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (node_id, room)
) STRICT;
CREATE INDEX households_path ON households(node_path);

CREATE TABLE household_moves (
  id INTEGER PRIMARY KEY,
  household_id INTEGER NOT NULL REFERENCES households(id),
  from_node_id INTEGER NOT NULL,
  from_address TEXT NOT NULL,
  to_node_id INTEGER NOT NULL,
  to_address TEXT NOT NULL,
  reason TEXT NOT NULL,
  moved_by INTEGER,
  moved_at INTEGER NOT NULL
) STRICT;
CREATE INDEX household_moves_household ON household_moves(household_id);

CREATE TABLE residents (
  id INTEGER PRIMARY KEY,
  household_id INTEGER NOT NULL REFERENCES households(id),
  node_path TEXT NOT NULL,
  name TEXT NOT NULL,
  gender TEXT NOT NULL CHECK (gender IN ('M','F')),
  birth_date TEXT,
  relation TEXT NOT NULL DEFAULT '',
  phone_enc TEXT,
  phone_mask TEXT,
  phone_hash TEXT,
  id_enc TEXT,
  id_mask TEXT,
  id_hash TEXT UNIQUE,
  tags TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','moved_out','deceased')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX residents_path ON residents(node_path);
CREATE INDEX residents_household ON residents(household_id);
CREATE INDEX residents_name ON residents(name);
CREATE INDEX residents_phone_hash ON residents(phone_hash);

CREATE TABLE party_orgs (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES party_orgs(id),
  kind TEXT NOT NULL CHECK (kind IN ('committee','branch','group')),
  name TEXT NOT NULL,
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  node_path TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX party_orgs_path ON party_orgs(node_path);

CREATE TABLE party_members (
  id INTEGER PRIMARY KEY,
  resident_id INTEGER NOT NULL UNIQUE REFERENCES residents(id),
  party_org_id INTEGER NOT NULL REFERENCES party_orgs(id),
  node_path TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('direct','in_service','mobile','retired')),
  employer TEXT NOT NULL DEFAULT '',
  joined_on TEXT,
  central_household INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX party_members_path ON party_members(node_path);

-- 党员联户: the households a member looks after.
CREATE TABLE member_households (
  member_id INTEGER NOT NULL REFERENCES party_members(id),
  household_id INTEGER NOT NULL REFERENCES households(id),
  PRIMARY KEY (member_id, household_id)
) STRICT;

CREATE TABLE orgs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('department','resident_unit','property','owners_committee','social','merchant','station')),
  name TEXT NOT NULL,
  contact_name TEXT NOT NULL DEFAULT '',
  contact_phone_enc TEXT,
  contact_phone_mask TEXT,
  node_id INTEGER REFERENCES nodes(id),
  created_at INTEGER NOT NULL,
  UNIQUE (kind, name)
) STRICT;

-- The nodes an organisation serves (a property company's compounds, a
-- department's street).
CREATE TABLE org_nodes (
  org_id INTEGER NOT NULL REFERENCES orgs(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  PRIMARY KEY (org_id, node_id)
) STRICT;

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  resident_id INTEGER REFERENCES residents(id),
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_at INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0,
  password_changed_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE role_assignments (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  node_id INTEGER REFERENCES nodes(id),
  org_id INTEGER REFERENCES orgs(id)
) STRICT;
CREATE INDEX role_assignments_user ON role_assignments(user_id);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER,
  username TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER,
  node_path TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_path ON audit_log(node_path);
CREATE INDEX audit_log_user ON audit_log(user_id);

-- Open311 and other machine clients.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
