-- Residents' requests: the tiered closed loop (DOMAIN.md §2).
-- Levels: building → grid → community → street → department.
CREATE TABLE case_categories (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES case_categories(id),
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  default_level TEXT NOT NULL DEFAULT 'grid'
    CHECK (default_level IN ('building','grid','community','street')),
  auto_escalate INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1
) STRICT;

-- Routing: category (or its parent) × the kind of the case's location node
-- → the first level. Absent rows fall back to the category's default_level.
CREATE TABLE case_routing (
  id INTEGER PRIMARY KEY,
  category_id INTEGER NOT NULL REFERENCES case_categories(id),
  node_kind TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('building','grid','community','street')),
  UNIQUE (category_id, node_kind)
) STRICT;

-- Time limits per 五事 type × urgency (category optional, more specific wins).
-- Units: 'hours' (clock hours) or 'workdays' (the work calendar).
CREATE TABLE case_limits (
  id INTEGER PRIMARY KEY,
  case_type TEXT NOT NULL CHECK (case_type IN ('big','practical','important','urgent','hard')),
  urgency TEXT NOT NULL CHECK (urgency IN ('normal','urgent')),
  category_id INTEGER REFERENCES case_categories(id),
  accept_value INTEGER NOT NULL, accept_unit TEXT NOT NULL,
  contact_value INTEGER NOT NULL, contact_unit TEXT NOT NULL,
  resolve_value INTEGER NOT NULL, resolve_unit TEXT NOT NULL,
  report_value INTEGER NOT NULL, report_unit TEXT NOT NULL,
  act_value INTEGER NOT NULL, act_unit TEXT NOT NULL,
  UNIQUE (case_type, urgency, category_id)
) STRICT;

-- The work calendar: days that differ from "Monday–Friday work".
CREATE TABLE calendar_days (
  day TEXT PRIMARY KEY,  -- YYYY-MM-DD, Shanghai
  kind TEXT NOT NULL CHECK (kind IN ('holiday','workday')),
  name TEXT NOT NULL DEFAULT ''
) STRICT;

-- Settings that admins edit (k = 'satisfaction_k', 'rating_window_days' …).
CREATE TABLE case_settings (
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
) STRICT;

CREATE TABLE cases (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  category_id INTEGER NOT NULL REFERENCES case_categories(id),
  case_type TEXT NOT NULL CHECK (case_type IN ('big','practical','important','urgent','hard')),
  urgency TEXT NOT NULL CHECK (urgency IN ('normal','urgent')),
  channel TEXT NOT NULL CHECK (channel IN ('mobile','patrol','hotline','meeting','station','open311')),
  state TEXT NOT NULL CHECK (state IN ('submitted','accepted','rejected','assigned','in_progress',
    'resolved','follow_up','closed','suspended','merged')),
  suspended_from TEXT,
  level TEXT NOT NULL DEFAULT 'grid'
    CHECK (level IN ('building','grid','community','street','department')),
  level_node_id INTEGER REFERENCES nodes(id),  -- the node of the handling level
  node_id INTEGER NOT NULL REFERENCES nodes(id),  -- where it is
  node_path TEXT NOT NULL,
  household_id INTEGER REFERENCES households(id),
  lat REAL,
  lng REAL,
  address TEXT NOT NULL DEFAULT '',
  reporter_resident_id INTEGER REFERENCES residents(id),
  reporter_user_id INTEGER REFERENCES users(id),
  reporter_name TEXT NOT NULL DEFAULT '',
  reporter_phone_enc TEXT,
  reporter_phone_mask TEXT,
  anonymous INTEGER NOT NULL DEFAULT 0,
  handler_user_id INTEGER REFERENCES users(id),
  handler_org_id INTEGER REFERENCES orgs(id),
  merged_into_id INTEGER REFERENCES cases(id),
  open311_token TEXT UNIQUE,
  accept_due INTEGER,
  contact_due INTEGER,
  resolve_due INTEGER,
  accepted_at INTEGER,
  dispatched_at INTEGER,
  contacted_at INTEGER,
  resolved_at INTEGER,
  closed_at INTEGER,
  closed_level TEXT,
  close_reason TEXT CHECK (close_reason IN ('rated','phone','not_rated','rejected','merged')),
  rework_count INTEGER NOT NULL DEFAULT 0,
  escalation_count INTEGER NOT NULL DEFAULT 0,
  suspended_ms INTEGER NOT NULL DEFAULT 0,
  suspended_at INTEGER,
  rating_solved INTEGER,
  rating TEXT CHECK (rating IN ('satisfied','basic','unsatisfied')),
  rating_comment TEXT,
  rated_at INTEGER,
  near_due_notified INTEGER NOT NULL DEFAULT 0,
  overdue_notified INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_path ON cases(node_path);
CREATE INDEX cases_state_due ON cases(state, resolve_due);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_reporter ON cases(reporter_user_id);
CREATE INDEX cases_category ON cases(category_id);

-- The timeline: every transition, hand-over and note; nothing overwritten.
CREATE TABLE case_events (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  at INTEGER NOT NULL,
  actor_user_id INTEGER,
  actor_name TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  from_level TEXT,
  to_level TEXT,
  org_id INTEGER,
  note TEXT NOT NULL DEFAULT '',
  public INTEGER NOT NULL DEFAULT 1  -- shown to the reporter
) STRICT;
CREATE INDEX case_events_case ON case_events(case_id);
CREATE INDEX case_events_action_at ON case_events(action, at);

-- Photos by content hash (SHA-256 hex); the bytes live once in blobs.
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  data TEXT NOT NULL,  -- base64: one encoding for both stores
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE case_photos (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  event_id INTEGER REFERENCES case_events(id),
  sha256 TEXT NOT NULL REFERENCES blobs(sha256),
  stage TEXT NOT NULL CHECK (stage IN ('report','result'))
) STRICT;
CREATE INDEX case_photos_case ON case_photos(case_id);

-- 吹哨报到: one row per department whistled on a case.
CREATE TABLE case_whistles (
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  org_id INTEGER NOT NULL REFERENCES orgs(id),
  lead INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('whistled','reported','arrived','acted','returned')),
  whistled_at INTEGER NOT NULL,
  whistled_by INTEGER,
  report_due INTEGER NOT NULL,
  act_due INTEGER NOT NULL,
  reported_at INTEGER,
  arrived_at INTEGER,
  acted_at INTEGER,
  action_note TEXT NOT NULL DEFAULT '',
  returned_at INTEGER,
  return_reason TEXT NOT NULL DEFAULT '',
  UNIQUE (case_id, org_id)
) STRICT;
CREATE INDEX case_whistles_org ON case_whistles(org_id);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  case_id INTEGER REFERENCES cases(id),
  title TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  read_at INTEGER
) STRICT;
CREATE INDEX notifications_user ON notifications(user_id, id);

-- Grid boundaries (GeoJSON Polygon coordinates) for point-in-polygon location.
ALTER TABLE nodes ADD COLUMN boundary TEXT;
