"""Column types shared by the models (defined in sync/ so the framework-free engine can use them too)."""

from sync.types import UTCDateTime, UUIDString, new_uuid, utcnow

__all__ = ["UTCDateTime", "UUIDString", "new_uuid", "utcnow"]
