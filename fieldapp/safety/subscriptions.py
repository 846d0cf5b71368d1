"""Push subscriptions: add, refresh and remove a user's browser endpoints under the endpoint policy. Flush only."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import PushSubscription, User
from .endpoints import EndpointRefused, check_endpoint
from .sessions import SafetyError


def subscription_fields(body: dict) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from a PushSubscription.toJSON() body, or SafetyError."""
    keys, endpoint = body.get("keys"), body.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > 1024 or not isinstance(keys, dict):
        raise SafetyError("A push subscription needs an endpoint URL and keys {p256dh, auth}.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(p256dh, str) and isinstance(auth, str) and 0 < len(p256dh) <= 200 and 0 < len(auth) <= 64):
        raise SafetyError("A push subscription needs keys {p256dh, auth}.")
    return endpoint, p256dh, auth


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, device_id: str | None) -> PushSubscription:
    """Register (or refresh) this browser's subscription for `user`. Refuses bad endpoints, takeovers, hoarding."""
    try:
        check_endpoint(endpoint, current_app.config)
    except EndpointRefused as error:
        raise SafetyError(f"This push subscription cannot be used: {error}.", 400, "endpoint_refused") from None
    subscription = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is not None and subscription.user_id != user.id:
        # An endpoint is one browser's secret; someone else presenting it is not allowed to take its alerts over.
        raise SafetyError("This push endpoint is registered to another account.", 409, "endpoint_taken")
    if subscription is None:
        limit = current_app.config.get("PUSH_MAX_SUBSCRIPTIONS_PER_USER", 5)
        count = db.session.scalar(
            select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user.id)
        )
        if count >= limit:
            raise SafetyError(
                f"You already receive alerts on {count} devices (the most allowed): turn alerts off "
                "on one you no longer use first.",
                409,
                "too_many_subscriptions",
            )
        subscription = PushSubscription(endpoint=endpoint, user_id=user.id)
        db.session.add(subscription)
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.device_id = (device_id or "")[:64] or None
    db.session.flush()
    return subscription


def unsubscribe(user: User, endpoint: str) -> None:
    db.session.execute(
        db.delete(PushSubscription).where(PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)
    )
