-- grain: deletes, within one app snapshot, every account row whose id came earlier in the pull
-- (a lower raw_seq, or the same page and a lower raw_index): one row per account id remains, the
-- first copy received. Run at the end of a pull that received an id more than once.
-- Parameters: $snapshot_id.
DELETE FROM account AS later
WHERE later.snapshot_id = $snapshot_id
  AND EXISTS (
      SELECT 1
      FROM account AS earlier
      WHERE earlier.snapshot_id = later.snapshot_id
        AND earlier.account_id = later.account_id
        AND (earlier.raw_seq, earlier.raw_index) < (later.raw_seq, later.raw_index)
  )
