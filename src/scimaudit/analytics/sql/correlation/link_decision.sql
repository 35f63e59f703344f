-- grain: one row per account k that some strong rule (externalId, employeeNumber, email) matched
-- to at least one person: the deciding (best) priority and the lowest and highest person pidx
-- matched at that priority (equal when exactly one person matched), whether the lowest was matched
-- exactly (same address before normalisation), and the lowest/highest pidx matched by any rule
-- (to notice rules that disagree). Encoded as integers so one hash aggregate decides 2M accounts:
--   lo = min(priority * 2^33 + pidx * 2 + not_exact), hi = max(pidx - priority * 2^33).
WITH matched AS (
    SELECT
        a.k,
        h.pidx,
        c.priority * 10 + h.sub AS priority,
        CASE WHEN a.raw IS NOT DISTINCT FROM h.raw THEN 0 ELSE 1 END AS not_exact
    FROM account_key AS a
    JOIN hr_key AS h ON h.rule = a.rule AND h.key = a.key
    JOIN cfg_rule AS c ON c.rule = a.rule
),
packed AS (
    SELECT
        k,
        min(priority * 8589934592 + pidx * 2 + not_exact) AS lo,
        max(pidx - priority * 8589934592) AS hi,
        min(pidx) AS any_lo,
        max(pidx) AS any_hi
    FROM matched
    GROUP BY k
)
SELECT
    k,
    lo // 8589934592 AS priority,
    (lo % 8589934592) // 2 AS pidx_lo,
    hi + (lo // 8589934592) * 8589934592 AS pidx_hi,
    lo % 2 = 0 AS exact,
    any_lo,
    any_hi
FROM packed
