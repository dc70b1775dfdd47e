-- A party organisation's members, by organisation: the list of party
-- organisations counts each one's members, and without this index every
-- count read all of party_members (10M-case city, 119k members, 2,476
-- organisations: the whole city's list took 44-55 s, a street's 1.8 s;
-- docs/PERFORMANCE.md, session 13). IF NOT EXISTS: tests apply the
-- migrations after 0016 again.
CREATE INDEX IF NOT EXISTS party_members_org ON party_members (party_org_id);
