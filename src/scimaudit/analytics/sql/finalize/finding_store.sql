-- grain: one row per finding of this run, as stored in the finding table: finding_run unchanged.
-- (finalize/finding.sql computes the rows into the temp table finding_run first: the history
-- MERGE reads them there, because in DuckDB 2.0 a MERGE fed from a table the same transaction has
-- just appended to runs ten times slower, 1.5 s instead of 0.15 s at 293k findings.)
SELECT * FROM finding_run
