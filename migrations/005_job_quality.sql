-- Issue 8: the quality report a job computes on its own output (noise and LAA-950 before and
-- after, data consistency for super-resolution, the calibration used), served by the API.
ALTER TABLE jobs ADD COLUMN quality jsonb;
