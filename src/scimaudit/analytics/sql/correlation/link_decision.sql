-- grain: one row per account k that some strong rule (externalId, employeeNumber, email) matched
-- to at least one person: the deciding (best) priority and the lowest and highest person pidx
-- matched at that priority (equal when exactly one person matched), whether the lowest was matched
-- exactly (same address before normalisation), and the lowest/highest pidx matched by any rule
-- (to notice rules that disagree), and the person whose earlier employment's id the account
-- carries, if any (stale = pidx * 2 + rule_no of externalId 0 / employeeNumber 1; hr_key sub 2).
-- Encoded as integers so one hash aggregate decides 2M accounts:
--   lo = min(priority * 2^33 + pidx * 2 + not_exact), hi = max(pidx - priority * 2^33).
-- (hr_key already carries the priority, and has rows only for enabled rules.)
WITH packed AS (
    SELECT
        a.k,
        min(h.priority * 8589934592 + h.pidx * 2
            + CASE WHEN a.raw IS NOT DISTINCT FROM h.raw THEN 0 ELSE 1 END) AS lo,
        max(h.pidx - h.priority * 8589934592) AS hi,
        min(h.pidx) AS any_lo,
        max(h.pidx) AS any_hi,
        min(CASE WHEN h.priority % 10 = 2 THEN h.pidx * 2 + a.rule_no END) AS stale
    FROM account_key AS a
    JOIN hr_key AS h ON h.rule_no = a.rule_no AND h.key = a.key
    GROUP BY a.k
)
SELECT
    k,
    lo // 8589934592 AS priority,
    (lo % 8589934592) // 2 AS pidx_lo,
    hi + (lo // 8589934592) * 8589934592 AS pidx_hi,
    lo % 2 = 0 AS exact,
    any_lo,
    any_hi,
    stale
FROM packed
