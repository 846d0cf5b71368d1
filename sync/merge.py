"""Per-field three-way merge of record bodies.

A record body is a JSON object; its top-level keys are the fields that merge independently (a
repeating group such as the danger statements is one field). Nothing is ever dropped: a field both
sides changed differently is a conflict, and the caller keeps the device version whole beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_MISSING = object()


@dataclass(frozen=True)
class MergeResult:
    merged: dict
    conflicting_fields: list[str] = field(default_factory=list)
    device_fields: list[str] = field(default_factory=list)  # fields taken from the device side
    server_fields: list[str] = field(default_factory=list)  # fields the server side had changed

    @property
    def is_hard(self) -> bool:
        return bool(self.conflicting_fields)


def merge3(base: dict, server: dict, device: dict) -> MergeResult:
    """Merge `device` into `server`, both edited from `base`.

    For each field: unchanged on both sides → base; changed on one side → that side; changed on both
    to the same value → that value; changed on both differently → conflict (the merged body keeps the
    server's value, the caller keeps the device body whole).
    """
    merged: dict = {}
    conflicting, from_device, from_server = [], [], []
    for key in sorted(set(base) | set(server) | set(device)):
        b, s, d = base.get(key, _MISSING), server.get(key, _MISSING), device.get(key, _MISSING)
        server_changed, device_changed = s != b, d != b
        if device_changed and server_changed and s != d:
            conflicting.append(key)
            chosen = s
        elif device_changed:
            from_device.append(key)
            chosen = d
        else:
            if server_changed:
                from_server.append(key)
            chosen = s
        if chosen is not _MISSING:
            merged[key] = chosen
    return MergeResult(merged, conflicting, from_device, from_server)
