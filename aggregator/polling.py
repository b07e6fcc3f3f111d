"""When to fetch a source next, and why (pure: the caller passes ``now`` and the randomness).

The delay starts from the source's interval; adapts to how often the source actually
publishes (a source that posts hourly is polled more often than one that posts weekly);
is raised by the feed's own hints (RSS ``ttl``, ``sy:updatePeriod``, Cache-Control
``max-age``, ``Expires``); is clamped to the configured floor and ceiling; backs off
exponentially after errors; never comes before a server's ``Retry-After``; and gets
±10% jitter so sources added together drift apart.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

JITTER = 0.1
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Hints:
    """What the server and the feed said about polling."""

    ttl: timedelta | None = None
    update_period: timedelta | None = None
    cache_max_age: timedelta | None = None
    expires_in: timedelta | None = None

    def longest(self) -> tuple[timedelta, str] | None:
        found = [
            (value, name)
            for name, value in (
                ("ttl", self.ttl),
                ("sy:updatePeriod", self.update_period),
                ("Cache-Control max-age", self.cache_max_age),
                ("Expires", self.expires_in),
            )
            if value is not None and value > timedelta(0)
        ]
        return max(found) if found else None


@dataclass(frozen=True)
class Bounds:
    floor: timedelta
    ceiling: timedelta


@dataclass(frozen=True)
class NextFetch:
    at: datetime
    reason: str


def http_hints(cache_control: str | None, expires: str | None, now: datetime) -> Hints:
    """Cache-Control max-age and Expires (RFC 9111) as durations from ``now``."""
    max_age = None
    if cache_control and (match := _MAX_AGE.search(cache_control)):
        max_age = timedelta(seconds=int(match.group(1)))
    expires_in = None
    if expires:
        try:
            when = parsedate_to_datetime(expires)
            expires_in = when - now if when.tzinfo else None
        except (TypeError, ValueError):
            expires_in = None
    return Hints(cache_max_age=max_age, expires_in=expires_in)


def publishing_interval(published: Sequence[datetime]) -> timedelta | None:
    """The median gap between a source's recent items, newest first or in any order;
    None with fewer than 3 items."""
    ordered = sorted(published)
    gaps = sorted(b - a for a, b in itertools.pairwise(ordered) if b > a)
    if len(gaps) < 2:
        return None
    return gaps[len(gaps) // 2]


def after_success(
    now: datetime,
    interval: timedelta,
    bounds: Bounds,
    hints: Hints = Hints(),
    cadence: timedelta | None = None,
    rng: random.Random | None = None,
) -> NextFetch:
    """The next fetch after a successful one (200 or 304)."""
    delay, reason = interval, f"interval {_human(interval)}"
    if cadence is not None:
        # Poll about four times per typical gap between items, but stay within a factor
        # of four of the configured interval: the user's setting remains the anchor.
        adapted = min(max(cadence / 4, interval / 4), interval * 4)
        if adapted != delay:
            delay, reason = adapted, f"publishes every ~{_human(cadence)}"
    longest = hints.longest()
    if longest is not None and longest[0] > delay:
        delay, reason = longest[0], f"{longest[1]} {_human(longest[0])}"
    delay, reason = _clamp(delay, reason, bounds)
    return NextFetch(now + _jitter(delay, rng), reason)


def after_error(
    now: datetime,
    interval: timedelta,
    bounds: Bounds,
    errors: int,
    retry_at: datetime | None = None,
    rng: random.Random | None = None,
) -> NextFetch:
    """The next fetch after ``errors`` failures in a row: exponential backoff, capped at the
    ceiling, never before the server's Retry-After."""
    factor = 2 ** min(max(errors - 1, 0), 16)
    delay = min(interval * factor, max(bounds.ceiling, interval))
    reason = f"error #{errors}: backoff {_human(delay)}"
    at = now + _jitter(delay, rng)
    if retry_at is not None and retry_at > at:
        return NextFetch(retry_at, f"Retry-After until {retry_at:%Y-%m-%d %H:%M:%S} UTC")
    return NextFetch(at, reason)


def after_store_error(now: datetime, bounds: Bounds) -> NextFetch:
    """The next fetch after the store could not keep what a fetch brought (a full disk):
    the source is not at fault, so no backoff; try again after the floor interval."""
    return NextFetch(now + bounds.floor, f"the store was full: retry in {_human(bounds.floor)}")


def _clamp(delay: timedelta, reason: str, bounds: Bounds) -> tuple[timedelta, str]:
    if delay < bounds.floor:
        return bounds.floor, f"{reason}, raised to the floor {_human(bounds.floor)}"
    if delay > bounds.ceiling:
        return bounds.ceiling, f"{reason}, capped at the ceiling {_human(bounds.ceiling)}"
    return delay, reason


def _jitter(delay: timedelta, rng: random.Random | None) -> timedelta:
    spread = (rng or random).uniform(-JITTER, JITTER)
    return delay * (1 + spread)


def _human(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
            )
    return f"{seconds}s"
