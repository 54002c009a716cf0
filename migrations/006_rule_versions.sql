-- Issue 11: a rule carries a version, raised each time it is saved; a job records the version of
-- the rule it was made from (the rule snapshot in jobs.rule is that version).
ALTER TABLE rules ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN rule_version integer;
