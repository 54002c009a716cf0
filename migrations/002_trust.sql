-- Issue 9: series that count as complete only when whole, instances that are not silently
-- replaced, jobs and deliveries that a crashed process does not hold, and an audit trail.

-- Where each slice lies along the slice normal (mm), for the regular-spacing check of completion;
-- NULL for multi-frame objects (their frames are complete by construction).
ALTER TABLE instances ADD COLUMN slice_position double precision;

-- An association that carried the series ended normally (A-RELEASE, every C-STORE stored) at
-- released_at, or abnormally (abort, lost connection, a refused C-STORE) at interrupted_at. A
-- series counts as complete only after a normal end that came after its last instance.
ALTER TABLE series ADD COLUMN released_at timestamptz;
ALTER TABLE series ADD COLUMN interrupted_at timestamptz;
-- Why a series that stayed quiet is not routed (too few slices, a gap, an interrupted send).
ALTER TABLE series ADD COLUMN incomplete_reason text;
ALTER TABLE series DROP CONSTRAINT series_state_check;
ALTER TABLE series ADD CONSTRAINT series_state_check CHECK (state IN ('receiving', 'routed', 'incomplete'));

-- The process (worker) that holds a running job or a sending delivery, and when it last said it
-- was alive; a holder silent for longer than the node's heartbeat timeout has died.
ALTER TABLE jobs ADD COLUMN worker text;
ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE deliveries ADD COLUMN worker text;
ALTER TABLE deliveries ADD COLUMN heartbeat_at timestamptz;

-- A derived series that a newer generation replaced, removed from the destination's PACS.
ALTER TABLE deliveries ADD COLUMN removed_at timestamptz;

-- An instance sent again with other content while the caller's policy keeps the first copy: the
-- later copy is kept in spool/conflicts/ and recorded here, nothing else changes.
CREATE TABLE instance_conflicts (
  id                  bigserial PRIMARY KEY,
  sop_instance_uid    text NOT NULL,
  series_instance_uid text NOT NULL,
  calling_ae          text NOT NULL,
  received_at         timestamptz NOT NULL,
  conflict_file       text NOT NULL,
  outcome             text NOT NULL CHECK (outcome IN ('kept-first', 'replaced'))
);
CREATE INDEX instance_conflicts_sop_idx ON instance_conflicts (sop_instance_uid);

-- Who did what, when: configuration changes, retries, rejected associations, conflicts.
CREATE TABLE audit_events (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL,
  actor   text NOT NULL,
  action  text NOT NULL,
  subject text,
  detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC, id DESC);
