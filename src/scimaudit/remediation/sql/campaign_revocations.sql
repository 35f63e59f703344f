-- grain: one row per campaign item whose current decision is "revoke", with whether that decision is
-- final (its reviewer has signed off, or the campaign is closed; until then a reviewer may change it).
SELECT
    i.campaign_id,
    i.item_id,
    i.app,
    i.account_id,
    i.user_name,
    i.entitlement AS group_name,
    i.group_id,
    d.reason,
    d.actor AS decided_by,
    (cl.campaign_id IS NOT NULL OR so.reviewer_id IS NOT NULL) AS final
FROM campaign_item AS i
JOIN campaign_decision_current AS d
    ON d.campaign_id = i.campaign_id AND d.item_id = i.item_id
JOIN campaign_item_reviewer AS r
    ON r.campaign_id = i.campaign_id AND r.item_id = i.item_id
LEFT JOIN campaign_closed AS cl
    ON cl.campaign_id = i.campaign_id
LEFT JOIN campaign_signoff AS so
    ON so.campaign_id = i.campaign_id AND so.reviewer_id = r.reviewer_id
WHERE i.campaign_id = $campaign_id
  AND d.decision = 'revoke'
ORDER BY i.item_id
