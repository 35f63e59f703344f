-- Migration 007: the person layer. HR exports that keep a rehired person's old Terminated row next
-- to the new Active one may also say which earlier employee id a row continues
-- (previous_employee_id, optional in [hr.columns]); the analysis joins such rows (and rows sharing
-- a work email, rehired after the earlier one ended) into one person with an employment history.
--
-- Leavers still inside the deprovisioning SLA are not findings (not yet a control exception): each
-- analysis run records them here, with their deadline, so they stay visible without being counted.

ALTER TABLE employee ADD COLUMN previous_employee_id VARCHAR;

-- grain: one row per active account per analysis run whose linked person left but whose
-- deprovisioning deadline (termination date 00:00 UTC + policy.deprovision_sla_hours) was still
-- ahead when the app snapshot was collected
CREATE TABLE deprovision_pending (
    run_id            BIGINT NOT NULL,
    snapshot_id       BIGINT NOT NULL,        -- the app snapshot that saw the account active
    app               VARCHAR NOT NULL,
    account_id        VARCHAR NOT NULL,
    user_name         VARCHAR,
    employee_id       VARCHAR NOT NULL,
    person            VARCHAR,
    termination_date  DATE NOT NULL,
    collected_at      TIMESTAMPTZ NOT NULL,   -- snapshot.as_of: when the account was seen active
    deadline          TIMESTAMPTZ NOT NULL,   -- past this, the account is a terminated_active finding
    reason            VARCHAR NOT NULL
);
