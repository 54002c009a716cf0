-- Issue 11: each step of each run of a job as it ran. A run is one time a worker began the job
-- (queue retries, a take-over from a dead worker and a person's retry each start one), so earlier
-- runs stay visible. Steps are computed lazily as the derived slices are written, so every step of
-- a run is busy over much the same span: busy_seconds is the time the job waited on this step's own
-- computation (its input's reading excluded), the figure that says which step is slow.
CREATE TABLE job_steps (
  job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  run          integer NOT NULL,
  step_index   integer NOT NULL,
  kind         text NOT NULL,
  state        text NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  label        text,
  started_at   timestamptz,
  finished_at  timestamptz,
  busy_seconds double precision,
  voxels       bigint,
  -- Where it ran: cpu or cuda (as the inference engine ran it; a classical step runs on cpu).
  backend      text,
  -- model id@version, for a step that ran a trained model.
  model        text,
  error        text,
  error_class  text,
  PRIMARY KEY (job_id, run, step_index)
);

-- The class of a job's error: input (the series or rule is wrong; not retried), unavailable
-- (something outside the node; retried) or bug.
ALTER TABLE jobs ADD COLUMN error_class text;
