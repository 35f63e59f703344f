-- grain: one row per (app snapshot, person pidx) with two or more active accounts linked to the
-- person in that app: the duplicate_account candidates, and the only people whose groups can be
-- counted twice when peers are counted (role drift)
SELECT snapshot_id, pidx, count(*) AS accounts
FROM link
WHERE active AND account_type = 'human'
GROUP BY snapshot_id, pidx
HAVING count(*) > 1
