-- How many departments were whistled to on a case, kept by triggers on
-- case_whistles. The KPIs' live count of the departments' open work drives
-- from the few open cases that have whistles (cases_open_whistled) instead of
-- probing the whistles of every open case due after now (a city of 10M
-- cases: 67,792 probes, 56 of the whole-city KPIs' 65 ms). Lists read the
-- count instead of counting each case's whistles.
ALTER TABLE cases ADD COLUMN whistle_count INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET whistle_count = (SELECT count(*) FROM case_whistles w WHERE w.case_id = cases.id)
  WHERE id IN (SELECT case_id FROM case_whistles);
CREATE INDEX cases_open_whistled ON cases (resolve_due, node_path)
  WHERE state IN ('submitted','accepted','assigned','in_progress','resolved') AND whistle_count > 0;
CREATE TRIGGER case_whistles_count_insert AFTER INSERT ON case_whistles BEGIN
  UPDATE cases SET whistle_count = whistle_count + 1 WHERE id = NEW.case_id;
END;
CREATE TRIGGER case_whistles_count_delete AFTER DELETE ON case_whistles BEGIN
  UPDATE cases SET whistle_count = whistle_count - 1 WHERE id = OLD.case_id;
END;
CREATE TRIGGER case_whistles_count_move AFTER UPDATE OF case_id ON case_whistles BEGIN
  UPDATE cases SET whistle_count = whistle_count - 1 WHERE id = OLD.case_id;
  UPDATE cases SET whistle_count = whistle_count + 1 WHERE id = NEW.case_id;
END;
