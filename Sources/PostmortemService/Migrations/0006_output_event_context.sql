-- What output events carry besides the postmortem (docs/events/README.md, "Output envelope").

-- The W3C trace context an input event carried (its CloudEvents `traceparent` attribute, else
-- its `traceparent` header), validated; NULL when it carried none or a malformed one. Output
-- events of the deploy continue the trace of its latest event that has one.
ALTER TABLE deploy_events ADD COLUMN traceparent text;

-- The number of the item's latest output event (`version` in action-item events): 1 for
-- `created`, one more with each later event, so consumers can drop stale updates. Items that
-- exist already count the events they had: created, each recorded change, the latest overdue.
ALTER TABLE action_items ADD COLUMN event_version integer NOT NULL DEFAULT 0;
UPDATE action_items SET event_version = 1 + jsonb_array_length(history) + (overdue_reported_for IS NOT NULL)::int;
