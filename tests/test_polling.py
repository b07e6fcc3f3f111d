"""When each source is fetched next, and why (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator.polling import (
    Bounds,
    Hints,
    after_error,
    after_success,
    http_hints,
    publishing_interval,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BOUNDS = Bounds(floor=timedelta(minutes=1), ceiling=timedelta(hours=24))
MIN = timedelta(minutes=1)


def delay_of(at: datetime) -> timedelta:
    return at - NOW


def test_interval_with_jitter() -> None:
    for seed in range(50):
        upcoming = after_success(NOW, 15 * MIN, BOUNDS, rng=random.Random(seed))
        assert 13.5 * MIN <= delay_of(upcoming.at) <= 16.5 * MIN
        assert upcoming.reason == "interval 15m"


def test_jitter_spreads_sources_apart() -> None:
    times = {after_success(NOW, 15 * MIN, BOUNDS, rng=random.Random(s)).at for s in range(20)}
    assert len(times) == 20


@pytest.mark.parametrize(
    ("hints", "expected", "reason"),
    [
        (Hints(ttl=60 * MIN), 60 * MIN, "ttl 1h"),
        (Hints(update_period=120 * MIN), 120 * MIN, "sy:updatePeriod 2h"),
        (Hints(cache_max_age=30 * MIN, ttl=20 * MIN), 30 * MIN, "Cache-Control max-age 30m"),
        (Hints(ttl=5 * MIN), 15 * MIN, "interval 15m"),  # hints only ever raise the delay
        (Hints(ttl=timedelta(days=3)), timedelta(hours=24), "capped at the ceiling"),
    ],
)
def test_feed_hints_raise_the_delay_within_bounds(
    hints: Hints, expected: timedelta, reason: str
) -> None:
    upcoming = after_success(NOW, 15 * MIN, BOUNDS, hints, rng=random.Random(1))
    assert expected * 0.9 <= delay_of(upcoming.at) <= expected * 1.1
    assert reason in upcoming.reason


def test_floor_wins_over_a_tiny_interval() -> None:
    upcoming = after_success(NOW, timedelta(seconds=5), BOUNDS, rng=random.Random(1))
    assert delay_of(upcoming.at) >= MIN * 0.9
    assert "floor" in upcoming.reason


def test_cadence_adapts_polling() -> None:
    weekly = after_success(
        NOW, 6 * 60 * MIN, BOUNDS, cadence=timedelta(days=7), rng=random.Random(1)
    )
    hourly = after_success(
        NOW, 60 * MIN, BOUNDS, cadence=timedelta(minutes=20), rng=random.Random(1)
    )
    assert delay_of(weekly.at) > timedelta(hours=20)  # four times the interval, to the ceiling
    capped = after_success(NOW, 15 * MIN, BOUNDS, cadence=timedelta(days=7), rng=random.Random(1))
    assert delay_of(capped.at) <= 66 * MIN  # never more than 4x the configured interval
    assert "publishes every ~7d" in weekly.reason
    assert delay_of(hourly.at) < 30 * MIN
    assert "publishes every ~20m" in hourly.reason


def test_publishing_interval_is_the_median_gap() -> None:
    times = [NOW - timedelta(hours=h) for h in (0, 1, 2, 3, 30)]
    assert publishing_interval(times) == timedelta(hours=1)
    assert publishing_interval(times[:2]) is None


def test_errors_back_off_exponentially_up_to_the_ceiling() -> None:
    delays = [
        delay_of(after_error(NOW, 15 * MIN, BOUNDS, n, rng=random.Random(1)).at)
        for n in range(1, 12)
    ]
    assert delays[1] > delays[0] * 1.6 and delays[2] > delays[1] * 1.6
    assert max(delays) <= timedelta(hours=24) * 1.1
    assert after_error(NOW, 15 * MIN, BOUNDS, 3).reason.startswith("error #3: backoff 1h")


def test_retry_after_is_never_undercut() -> None:
    retry = NOW + timedelta(hours=5)
    upcoming = after_error(NOW, 15 * MIN, BOUNDS, 1, retry_at=retry)
    assert upcoming.at == retry and "Retry-After" in upcoming.reason


def test_http_hints() -> None:
    hints = http_hints("public, max-age=600", "Wed, 25 Nov 2026 13:00:00 GMT", NOW)
    assert hints.cache_max_age == timedelta(minutes=10)
    assert hints.expires_in == timedelta(hours=1)
    assert http_hints("no-cache", "garbage", NOW) == Hints()


@given(st.integers(1, 10**6), st.integers(0, 40), st.integers(0, 10**7))
def test_next_fetch_always_within_bounds(interval_s: int, errors: int, hint_s: int) -> None:
    interval = timedelta(seconds=interval_s)
    ok = after_success(NOW, interval, BOUNDS, Hints(ttl=timedelta(seconds=hint_s)))
    assert BOUNDS.floor * 0.9 <= delay_of(ok.at) <= BOUNDS.ceiling * 1.1
    failed = after_error(NOW, interval, BOUNDS, errors)
    assert delay_of(failed.at) <= max(BOUNDS.ceiling, interval) * 1.1
