"""The framework-free sync engine: protocol, apply_push(), pull(), merge3(), scope. No Flask imports here.

It works on a SQLAlchemy Session handed in by the caller and never commits: the caller's request
(or script) owns the transaction.
"""

from .crypto import BodyCipher, BodyDecryptError
from .merge import MergeResult, merge3
from .protocol import FieldError, OpResult, OpStatus, PulledRecord, PullPage, PushOp
from .pull import PullWindow, history, pull
from .push import PushContext, apply_push
from .resolve import ResolutionError, StaleResolution, confirm_soft, resolve_conflict
from .scope import scope_hash, worker_children, worker_scope, writable_children

__all__ = [
    "BodyCipher",
    "BodyDecryptError",
    "FieldError",
    "MergeResult",
    "OpResult",
    "OpStatus",
    "PullPage",
    "PulledRecord",
    "PullWindow",
    "PushContext",
    "PushOp",
    "ResolutionError",
    "StaleResolution",
    "apply_push",
    "confirm_soft",
    "history",
    "merge3",
    "pull",
    "resolve_conflict",
    "scope_hash",
    "worker_children",
    "worker_scope",
    "writable_children",
]
