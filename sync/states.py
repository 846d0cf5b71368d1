"""The states a stored record and a held conflict can be in, spelled once (the columns store these strings).

StrEnum members compare equal to their strings, so rows read back as plain strings still match them.
"""

from __future__ import annotations

import enum


class ReviewState(enum.StrEnum):
    SUBMITTED = "submitted"  # awaiting a manager's sign-off
    RETURNED = "returned"  # sent back to the worker for correction
    SIGNED_OFF = "signed_off"


class ConflictState(enum.StrEnum):
    NONE = "none"
    SOFT = "soft"  # merged field by field; support staff confirm or change the merge
    HARD = "hard"  # the same field changed on two devices; held whole until support staff choose


class ConflictKind(enum.StrEnum):
    SOFT = "soft"
    HARD = "hard"


class RevisionKind(enum.StrEnum):
    DEVICE = "device"  # written on a device
    MERGE = "merge"  # a soft conflict's field-by-field merge
    RESOLUTION = "resolution"  # support staff's choice for a conflict
    AMENDMENT = "amendment"  # a change to a returned or signed-off record: back to awaiting sign-off


# A manager may still sign off a record they returned.
REVIEWABLE = frozenset({ReviewState.SUBMITTED, ReviewState.RETURNED})
# Once returned or signed off, a change from a device is an amendment (and goes back to awaiting sign-off).
AMENDABLE = frozenset({ReviewState.RETURNED, ReviewState.SIGNED_OFF})
