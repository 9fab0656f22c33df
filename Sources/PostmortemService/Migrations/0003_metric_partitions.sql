-- Monthly metric_samples partitions that can be created while rows of their month sit in
-- metric_samples_default (docs/operations.md, "Data lifecycle").
--
-- PostgreSQL refuses to create a partition whose range has rows in the default partition, and
-- until now nothing created partitions, so every point landed in metric_samples_default. From
-- this version on the service creates this month's and next month's partitions ahead (one
-- replica at a time); this function makes creating one safe whatever the default holds.

-- Creates the monthly partition holding `month` (idempotent; same name and signature as in
-- version 1, so callers keep working). Rows of that month already in metric_samples_default are
-- moved into it in the caller's transaction: copied out to a temporary table, deleted from the
-- default, the partition created, and inserted back. Creating a partition locks metric_samples
-- anyway; taking that lock first keeps ingest from adding rows of the month to the default
-- between the move and the creation. A partition that exists costs one catalog lookup.
CREATE OR REPLACE FUNCTION create_metric_samples_partition(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    partition_name text := 'metric_samples_' || to_char(first_day, 'YYYY_MM');
    lower_bound timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    upper_bound timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
        RETURN partition_name;
    END IF;
    LOCK TABLE metric_samples IN ACCESS EXCLUSIVE MODE;
    CREATE TEMP TABLE metric_samples_moving (LIKE metric_samples);
    WITH moved AS (
        DELETE FROM metric_samples_default WHERE ts >= lower_bound AND ts < upper_bound RETURNING *
    )
    INSERT INTO metric_samples_moving SELECT * FROM moved;
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF metric_samples FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, upper_bound);
    INSERT INTO metric_samples SELECT * FROM metric_samples_moving;
    DROP TABLE metric_samples_moving;
    RETURN partition_name;
END;
$$;

-- Move every point already in the default partition into its monthly partition, then create
-- this month's and next month's (the service keeps doing so; this covers `migrate` alone).
-- Ingest of metric points waits while this runs: about as long as copying the default's rows.
DO $$
DECLARE
    month date;
BEGIN
    FOR month IN
        SELECT DISTINCT date_trunc('month', ts AT TIME ZONE 'UTC')::date FROM metric_samples_default ORDER BY 1
    LOOP
        PERFORM create_metric_samples_partition(month);
    END LOOP;
    PERFORM create_metric_samples_partition((now() AT TIME ZONE 'UTC')::date);
    PERFORM create_metric_samples_partition(((now() AT TIME ZONE 'UTC') + interval '1 month')::date);
END;
$$;

-- Retention finds deploys by start time (deploys without a postmortem, older than N days).
CREATE INDEX deploys_by_started ON deploys (started_at);
