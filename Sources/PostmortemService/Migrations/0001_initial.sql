-- deploy-postmortem schema, version 1 (DESIGN.md §5). All timestamps are timestamptz, UTC.

-- One row per deploy, keyed by the pipeline's deploy ID. Rows may be created by any event
-- of the deploy (a rollback can arrive before deploy.started), so descriptive columns are nullable.
CREATE TABLE deploys (
    deploy_id        text PRIMARY KEY,
    service          text,
    environment      text,
    artifact_name    text,
    artifact_version text,
    artifact_digest  text,
    artifact_purl    text,
    commit_sha       text,
    team             text,
    owner            text,
    pipeline_url     text,
    started_at       timestamptz,
    finished_at      timestamptz,
    outcome          text CHECK (outcome IN ('succeeded', 'failed')),
    timeline         jsonb NOT NULL DEFAULT '{}',
    gate_results     jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Attribution of events without a deploy ID: latest deploy of a service/environment, or by artifact.
CREATE INDEX deploys_by_service_started ON deploys (service, environment, started_at DESC);
CREATE INDEX deploys_by_artifact ON deploys (artifact_name, artifact_version);

-- Every accepted input event, once: (source, id) identifies a CloudEvent, so redeliveries
-- and replays are no-ops. No foreign key to deploys: events may precede their deploy.
CREATE TABLE deploy_events (
    event_source    text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    deploy_id       text,
    service         text,
    environment     text,
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    payload         jsonb NOT NULL,
    headers         jsonb NOT NULL DEFAULT '{}',
    -- Artifact, CDEvents chain and linked context IDs: how a deploy claims this event later.
    attribution_keys text[] NOT NULL DEFAULT '{}',
    kafka_topic     text,
    kafka_partition integer,
    kafka_offset    bigint,
    PRIMARY KEY (event_source, event_id)
);
CREATE INDEX deploy_events_by_deploy ON deploy_events (deploy_id, occurred_at);
CREATE INDEX deploy_events_unattributed ON deploy_events (service, environment, occurred_at)
    WHERE deploy_id IS NULL;
CREATE INDEX deploy_events_unattributed_keys ON deploy_events USING gin (attribution_keys)
    WHERE deploy_id IS NULL;

-- Metric points, partitioned by time so retention drops whole partitions. The unique index
-- makes re-delivered points no-ops and serves per-series time-window scans
-- (service, environment, metric, ts range).
CREATE TABLE metric_samples (
    service     text NOT NULL,
    environment text NOT NULL,
    metric      text NOT NULL,
    ts          timestamptz NOT NULL,
    value       double precision NOT NULL,
    labels      jsonb NOT NULL DEFAULT '{}',
    unit        text,
    slo_threshold double precision,
    slo_direction text CHECK (slo_direction IN ('above', 'below'))
) PARTITION BY RANGE (ts);
CREATE UNIQUE INDEX metric_samples_series_ts ON metric_samples (service, environment, metric, ts, labels);
CREATE TABLE metric_samples_default PARTITION OF metric_samples DEFAULT;

-- Creates the monthly partition holding `month` (idempotent). The service calls it ahead of
-- time; rows outside every monthly partition land in metric_samples_default.
CREATE FUNCTION create_metric_samples_partition(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    partition_name text := 'metric_samples_' || to_char(first_day, 'YYYY_MM');
BEGIN
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF metric_samples FOR VALUES FROM (%L) TO (%L)',
        partition_name, first_day::timestamp AT TIME ZONE 'UTC',
        (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    RETURN partition_name;
END;
$$;

-- Exactly one postmortem per deploy (unique deploy_id); later triggers merge into it.
CREATE TABLE postmortems (
    postmortem_id        uuid PRIMARY KEY,
    deploy_id            text NOT NULL UNIQUE,
    service              text NOT NULL,
    environment          text NOT NULL,
    artifact             jsonb NOT NULL DEFAULT '{}',
    triggers             text[] NOT NULL,
    severity             text NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    rolled_back_at       timestamptz,
    contributing_metrics jsonb NOT NULL DEFAULT '[]',
    findings             jsonb NOT NULL DEFAULT '[]',
    document             jsonb NOT NULL DEFAULT '{}',
    analysis_digest      text NOT NULL DEFAULT '',
    version              integer NOT NULL DEFAULT 1,
    opened_at            timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    closed_at            timestamptz
);
CREATE INDEX postmortems_by_service_opened ON postmortems (service, environment, opened_at DESC);
CREATE INDEX postmortems_by_status_opened ON postmortems (status, opened_at DESC);

-- One action item per (postmortem, finding): re-analysis never duplicates an item.
-- `version` is the ETag; `overdue_reported_for` records the due date an overdue event was
-- emitted for, so each item is reported overdue once per due date.
CREATE TABLE action_items (
    action_item_id       uuid PRIMARY KEY,
    postmortem_id        uuid NOT NULL REFERENCES postmortems (postmortem_id) ON DELETE CASCADE,
    finding_key          text NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('test', 'process', 'tooling', 'documentation')),
    gate                 text NOT NULL CHECK (gate IN ('ci', 'canary', 'soak', 'rollback', 'process')),
    title                text NOT NULL,
    description          text NOT NULL,
    owner                text,
    due_at               timestamptz,
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
    evidence_url         text,
    history              jsonb NOT NULL DEFAULT '[]',
    version              integer NOT NULL DEFAULT 1,
    overdue_reported_for timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (postmortem_id, finding_key)
);
CREATE INDEX action_items_by_owner_status ON action_items (owner, status);
CREATE INDEX action_items_open_by_due ON action_items (due_at) WHERE status IN ('open', 'in_progress');

-- Transactional outbox: events are inserted with the state change that caused them and
-- published in `seq` order by the single active relay. `event_id` is the CloudEvents id, so
-- writing the same event twice is a no-op and a re-send carries the same id.
CREATE TABLE outbox (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     text NOT NULL UNIQUE,
    topic        text NOT NULL,
    message_key  text NOT NULL,
    payload      text NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;

-- Wake the relay (LISTEN outbox) when a transaction that wrote events commits.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
