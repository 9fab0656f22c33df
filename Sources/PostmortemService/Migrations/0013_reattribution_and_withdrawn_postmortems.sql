-- Attribution is re-derived (docs/architecture.md §6.2): each analysis step reads the events of
-- the lines it touches that carry no deploy ID of their own ("movable": their deploy is the one
-- the attribution rules pick, and may change when a deploy of the line appears later), decides
-- their deploy with the rules of PostmortemCore, and moves those whose deploy changed.
--
-- Rows stored before this migration (and rows written without the column) are marked movable:
-- the step decodes every row it reads and leaves an event that names its own deploy where it
-- is, so the mark only narrows what it reads, never what it decides.
ALTER TABLE deploy_events ADD COLUMN movable boolean NOT NULL DEFAULT true;
-- The events of a line within the attribution window after a deploy's start.
CREATE INDEX deploy_events_movable_by_line ON deploy_events (service, environment, occurred_at) WHERE movable;

-- A deploy whose last trigger moved to another deploy keeps its postmortem, withdrawn.
ALTER TABLE postmortems DROP CONSTRAINT postmortems_status_check;
ALTER TABLE postmortems ADD CONSTRAINT postmortems_status_check CHECK (status IN ('open', 'closed', 'withdrawn'));
