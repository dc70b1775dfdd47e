-- 积分到期: a community may say points expire N months after the month they
-- were earned (points_settings.expiry_months; 0 or absent = never). Each
-- month start's run is recorded once per community, so the minute job runs
-- it once even with several nodes.
CREATE TABLE points_expiry_runs (
  community_node_id INTEGER NOT NULL REFERENCES nodes(id),
  month TEXT NOT NULL,  -- YYYY-MM whose first day is the expiry boundary
  expired INTEGER NOT NULL DEFAULT 0,
  residents INTEGER NOT NULL DEFAULT 0,
  noticed INTEGER NOT NULL DEFAULT 0,
  at INTEGER NOT NULL,
  PRIMARY KEY (community_node_id, month)
) STRICT;
-- Honours shown on a resident's and a household's page and in exports.
CREATE INDEX honours_resident ON honours(resident_id);
CREATE INDEX honours_household ON honours(household_id);
