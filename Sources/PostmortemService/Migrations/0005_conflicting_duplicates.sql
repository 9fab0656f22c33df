-- Conflicting duplicates are resolved by the same order-independent rules as `analyze`
-- (docs/architecture.md, "Conflicting duplicates").
--
-- Deploy-side events: the copy with the smallest content digest (SHA-1 of its canonical JSON)
-- is the event. Rows stored before this migration have no digest and are kept as they are.
ALTER TABLE deploy_events ADD COLUMN content_digest text;
-- The deploy the copy it replaced belonged to (NULL: it replaced none, or one unattributed),
-- written by the replacing upsert and read back in the same statement: that deploy lost an
-- event and is re-analyzed.
ALTER TABLE deploy_events ADD COLUMN replaced_deploy_id text;

-- Metric points: a copy of a point with another value (or another unit or SLO) is kept beside
-- it, so the analysis sees every copy, as `analyze` does: the worst value at one timestamp wins,
-- and the smallest unit and SLO of a series. An identical copy is still a no-op.
-- (Rebuilding the index reads the whole table once: expect the migration to take about as long
-- as a sequential scan of metric_samples.)
CREATE UNIQUE INDEX metric_samples_point ON metric_samples
    (service, environment, metric, ts, labels, value, coalesce(unit, ''), coalesce(slo_threshold, 'NaN'),
     coalesce(slo_direction, ''));
DROP INDEX metric_samples_series_ts;
