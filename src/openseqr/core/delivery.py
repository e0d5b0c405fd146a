"""Notification delivery policy as pure functions (spec 9.2; D-03 and the retry policy).

SEQR itself was fire-and-forget: one attempt. A terminal with `notify_retries=0` gets exactly
that. The default retries inside the 20 s acknowledgement window, so a merchant whose endpoint
blinked still hears about the payment in time to acknowledge it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

SCHEDULE = (0.0, 1.0, 3.0, 7.0, 15.0)  # seconds after the notification was created
LEASE_MARGIN = 5.0  # seconds a lease outlives the send timeout


def lease_until(now: datetime, send_timeout: float) -> datetime:
    """Until when a row taken by one relay (claimed, or handed over right after its commit)
    is nobody else's: longer than one send may take, so it is never sent twice at once."""
    return now + timedelta(seconds=send_timeout + LEASE_MARGIN)


def _offset(attempt_index: int) -> float:
    """Seconds after creation that attempt number `attempt_index + 1` is scheduled for."""
    offset = SCHEDULE[min(attempt_index, len(SCHEDULE) - 1)]
    if attempt_index >= len(SCHEDULE):
        offset += 10.0 * (attempt_index - len(SCHEDULE) + 1)
    return offset


def next_attempt_at(
    created_at: datetime,
    attempts_made: int,
    max_attempts: int,
    failed_at: datetime | None = None,
) -> datetime | None:
    """When the next attempt is due, or None when no attempt is left.

    `failed_at` is when the previous attempt's failure was seen. A slow or late attempt must
    not shorten the pause the schedule promises before the retry (the endpoint may be
    recovering), so the retry waits at least the schedule's gap after that moment, and never
    comes before its place in the schedule."""
    if attempts_made >= max_attempts:
        return None
    due = created_at + timedelta(seconds=_offset(attempts_made))
    if failed_at is not None and attempts_made > 0:
        gap = _offset(attempts_made) - _offset(attempts_made - 1)
        due = max(due, failed_at + timedelta(seconds=gap))
    return due


def is_delivered(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def is_retryable(status_code: int | None) -> bool:
    """Network errors (no status), timeouts, 408, 429 and 5xx may succeed later; other 4xx won't."""
    if status_code is None:
        return True
    return status_code in (408, 429) or status_code >= 500
