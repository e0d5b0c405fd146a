"""core.delivery: when notification attempts are due and which answers count (spec 9.2, D-03)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openseqr.core.delivery import SCHEDULE, is_delivered, is_retryable, next_attempt_at

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def offset(attempts_made: int, max_attempts: int = 100) -> float | None:
    due = next_attempt_at(T0, attempts_made, max_attempts)
    return None if due is None else (due - T0).total_seconds()


def test_first_attempt_is_immediate_then_the_schedule() -> None:
    assert [offset(n) for n in range(len(SCHEDULE))] == [0.0, 1.0, 3.0, 7.0, 15.0]


def test_default_retries_fit_in_the_acknowledgement_window() -> None:
    # Terminal default: 3 retries after the first attempt (records.Terminal.notify_retries).
    assert all(offset(n, 4) < 20 for n in range(4))  # type: ignore[operator]


def test_beyond_the_schedule_ten_more_seconds_per_attempt() -> None:
    assert [offset(n) for n in (5, 6, 7)] == [25.0, 35.0, 45.0]


@pytest.mark.parametrize(("made", "limit"), [(1, 1), (4, 4), (5, 3), (0, 0)])
def test_no_attempt_once_the_budget_is_spent(made: int, limit: int) -> None:
    assert next_attempt_at(T0, made, limit) is None


def test_fire_and_forget_terminal_gets_exactly_one_attempt() -> None:  # notify_retries=0
    assert next_attempt_at(T0, 0, 1) == T0
    assert next_attempt_at(T0, 1, 1) is None


def test_due_time_keeps_the_creation_zone() -> None:
    created = datetime(2026, 1, 15, 13, 0, tzinfo=UTC) + timedelta(microseconds=7)
    assert next_attempt_at(created, 2, 5) == created + timedelta(seconds=3)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_prompt_failure_keeps_the_schedule() -> None:
    assert next_attempt_at(T0, 1, 4, failed_at=at(0.01)) == at(1.01)
    assert next_attempt_at(T0, 2, 4, failed_at=at(1.0)) == at(3)
    assert next_attempt_at(T0, 3, 4, failed_at=at(3.0)) == at(7)


@pytest.mark.parametrize(
    ("made", "failed", "due"),
    [
        (1, 0.6, 1.6),  # attempt 1 took 0.6 s: retry 1 s after its failure, not at +1 s
        (1, 5.0, 6.0),  # attempt 1 timed out at +5 s: not immediately after the timeout
        (2, 6.5, 8.5),  # the gap before attempt 3 is 2 s
        (3, 11.0, 15.0),  # … and 4 s before attempt 4
        (5, 30.0, 40.0),  # beyond the schedule: 10 s
    ],
)
def test_a_slow_failure_does_not_shorten_the_pause_before_the_retry(
    made: int, failed: float, due: float
) -> None:
    assert next_attempt_at(T0, made, 100, failed_at=at(failed)) == at(due)


def test_an_early_failure_does_not_pull_the_retry_before_its_slot() -> None:
    # a redelivered or early attempt failing at +0.2 s: attempt 3 stays at +3 s
    assert next_attempt_at(T0, 2, 4, failed_at=at(0.2)) == at(3)


def test_no_retry_after_the_last_attempt_however_it_failed() -> None:
    assert next_attempt_at(T0, 4, 4, failed_at=at(9)) is None


@pytest.mark.parametrize(
    ("status", "delivered"),
    [
        (None, False),
        (199, False),
        (200, True),
        (204, True),
        (299, True),
        (300, False),
        (500, False),
    ],
)
def test_only_2xx_is_delivered(status: int | None, delivered: bool) -> None:
    assert is_delivered(status) is delivered


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (None, True),  # connection refused, reset, timed out
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (499, False),
        (301, False),
    ],
)
def test_which_failures_are_worth_retrying(status: int | None, retry: bool) -> None:
    assert is_retryable(status) is retry
