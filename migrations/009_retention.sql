-- Issue 11: retention. A series whose files were removed from the spool after delivery keeps its
-- index rows (history), with the time of removal; it cannot be processed again from the spool.
ALTER TABLE series ADD COLUMN files_removed_at timestamptz;
ALTER TABLE jobs ADD COLUMN output_removed_at timestamptz;
