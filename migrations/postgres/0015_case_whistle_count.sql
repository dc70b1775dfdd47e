-- How many departments were whistled to on a case, kept by a trigger on
-- case_whistles. The KPIs' live count of the departments' open work drives
-- from the few open cases that have whistles (cases_open_whistled) instead of
-- probing the whistles of every open case due after now. Lists read the count
-- instead of counting each case's whistles. (0014 is SQLite's alone.)
ALTER TABLE cases ADD COLUMN whistle_count BIGINT NOT NULL DEFAULT 0;
UPDATE cases c SET whistle_count = w.n
  FROM (SELECT case_id, count(*) AS n FROM case_whistles GROUP BY case_id) w
  WHERE w.case_id = c.id;
CREATE INDEX cases_open_whistled ON cases (resolve_due, node_path)
  WHERE state IN ('submitted','accepted','assigned','in_progress','resolved') AND whistle_count > 0;
CREATE FUNCTION case_whistles_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE cases SET whistle_count = whistle_count - 1 WHERE id = OLD.case_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE cases SET whistle_count = whistle_count + 1 WHERE id = NEW.case_id;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER case_whistles_count AFTER INSERT OR DELETE ON case_whistles
  FOR EACH ROW EXECUTE FUNCTION case_whistles_count();
CREATE TRIGGER case_whistles_count_move AFTER UPDATE OF case_id ON case_whistles
  FOR EACH ROW EXECUTE FUNCTION case_whistles_count();
