-- 积分到期: a community may say points expire N months after the month they
-- were earned (points_settings.expiry_months; 0 or absent = never). Each
-- month start's run is recorded once per community, so the minute job runs
-- it once even with several nodes.
CREATE TABLE points_expiry_runs (
  community_node_id BIGINT NOT NULL REFERENCES nodes(id),
  month TEXT NOT NULL,  -- YYYY-MM whose first day is the expiry boundary
  expired BIGINT NOT NULL DEFAULT 0,
  residents BIGINT NOT NULL DEFAULT 0,
  noticed BIGINT NOT NULL DEFAULT 0,
  at BIGINT NOT NULL,
  PRIMARY KEY (community_node_id, month)
);
-- Honours shown on a resident's and a household's page and in exports.
CREATE INDEX honours_resident ON honours(resident_id);
CREATE INDEX honours_household ON honours(household_id);
