-- Points (积分制, DOMAIN.md §3): rules, deeds, a double-entry ledger,
-- monthly publication, redemption at the shop and the merchant alliance.

-- Rule catalogue: community_node_id NULL is the city default a community
-- inherits. A change inserts a new version; entries keep the version they
-- were recorded under.
CREATE TABLE points_rules (
  id INTEGER PRIMARY KEY,
  community_node_id INTEGER REFERENCES nodes(id),
  code TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('positive','negative')),
  points INTEGER NOT NULL,
  monthly_cap INTEGER,
  evidence_required INTEGER NOT NULL DEFAULT 0,
  recorders TEXT NOT NULL DEFAULT 'building_head,unit_head,community_staff',
  automatic INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  UNIQUE (community_node_id, code, version)
) STRICT;

-- Accounts of the ledger. kind: resident, household, fund (a community's
-- points fund: where awards come from), shop (a station's 积分超市),
-- merchant. Balances are sums of transfers, never stored.
CREATE TABLE points_accounts (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('resident','household','fund','shop','merchant')),
  ref_id INTEGER NOT NULL,
  node_path TEXT NOT NULL,
  name TEXT NOT NULL,
  UNIQUE (kind, ref_id)
) STRICT;

-- 一事一记: a recorded deed, pending until the monthly review.
CREATE TABLE points_deeds (
  id INTEGER PRIMARY KEY,
  rule_id INTEGER NOT NULL REFERENCES points_rules(id),
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  community_node_id INTEGER NOT NULL REFERENCES nodes(id),
  node_path TEXT NOT NULL,
  month TEXT NOT NULL,  -- YYYY-MM (Shanghai) the deed counts in
  deed_date TEXT NOT NULL,
  points INTEGER NOT NULL,  -- as recorded (signed)
  final_points INTEGER,     -- after review (signed)
  note TEXT NOT NULL DEFAULT '',
  evidence_sha TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
  review_reason TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT 'manual',
  source_ref INTEGER,
  corrects_deed_id INTEGER REFERENCES points_deeds(id),
  objection_id INTEGER,
  recorded_by INTEGER,
  reviewed_by INTEGER,
  recorded_at INTEGER NOT NULL,
  reviewed_at INTEGER
) STRICT;
CREATE INDEX points_deeds_month ON points_deeds(community_node_id, month, state);
CREATE INDEX points_deeds_resident ON points_deeds(resident_id);

-- The ledger: append-only transfers between two accounts; amount > 0.
CREATE TABLE points_transfers (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  from_account INTEGER NOT NULL REFERENCES points_accounts(id),
  to_account INTEGER NOT NULL REFERENCES points_accounts(id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  kind TEXT NOT NULL CHECK (kind IN ('award','penalty','redeem','refund','correction','expiry')),
  deed_id INTEGER REFERENCES points_deeds(id),
  redemption_id INTEGER,
  reverses_id INTEGER REFERENCES points_transfers(id),
  note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX points_transfers_from ON points_transfers(from_account);
CREATE INDEX points_transfers_to ON points_transfers(to_account);

-- 一月一示: a published month per community, frozen.
CREATE TABLE points_months (
  community_node_id INTEGER NOT NULL REFERENCES nodes(id),
  month TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('published','final')),
  published_at INTEGER NOT NULL,
  published_by INTEGER,
  objection_until INTEGER NOT NULL,
  snapshot TEXT NOT NULL,  -- JSON, never changed after publication
  PRIMARY KEY (community_node_id, month)
) STRICT;

CREATE TABLE points_objections (
  id INTEGER PRIMARY KEY,
  deed_id INTEGER NOT NULL REFERENCES points_deeds(id),
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  reason TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open','upheld','dismissed')),
  resolution TEXT NOT NULL DEFAULT '',
  correction_deed_id INTEGER REFERENCES points_deeds(id),
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  resolved_by INTEGER
) STRICT;

-- 积分超市 goods; stock is a ledger of moves too.
CREATE TABLE shop_items (
  id INTEGER PRIMARY KEY,
  station_org_id INTEGER NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  points_price INTEGER NOT NULL CHECK (points_price > 0),
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE shop_stock_moves (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES shop_items(id),
  delta INTEGER NOT NULL,
  reason TEXT NOT NULL,
  redemption_id INTEGER,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX shop_stock_moves_item ON shop_stock_moves(item_id);

-- 商家联盟 services.
CREATE TABLE merchant_services (
  id INTEGER PRIMARY KEY,
  merchant_org_id INTEGER NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  points_price INTEGER NOT NULL CHECK (points_price > 0),
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE redemptions (
  id INTEGER PRIMARY KEY,
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  kind TEXT NOT NULL CHECK (kind IN ('shop','merchant')),
  item_id INTEGER REFERENCES shop_items(id),
  service_id INTEGER REFERENCES merchant_services(id),
  org_id INTEGER NOT NULL REFERENCES orgs(id),  -- station or merchant
  points INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('ordered','handed_over','code_issued','verified','cancelled','expired')),
  code_hash TEXT,
  code_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  completed_at INTEGER,
  completed_by INTEGER
) STRICT;
CREATE INDEX redemptions_org ON redemptions(org_id, state);
CREATE INDEX redemptions_resident ON redemptions(resident_id);
CREATE INDEX redemptions_code ON redemptions(org_id, code_hash);

CREATE TABLE honours (
  id INTEGER PRIMARY KEY,
  community_node_id INTEGER NOT NULL REFERENCES nodes(id),
  year INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('best_resident','best_volunteer','best_merchant','ten_star_household')),
  resident_id INTEGER REFERENCES residents(id),
  household_id INTEGER REFERENCES households(id),
  org_id INTEGER REFERENCES orgs(id),
  note TEXT NOT NULL DEFAULT '',
  awarded_by INTEGER,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE points_settings (
  community_node_id INTEGER NOT NULL,  -- 0 = city default
  k TEXT NOT NULL,
  v TEXT NOT NULL,
  PRIMARY KEY (community_node_id, k)
) STRICT;
