-- The city's default rule catalogue (seed 000: 10 positive classes, 5 negative),
-- which every community inherits until it changes a rule. Caps are per person per month.
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'activity', '参加社区活动', 'positive', 5, 20, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'volunteer', '志愿服务', 'positive', 10, 40, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'dispute', '协调矛盾纠纷', 'positive', 10, 40, 1, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'hazard', '排查报告安全隐患', 'positive', 5, 20, 1, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'environment', '维护环境卫生', 'positive', 5, 20, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'civility', '参与文明创建', 'positive', 5, 20, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'care', '关爱帮扶邻里', 'positive', 10, 40, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'deliberation', '参与说事议事', 'positive', 5, 20, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'sorting', '垃圾分类', 'positive', 2, 8, 0, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, created_at) VALUES (NULL, 'good_deed', '好人好事', 'positive', 20, 80, 1, 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, created_at) VALUES (NULL, 'misconduct', '违反社会公德', 'negative', -10, NULL, 1, 'community_staff', 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, created_at) VALUES (NULL, 'unsafe_power', '违规用电用气', 'negative', -10, NULL, 1, 'community_staff', 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, created_at) VALUES (NULL, 'clutter', '乱堆乱放', 'negative', -5, NULL, 1, 'community_staff', 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, created_at) VALUES (NULL, 'throwing', '高空抛物', 'negative', -20, NULL, 1, 'community_staff', 0);
INSERT INTO points_rules (community_node_id, code, name, kind, points, monthly_cap, evidence_required, recorders, created_at) VALUES (NULL, 'pet', '饲养宠物扰民', 'negative', -5, NULL, 1, 'community_staff', 0);
INSERT INTO points_settings (community_node_id, k, v) VALUES (0, 'objection_days', '7');
INSERT INTO points_settings (community_node_id, k, v) VALUES (0, 'base_points', '100');
INSERT INTO points_settings (community_node_id, k, v) VALUES (0, 'code_minutes', '10');
