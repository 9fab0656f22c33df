-- Conflicting duplicates are resolved by the same order-independent rules as `analyze`
-- (docs/architecture.md, "Conflicting duplicates").
--
-- Deploy-side events: the copy with the smallest content digest (SHA-1 of its canonical JSON)
-- is the event. Rows stored before this migration have no digest and are kept as they are.
ALTER TABLE deploy_events ADD COLUMN content_digest text;

-- Metric points: a copy of a point with another value is kept beside it, so the analysis sees
-- both and the worst in the metric's bad direction wins; an identical copy is still a no-op.
-- (Rebuilding the index reads the whole table once: expect the migration to take about as long
-- as a sequential scan of metric_samples.)
CREATE UNIQUE INDEX metric_samples_series_ts_value ON metric_samples (service, environment, metric, ts, labels, value);
DROP INDEX metric_samples_series_ts;
