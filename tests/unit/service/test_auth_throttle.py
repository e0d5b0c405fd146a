"""The failed-login throttle (A-29): per address, per principal, and known addresses.

Time is passed in explicitly (`now`), so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio

import pytest

from openseqr.core import errors
from openseqr.service.auth import source_of
from openseqr.service.security import AuthLimits, AuthThrottle, KdfPool, hash_secret

LIMITS = AuthLimits(source_free=10, principal_free=3, pair_free=3, base_wait=1, max_wait=60)


def fail(t: AuthThrottle, source: str, principal: str, times: int, now: float = 0.0) -> None:
    for _ in range(times):
        if t.refusal(source, principal, now) is None:
            t.failed(source, principal, now)


def test_a_known_address_keeps_working_while_its_principal_is_attacked() -> None:
    t = AuthThrottle(LIMITS)
    t.succeeded("till", "T:1", now=0)
    fail(t, "attacker", "T:1", 20)
    assert t.refusal("attacker", "T:1", now=0.5) is not None
    assert t.refusal("stranger", "T:1", now=0.5) is not None  # unknown address: closed
    assert t.refusal("till", "T:1", now=0.5) is None


def test_an_address_that_fails_too_often_is_refused_for_every_principal() -> None:
    t = AuthThrottle(LIMITS)
    for i in range(12):
        fail(t, "attacker", f"T:{i}", 1)
    assert t.refusal("attacker", "T:new", now=0.5) is not None
    assert t.refusal("elsewhere", "T:new", now=0.5) is None


def test_a_known_address_still_meets_its_own_limit() -> None:
    t = AuthThrottle(LIMITS)
    t.succeeded("shop", "T:1", now=0)
    fail(t, "shop", "T:1", 3)
    assert t.refusal("shop", "T:1", now=0.5) is not None


def test_waits_double_then_end_and_failures_are_forgotten() -> None:
    t = AuthThrottle(LIMITS)
    fail(t, "a", "T:1", 3, now=0)  # third failure: wait 1 s
    assert t.refusal("a", "T:1", now=1.5) is None
    t.failed("a", "T:1", now=1.5)  # fourth: 2 s
    assert t.refusal("b", "T:1", now=3.0) is not None
    assert t.refusal("b", "T:1", now=10_000) is None


def test_an_address_that_keeps_knocking_stays_refused() -> None:
    t = AuthThrottle(LIMITS)
    for i in range(10):
        fail(t, "a", f"T:{i}", 1, now=0)  # the address's tenth failure: wait 1 s
    for i in range(10):
        assert t.refusal("a", "T:x", now=0.5 + i * 0.1) is not None
    assert t.refusal("a", "T:x", now=2.0) is not None  # the refusals lengthened the wait


def test_the_owner_knocking_does_not_lengthen_the_principal_wait() -> None:
    t = AuthThrottle(LIMITS)
    fail(t, "a", "T:1", 3, now=0)  # the pair and the principal wait 1 s
    for i in range(5):
        assert t.refusal("a", "T:1", now=0.5 + i * 0.1) is not None
    assert t.refusal("a", "T:1", now=1.5) is None


def test_a_long_siege_never_overflows_the_wait() -> None:
    t = AuthThrottle(LIMITS)
    for i in range(3000):
        t.failed("a", "T:1", now=float(i) / 1000)
    assert t.refusal("a", "T:1", now=3.0) is not None


@pytest.mark.parametrize(
    "host, expected",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "local"),
    ],
)
def test_sources_group_an_ipv6_subscriber(host: str | None, expected: str) -> None:
    assert source_of(host) == expected


def test_the_kdf_pool_checks_off_the_loop_and_refuses_beyond_its_queue() -> None:
    stored = hash_secret("right")
    pool = KdfPool(threads=1, queue=0)

    async def main() -> tuple[bool, bool, BaseException | bool]:
        first = asyncio.ensure_future(pool.check(stored, "right"))
        await asyncio.sleep(0)  # the first check now holds the only place
        second = await asyncio.gather(pool.check(stored, "wrong"), return_exceptions=True)
        return await first, await pool.check(stored, "\ud800"), second[0]

    right, surrogate, overflow = asyncio.run(main())
    assert right is True
    assert surrogate is False  # a lone surrogate is a wrong password, not an exception
    assert isinstance(overflow, errors.Busy)
