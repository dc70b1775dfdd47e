-- The care tags of each resident as rows (tag, resident), kept by a trigger
-- on residents. residents.tags stays the record (one comma-separated string);
-- this table is its index. The whole city's list of residents with a rare
-- tag walked every resident looking for it (2M residents on SQLite: 1.0-2.1 s
-- a page, docs/PERFORMANCE.md, session 14); it now walks the tag's entries in
-- id order. care_tags is the vocabulary the service accepts (org::kCareTags,
-- checked by a test): a tag outside it is not indexed. IF NOT EXISTS and
-- OR REPLACE: tests apply the migrations after 0016 again.
CREATE TABLE IF NOT EXISTS care_tags (tag TEXT PRIMARY KEY);
INSERT INTO care_tags (tag) VALUES
  ('空巢老人'), ('独居'), ('残疾'), ('低保'), ('困难群众'), ('退役军人'), ('留守儿童'), ('重点关注')
  ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS resident_tags (
  tag TEXT NOT NULL,
  resident_id BIGINT NOT NULL,
  PRIMARY KEY (tag, resident_id)
);
DELETE FROM resident_tags;
INSERT INTO resident_tags (tag, resident_id)
  SELECT c.tag, r.id FROM residents r JOIN care_tags c ON c.tag = ANY (string_to_array(r.tags, ','))
  WHERE r.tags <> '';
-- Without statistics the planner guessed 15 rows for a tag and sorted all of
-- a common tag's residents for one page (1M-case city: 27 ms against 0.7).
ANALYZE resident_tags;
CREATE OR REPLACE FUNCTION resident_tags_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM resident_tags WHERE resident_id = OLD.id AND tag IN (SELECT tag FROM care_tags);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO resident_tags (tag, resident_id)
      SELECT c.tag, NEW.id FROM care_tags c WHERE c.tag = ANY (string_to_array(NEW.tags, ','));
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE TRIGGER resident_tags_insert AFTER INSERT ON residents
  FOR EACH ROW WHEN (NEW.tags <> '') EXECUTE FUNCTION resident_tags_sync();
CREATE OR REPLACE TRIGGER resident_tags_update AFTER UPDATE OF tags ON residents
  FOR EACH ROW WHEN (NEW.tags IS DISTINCT FROM OLD.tags) EXECUTE FUNCTION resident_tags_sync();
CREATE OR REPLACE TRIGGER resident_tags_delete AFTER DELETE ON residents
  FOR EACH ROW WHEN (OLD.tags <> '') EXECUTE FUNCTION resident_tags_sync();
