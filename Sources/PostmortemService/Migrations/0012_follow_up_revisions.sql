-- Follow-up verdicts as a function of the events (docs/insights.md, "Follow-up effectiveness").
-- A verdict is judged again whenever its inputs may have changed, whatever the order they came
-- in; a changed verdict is published again (a correction), the same verdict never twice.

-- The deciding regression, with the figures of the gate's check on the metric in that deploy,
-- how many verdict events were published (1 with the first, one more per correction), when the
-- current verdict was published, and which inputs the last judgement saw (NULL: judge again).
ALTER TABLE action_items ADD COLUMN follow_up_deploy_started_at timestamptz;
ALTER TABLE action_items ADD COLUMN follow_up_observed double precision;
ALTER TABLE action_items ADD COLUMN follow_up_threshold double precision;
ALTER TABLE action_items ADD COLUMN follow_up_missed_as text;
ALTER TABLE action_items ADD COLUMN follow_up_revision integer NOT NULL DEFAULT 0;
ALTER TABLE action_items ADD COLUMN follow_up_judged_at timestamptz;
ALTER TABLE action_items ADD COLUMN follow_up_judged_inputs bigint;
UPDATE action_items a SET follow_up_revision = 1, follow_up_judged_at = a.follow_up_checked_at,
    follow_up_deploy_started_at = (SELECT d.started_at FROM deploys d WHERE d.deploy_id = a.follow_up_deploy_id)
WHERE a.follow_up IS NOT NULL;

-- Per service and environment, how many analysis steps changed one of its deploys (their gate
-- results, outcome or postmortem): a done item's verdict is judged again when the count of its
-- postmortem's service and environment moved since its last judgement.
CREATE TABLE follow_up_inputs (
    service     text NOT NULL,
    environment text NOT NULL,
    changes     bigint NOT NULL,
    PRIMARY KEY (service, environment)
);

-- Items with a verdict are judged again too, not only those without one.
DROP INDEX action_items_follow_up_pending;
CREATE INDEX action_items_follow_up_done ON action_items (follow_up_checked_at NULLS FIRST, action_item_id)
    WHERE status = 'done' AND gate IN ('canary', 'soak');
-- Retention keeps the deploy a verdict cites: without it, judging again would lose the evidence.
CREATE INDEX action_items_follow_up_deploy ON action_items (follow_up_deploy_id) WHERE follow_up_deploy_id IS NOT NULL;
