-- Reads serve the stored document (issue #13): the Markdown of a postmortem is rendered from
-- it, so the document now carries the timeline and each trigger's time. Documents stored
-- before lack them: queue their deploys for analysis, which stores each document again from
-- the deploy's events (kept while it has a postmortem) and publishes `postmortem.updated`.
-- Until then their Markdown read fails with 500 naming the missing member; JSON reads serve
-- them as they are.
INSERT INTO analysis_queue (deploy_ids)
SELECT array_agg(deploy_id ORDER BY deploy_id) FROM postmortems
WHERE NOT (document ? 'timeline' AND document ? 'triggeredAt')
HAVING count(*) > 0;
