-- Issue 10: the tags routing matched a series on are computed once, at routing, and kept on each
-- job, so that its steps check what they accept against exactly what the rule saw.
ALTER TABLE jobs ADD COLUMN series_tags jsonb;
