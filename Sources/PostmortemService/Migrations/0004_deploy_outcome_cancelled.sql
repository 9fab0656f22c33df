-- A CDEvents pipelinerun.finished with outcome "cancel" (or deploy.finished "cancelled") is a
-- cancelled deploy, not a failed one (docs/architecture.md §6.3): allow it in deploys.outcome.
ALTER TABLE deploys DROP CONSTRAINT deploys_outcome_check;
ALTER TABLE deploys ADD CONSTRAINT deploys_outcome_check CHECK (outcome IN ('succeeded', 'failed', 'cancelled'));
