-- Issue 11: destinations live in the database, so that an edit through the API reaches every
-- worker process. Those of the configuration (file and CTPREP_DESTINATION_<NAME>_* variables) are
-- written here at each start of the node (source 'configuration': read-only through the API, or
-- a restart would undo the edit); those made through the API have source 'api'.
CREATE TABLE destinations (
  name        text PRIMARY KEY,
  definition  jsonb NOT NULL,
  source      text NOT NULL CHECK (source IN ('configuration', 'api')),
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
