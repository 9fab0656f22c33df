-- Keyset pagination of the API's listings (docs/architecture.md §5): a page is read along an
-- index in listing order, LIMIT rows deep, instead of sorting every row on each request.
-- GET /v1/postmortems: newest first by opening time, then ID.
CREATE INDEX postmortems_by_opened ON postmortems (opened_at DESC, postmortem_id DESC);
-- GET /v1/action-items: by due date, then ID.
CREATE INDEX action_items_by_due ON action_items (due_at, action_item_id);
