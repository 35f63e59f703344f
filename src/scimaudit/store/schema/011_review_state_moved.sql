-- Migration 011: review workflow state (campaigns, frozen items, the hash-chained review log)
-- moves to the SQLite review store beside this file (see scimaudit.store.review_state), so that
-- hundreds of reviewers' small writes never take DuckDB's one-process file lock from `collect` and
-- `analyze`. Connections get read-only temp views of that state under the old names. Tables of
-- campaigns made before this migration are kept, renamed, as evidence (legacy_*; not migrated).
DROP VIEW IF EXISTS campaign_closed;
DROP VIEW IF EXISTS campaign_signoff;
DROP VIEW IF EXISTS campaign_decision_current;
DROP VIEW IF EXISTS campaign_item_reviewer;
ALTER TABLE review_log RENAME TO legacy_review_log;
ALTER TABLE campaign_item RENAME TO legacy_campaign_item;
ALTER TABLE campaign RENAME TO legacy_campaign;
