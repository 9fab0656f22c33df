-- Learning across deploys (docs/insights.md).

-- GET /v1/insights/delivery reads deploys by start time: deploys_by_started (0003) serves the
-- window alone, deploys_by_service_started (0001) a service filter, this one a team filter.
CREATE INDEX deploys_by_team_started ON deploys (team, started_at) WHERE team IS NOT NULL;

-- Follow-up effectiveness: the verdict on a done item that changed a gate (`verified_effective`
-- or `regressed`), the deploy that decided it, and when the item was last checked. The verdict
-- is set once, in the transaction that enqueues its event, only while it is NULL.
ALTER TABLE action_items ADD COLUMN follow_up text CHECK (follow_up IN ('verified_effective', 'regressed'));
ALTER TABLE action_items ADD COLUMN follow_up_deploy_id text;
ALTER TABLE action_items ADD COLUMN follow_up_checked_at timestamptz;
CREATE INDEX action_items_follow_up_pending ON action_items (follow_up_checked_at NULLS FIRST, action_item_id)
    WHERE status = 'done' AND follow_up IS NULL AND gate IN ('canary', 'soak');
