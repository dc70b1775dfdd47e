-- The care tags of each resident as rows (tag, resident), kept by triggers on
-- residents. residents.tags stays the record (one comma-separated string);
-- this table is its index. The whole city's list of residents with a rare
-- tag walked every resident looking for it (2M residents: 1.0-2.1 s a page,
-- docs/PERFORMANCE.md, session 14); it now walks the tag's entries in id
-- order. care_tags is the vocabulary the service accepts (org::kCareTags,
-- checked by a test): a tag outside it is not indexed.
--
-- A migration that rebuilds residents drops these triggers with the old
-- table: 0016 does, and then this one runs after it. IF NOT EXISTS and OR
-- IGNORE: tests apply the migrations after 0016 again.
CREATE TABLE IF NOT EXISTS care_tags (tag TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO care_tags (tag) VALUES
  ('空巢老人'), ('独居'), ('残疾'), ('低保'), ('困难群众'), ('退役军人'), ('留守儿童'), ('重点关注');
CREATE TABLE IF NOT EXISTS resident_tags (
  tag TEXT NOT NULL,
  resident_id INTEGER NOT NULL,
  PRIMARY KEY (tag, resident_id)
) STRICT, WITHOUT ROWID;
DELETE FROM resident_tags;
INSERT INTO resident_tags (tag, resident_id)
  SELECT c.tag, r.id FROM residents r JOIN care_tags c
    ON instr(',' || r.tags || ',', ',' || c.tag || ',') > 0
  WHERE r.tags <> '';
CREATE TRIGGER IF NOT EXISTS resident_tags_insert AFTER INSERT ON residents WHEN NEW.tags <> '' BEGIN
  INSERT INTO resident_tags (tag, resident_id)
    SELECT tag, NEW.id FROM care_tags WHERE instr(',' || NEW.tags || ',', ',' || tag || ',') > 0;
END;
CREATE TRIGGER IF NOT EXISTS resident_tags_update AFTER UPDATE OF tags ON residents
  WHEN NEW.tags IS NOT OLD.tags BEGIN
  DELETE FROM resident_tags WHERE resident_id = OLD.id AND tag IN (SELECT tag FROM care_tags);
  INSERT INTO resident_tags (tag, resident_id)
    SELECT tag, NEW.id FROM care_tags WHERE instr(',' || NEW.tags || ',', ',' || tag || ',') > 0;
END;
CREATE TRIGGER IF NOT EXISTS resident_tags_delete AFTER DELETE ON residents WHEN OLD.tags <> '' BEGIN
  DELETE FROM resident_tags WHERE resident_id = OLD.id AND tag IN (SELECT tag FROM care_tags);
END;
