-- Convergence across replicas (docs/architecture.md, "Concurrency and convergence").
-- Ingest transactions only store what arrived and enqueue the work it implies; attribution
-- and analysis run in a separate step serialized across replicas, which reads only committed
-- data. Every enqueued row is committed with the data it describes and deleted only by a step
-- that sees that data, so the last step for a deploy always analyzes all of its events.
CREATE TABLE analysis_queue (
    seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Deploys whose own events (deployId set) changed.
    deploy_ids          text[] NOT NULL DEFAULT '{}',
    -- Metric points stored: per service and environment, the time range they span.
    metric_services     text[] NOT NULL DEFAULT '{}',
    metric_environments text[] NOT NULL DEFAULT '{}',
    metric_first        timestamptz[] NOT NULL DEFAULT '{}',
    metric_last         timestamptz[] NOT NULL DEFAULT '{}',
    enqueued_at         timestamptz NOT NULL DEFAULT now()
);

-- Events without a deploy ID wait here until the analysis step attributes them (or finds no
-- deploy for them, leaving deploy_id NULL for a later deploy to claim).
ALTER TABLE deploy_events ADD COLUMN attribution_pending boolean NOT NULL DEFAULT false;
CREATE INDEX deploy_events_attribution_pending ON deploy_events (event_source, event_id) WHERE attribution_pending;

-- An action item the analysis no longer supports (its finding disappeared on re-analysis) is
-- cancelled by the service and marked superseded; it reopens if the finding comes back.
ALTER TABLE action_items ADD COLUMN superseded boolean NOT NULL DEFAULT false;
