"""All models, importable from one place (Alembic and the app both need the full set)."""

from .audit import AuditEvent, AuditIsAppendOnly
from .cases import LEGAL_STATUS_LABELS, Allocation, Child, LegalStatus
from .delivery import ExportJob, ExportState
from .devices import Device
from .drafts import UnfinishedDraft
from .grants import RoleGrant
from .oidc import OidcGrant
from .people import Role, Team, User
from .reviews import NoticeKind, Notification, RecordReview, ReviewDecision, ReviewIsAppendOnly
from .safety import (
    PRIORITY_ALERT_KINDS,
    AlertKind,
    EscalationPolicy,
    EscalatorHeartbeat,
    EscalatorOutage,
    PanicPress,
    PushSubscription,
    SafetyAlert,
    SafetyDelivery,
    SafetyEvent,
    SafetyProfile,
    SafetySession,
    SessionState,
)
from .second_factor import RecoveryCode, TotpFactor
from .types import utcnow
from .visit_facts import child_visit_facts, seen_visit_facts

__all__ = [
    "AuditEvent",
    "AuditIsAppendOnly",
    "Allocation",
    "Child",
    "Device",
    "LegalStatus",
    "LEGAL_STATUS_LABELS",
    "OidcGrant",
    "Role",
    "RoleGrant",
    "Team",
    "User",
    "utcnow",
    "ExportJob",
    "ExportState",
    "AlertKind",
    "PRIORITY_ALERT_KINDS",
    "EscalationPolicy",
    "EscalatorHeartbeat",
    "EscalatorOutage",
    "PanicPress",
    "PushSubscription",
    "SafetyAlert",
    "SafetyDelivery",
    "SafetyEvent",
    "SafetyProfile",
    "SafetySession",
    "SessionState",
    "NoticeKind",
    "Notification",
    "RecordReview",
    "ReviewDecision",
    "ReviewIsAppendOnly",
    "UnfinishedDraft",
    "RecoveryCode",
    "TotpFactor",
    "child_visit_facts",
    "seen_visit_facts",
]
