-- Gate replay (issue #15).
-- The healthy history of a failed deploy's gate replay: the most recent succeeded deploys of
-- its service and environment that started before it, newest first, page by page (keyset on
-- started_at, deploy_id). Deploy IDs in byte order, as the service compares them (code point
-- order, like `analyze`), whatever the database's collation.
CREATE INDEX deploys_succeeded_by_service_started
    ON deploys (service, environment, started_at DESC, deploy_id COLLATE "C" DESC)
    WHERE outcome = 'succeeded';

-- The gate change an action item proposes, with its evidence (ActionProposal.json): kept so
-- that the item's lifecycle events carry it, and re-analysis revises it when its figures change.
ALTER TABLE action_items ADD COLUMN proposal jsonb;
