-- Issue 11: how far a running job is (slices of the derived series written, of how many), so the
-- API and console can show progress and an estimated time to finish.
ALTER TABLE jobs ADD COLUMN progress jsonb;
