"""Closed-loop remediation: revocations reach the apps through SCIM, and are verified gone.

``make_plan`` → (review the plan and its SHA-256) → ``apply_plan`` (dry run, then
``execute=True``) → ``verify_plan``; ``operation_status`` tells where each requested revocation
stands.
"""

from scimaudit.remediation.apply import ApplySummary, OperationResult, apply_plan
from scimaudit.remediation.ledger import verify_log
from scimaudit.remediation.model import Plan, PlanOperation
from scimaudit.remediation.plan import make_plan
from scimaudit.remediation.plan_store import list_plans, load_plan
from scimaudit.remediation.status import OperationStatus, operation_status
from scimaudit.remediation.verify import VerifySummary, verify_plan

__all__ = [
    "ApplySummary",
    "OperationResult",
    "OperationStatus",
    "Plan",
    "PlanOperation",
    "VerifySummary",
    "apply_plan",
    "list_plans",
    "load_plan",
    "make_plan",
    "operation_status",
    "verify_log",
    "verify_plan",
]
