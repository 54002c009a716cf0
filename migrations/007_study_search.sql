-- Issue 11: find a study by patient, accession, date or description. Series indexed before this
-- migration are back-filled from their files in the spool at the next start (search_backfilled).
ALTER TABLE series ADD COLUMN patient_name text;
ALTER TABLE series ADD COLUMN accession_number text;
ALTER TABLE series ADD COLUMN study_date text;
ALTER TABLE series ADD COLUMN study_description text;
ALTER TABLE series ADD COLUMN search_backfilled boolean NOT NULL DEFAULT false;
ALTER TABLE series ALTER COLUMN search_backfilled SET DEFAULT true;
CREATE INDEX series_patient_id_idx ON series (patient_id text_pattern_ops);
CREATE INDEX series_accession_number_idx ON series (accession_number text_pattern_ops);
CREATE INDEX series_study_instance_uid_idx ON series (study_instance_uid);
CREATE INDEX series_study_date_idx ON series (study_date);
CREATE INDEX series_patient_name_idx ON series (lower(patient_name) text_pattern_ops);
