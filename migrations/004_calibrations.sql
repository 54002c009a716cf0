-- Issue 8: kernel transfers fitted on natural pairs (a sharp and a soft reconstruction of one
-- acquisition), keyed by scanner and kernels; the newest for a key is the one steps use.
CREATE TABLE calibrations (
  id                        uuid PRIMARY KEY,
  manufacturer              text NOT NULL,
  model_name                text NOT NULL,
  source_kernel             text NOT NULL,
  target_kernel             text NOT NULL,
  source_series_uid         text NOT NULL,
  target_series_uid         text NOT NULL,
  -- The whole calibration as the API and config/calibrations/*.json carry it.
  calibration               jsonb NOT NULL,
  fitted_at                 timestamptz NOT NULL,
  UNIQUE (source_series_uid, target_series_uid)
);
CREATE INDEX calibrations_key_idx ON calibrations (manufacturer, model_name, source_kernel, target_kernel, fitted_at DESC);
