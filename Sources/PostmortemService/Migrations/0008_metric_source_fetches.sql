-- Progress of the Prometheus metric source (docs/operations.md, "Prometheus as a metric
-- source"): per deploy with a postmortem and per configured metric, how far its query_range has
-- been stored. A metric without a row is pending (the postmortem says so); `complete` once the
-- deploy's whole analysis span has been fetched. The points themselves go to metric_samples.
CREATE TABLE metric_source_fetches (
    deploy_id     text NOT NULL REFERENCES deploys (deploy_id) ON DELETE CASCADE,
    metric        text NOT NULL,
    fetched_until timestamptz NOT NULL,
    complete      boolean NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (deploy_id, metric)
);
