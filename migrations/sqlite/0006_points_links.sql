-- Rules other modules award through PointsService::award: a resident whose
-- report was solved, and the yearly base points of a household (基础积分,
-- granted to its head once a year, automatic).
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, automatic, created_at) VALUES (NULL, 'case_solved', '反映问题并获解决', 'positive', 2, 10, 0, 'community_staff', 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, automatic, created_at) VALUES (NULL, 'base', '年度基础积分', 'positive', 100, NULL, 0, 'community_staff', 1, 0);
