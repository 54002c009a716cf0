-- Instances received and kept in the spool; one row per SOP instance (a resend replaces the file).
CREATE TABLE instances (
  sop_instance_uid    text PRIMARY KEY,
  series_instance_uid text NOT NULL,
  study_instance_uid  text NOT NULL,
  sop_class_uid       text NOT NULL,
  transfer_syntax_uid text NOT NULL,
  instance_number     integer,
  path                text NOT NULL,
  size_bytes          bigint NOT NULL,
  calling_ae          text NOT NULL,
  received_at         timestamptz NOT NULL
);
CREATE INDEX instances_series_idx ON instances (series_instance_uid);

-- Series being received or already routed. generation grows when instances arrive after routing,
-- so that a superseding job can be told apart from the one it replaces.
CREATE TABLE series (
  series_instance_uid text PRIMARY KEY,
  study_instance_uid  text NOT NULL,
  patient_id          text,
  modality            text,
  manufacturer        text,
  convolution_kernel  text,
  rows                integer,
  columns             integer,
  slice_thickness     double precision,
  body_part_examined  text,
  series_description  text,
  calling_ae          text NOT NULL,
  tags                jsonb NOT NULL,
  state               text NOT NULL CHECK (state IN ('receiving', 'routed')),
  generation          integer NOT NULL DEFAULT 1,
  instance_count      integer NOT NULL DEFAULT 0,
  first_received_at   timestamptz NOT NULL,
  last_received_at    timestamptz NOT NULL,
  routed_at           timestamptz,
  routing             jsonb
);
CREATE INDEX series_receiving_idx ON series (last_received_at) WHERE state = 'receiving';

-- Routing rules, seeded from config/rules.json when the table is empty, then edited through the API.
CREATE TABLE rules (
  id         text PRIMARY KEY,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One job per (series generation, matching rule). The queue (pg-boss) schedules and retries;
-- this table is the state a person reads: per-step progress, errors, the backend that ran.
CREATE TABLE jobs (
  id                  uuid PRIMARY KEY,
  series_instance_uid text NOT NULL REFERENCES series (series_instance_uid),
  series_generation   integer NOT NULL,
  rule_id             text NOT NULL,
  rule                jsonb NOT NULL,
  state               text NOT NULL CHECK (state IN ('queued', 'running', 'delivering', 'done', 'failed', 'superseded')),
  steps               jsonb NOT NULL DEFAULT '[]',
  attempts            integer NOT NULL DEFAULT 0,
  error               text,
  derived_series_uid  text,
  output_dir          text,
  instance_count      integer,
  created_at          timestamptz NOT NULL,
  started_at          timestamptz,
  finished_at         timestamptz,
  updated_at          timestamptz NOT NULL
);
CREATE INDEX jobs_series_idx ON jobs (series_instance_uid);
CREATE INDEX jobs_state_idx ON jobs (state);

-- Derived series made by this node: never routed again, even if a PACS sends them back.
CREATE TABLE derived_series (
  series_instance_uid text PRIMARY KEY,
  job_id              uuid NOT NULL REFERENCES jobs (id),
  created_at          timestamptz NOT NULL
);

-- Delivery of one job's derived series to one destination, with its own retries.
CREATE TABLE deliveries (
  id             uuid PRIMARY KEY,
  job_id         uuid NOT NULL REFERENCES jobs (id),
  destination    text NOT NULL,
  state          text NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed', 'superseded')),
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  instances_sent integer NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  delivered_at   timestamptz,
  UNIQUE (job_id, destination)
);
CREATE INDEX deliveries_state_idx ON deliveries (state);
