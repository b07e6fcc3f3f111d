"""One source, end to end: fetch → parse → normalize → store, in one transaction.

A failing source becomes a stored error on that source (``SourceOutcome.error``), never
an exception that stops the others.
"""

from __future__ import annotations

import asyncio
import functools
import html
import itertools
import logging
import os
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from aggregator import caps, dedup, logs, metrics, polling
from aggregator.caps import MAX_BYTES
from aggregator.config import DedupConfig, Settings, SourceConfig
from aggregator.errors import (
    AggregatorError,
    DiskFullError,
    FetchError,
    GoneError,
    TooManyRequestsError,
)
from aggregator.fetch import Fetcher
from aggregator.models import FetchResult, Item, ParsedFeed, StoryKeys
from aggregator.storage import (
    CandidateRow,
    Settled,
    SourceState,
    Store,
    StoredMembers,
    TermCounts,
    Waiting,
)
from aggregator.workers import cpu_pool, shutdown_pools

if TYPE_CHECKING:
    from aggregator.dedup.ahead import AheadItem, ScoresAhead

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SourceOutcome:
    """What one refresh of one source did, for the summary table and the logs."""

    source_id: str
    status: int | None = None
    new: int = 0
    updated: int = 0
    error: str | None = None
    warnings: tuple[str, ...] = ()
    duration_ms: float = 0.0
    kind: str = "ok"
    """``ok``, ``not_modified`` or the error's kind (``http``, ``network``, ``parse``…)."""
    new_stories: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def refresh_source(
    source: SourceConfig,
    settings: Settings,
    fetcher: Fetcher,
    store: Store,
    clock: Clock = utc_now,
    state: SourceState | None = None,
    *,
    settle: bool = True,
) -> SourceOutcome:
    """Fetch, parse, normalize and store one source; errors are stored on the source.
    ``state``: the source's stored state when the caller read it (with others, in one
    query), else it is read here. Without ``settle`` the new items' stories are decided
    by the caller's :func:`settle_stories`, with other sources' items, in one order."""
    if state is None:
        state = await asyncio.to_thread(store.source_state, source.id)
    started = clock()
    url = state.current_url or settings.source_location(source)
    try:
        result = await fetcher.fetch(url, etag=state.etag, last_modified=state.last_modified)
        if result.not_modified:
            outcome = await _not_modified(store, state, result, settings, source, clock())
        else:
            outcome = await _ingest(
                store, state, result, settings, source, clock(), fetcher, defer=not settle
            )
    except AggregatorError as exc:
        outcome = await _failed(store, state, exc, settings, source, clock())
    except Exception as exc:  # a bug must fail this source alone, never the others
        log.exception("refresh_crashed source_id=%s url=%s", source.id, url)
        internal = AggregatorError(
            f"internal error: {type(exc).__name__}: {exc}", source_id=source.id, url=url
        )
        outcome = await _failed(store, state, internal, settings, source, clock())
    elapsed = (clock() - started).total_seconds() * 1000
    outcome = replace(outcome, duration_ms=elapsed)
    _log(outcome, url)
    _count(outcome)
    return outcome


def _count(outcome: SourceOutcome) -> None:
    metrics.FETCHES.labels(outcome.kind).inc()
    metrics.FETCH_SECONDS.observe(outcome.duration_ms / 1000)
    metrics.ITEMS.inc(outcome.new)
    metrics.ITEMS_UPDATED.inc(outcome.updated)
    metrics.STORIES.inc(outcome.new_stories)


async def _ingest(
    store: Store,
    state: SourceState,
    result: FetchResult,
    settings: Settings,
    source: SourceConfig,
    now: datetime,
    fetcher: Fetcher,
    *,
    defer: bool,
) -> SourceOutcome:
    folding = settings.config.dedup
    keys = folding.enabled and not source.full_text
    parsed, items = await run_cpu(
        settings.config.fetch.parse_workers,
        functools.partial(
            parse_and_normalize,
            result,
            source,
            now,
            story_keys=keys,
            max_bytes=settings.config.fetch.max_bytes,
        ),
    )
    if source.full_text:
        items = await with_full_text(items, fetcher, store)
        if folding.enabled:
            items = await asyncio.to_thread(_with_story_keys, items)
    recent = await asyncio.to_thread(store.recent_published, source.id)
    cadence = polling.publishing_interval([*recent, *(i.published for i in items)])
    new_state = _success_state(state, result, settings, source, now, parsed.link, parsed, cadence)
    saved = await asyncio.to_thread(
        store.save_items,
        new_state,
        items,
        now,
        decide=story_decision(store, folding) if folding.enabled else None,
        window=folding.window,
        max_candidates=folding.max_candidates,
        defer=defer,
    )
    return SourceOutcome(
        source.id,
        status=result.status,
        new=saved.new,
        updated=saved.updated,
        warnings=parsed.warnings,
        new_stories=saved.new_stories,
    )


def parse_and_normalize(
    result: FetchResult,
    source: SourceConfig,
    now: datetime,
    *,
    story_keys: bool = True,
    max_bytes: int = MAX_BYTES,
) -> tuple[ParsedFeed, list[Item]]:
    """The CPU part of a refresh: bytes → normalized items, with their story keys.
    ``max_bytes``: the largest body parsed (``fetch.max_bytes``, which the fetch
    enforces too).

    Raises:
        ParseError: the body is not a feed.
    """
    from aggregator.identity import distinct_identities
    from aggregator.normalize import normalize_capped

    parsed = parse_source(result, source, now, max_bytes)
    normalized = [
        normalize_capped(
            entry,
            source_id=source.id,
            now=now,
            feed_language=parsed.language,
            default_language=source.language,
        )
        for entry in parsed.entries
    ]
    items, notes = distinct_identities([item for item, _ in normalized])
    cut = caps.cut_note(field for _, fields in normalized for field in fields)
    parsed = replace(parsed, warnings=(*parsed.warnings, *notes, *([cut] if cut else [])))
    if story_keys:
        items = [replace(item, story_keys=compute_story_keys(item)) for item in items]
    return parsed, items


def parse_source(
    result: FetchResult, source: SourceConfig, now: datetime, max_bytes: int = MAX_BYTES
) -> ParsedFeed:
    """A feed through ``parse``, an HTML page through its source's CSS selectors."""
    from aggregator import htmlsource
    from aggregator.parse import parse_feed

    if source.type == "html" and source.selectors is not None:
        selectors = htmlsource.Selectors(**source.selectors.model_dump())
        return htmlsource.parse_html_page(
            result.content,
            url=result.url,
            selectors=selectors,
            timezone=source.timezone,
            now=now,
            content_type=result.content_type,
        )
    return parse_feed(
        result.content, content_type=result.content_type, url=result.url, max_bytes=max_bytes
    )


async def run_cpu(workers: int, job: Callable[[], T]) -> T:
    """Run CPU work (parse, normalize, story keys) off the event loop: in the process pool
    so that both cores are used, else on a thread."""
    pool = cpu_pool(workers)
    if pool is None:
        return await asyncio.to_thread(job)
    return await asyncio.get_running_loop().run_in_executor(pool, job)


def _with_story_keys(items: Sequence[Item]) -> list[Item]:
    return [replace(item, story_keys=compute_story_keys(item)) for item in items]


FULL_TEXT_BELOW = 800
"""Items whose text is shorter than this (characters) get their article page fetched."""
FULL_TEXT_PER_REFRESH = 20
"""At most this many article pages per refresh of one source: politeness."""


async def with_full_text(items: list[Item], fetcher: Fetcher, store: Store) -> list[Item]:
    """Items with the main text of their article page where the feed gives only a summary.

    Only new or changed items are fetched (the rest are already stored), at most
    ``FULL_TEXT_PER_REFRESH``, through the same polite fetcher; a page that fails keeps
    the item as the feed gave it. The content hash stays the feed's, so an unchanged feed
    item is not seen as edited.
    """
    if not items:
        return items
    known = await asyncio.to_thread(store.known_hashes, items[0].source_id, [i.key for i in items])
    wanted = [
        i
        for i in items
        if i.link and len(i.text) < FULL_TEXT_BELOW and known.get(i.key) != i.content_hash
    ][:FULL_TEXT_PER_REFRESH]
    fetched = await asyncio.gather(*(_article(item, fetcher) for item in wanted))
    better = {item.key: full for item, full in zip(wanted, fetched, strict=True) if full}
    return [better.get(item.key, item) for item in items]


async def _article(item: Item, fetcher: Fetcher) -> Item | None:
    url = item.original_link or item.link or ""
    try:
        page = await fetcher.fetch(url)
    except AggregatorError as exc:
        log.warning(
            "full_text_failed source_id=%s url=%s error=%r", item.source_id, url, exc.message
        )
        return None
    text = await asyncio.to_thread(_page_text, page)
    if not text or len(text) <= len(item.text):
        return None
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if len(content) > caps.FIELD_CAPS.content:  # the page's text under the feed's cap
        from aggregator import normalize

        content = normalize.sanitize_html(caps.html_prefix(content, caps.FIELD_CAPS.content))
        return replace(item, content_html=content, text=normalize.html_to_text(content))
    return replace(item, content_html=content, text=" ".join(paragraphs))


def _page_text(page: FetchResult) -> str | None:
    charset = "utf-8"
    if page.content_type and "charset=" in page.content_type:
        charset = page.content_type.split("charset=")[-1].split(";")[0].strip() or charset
    try:
        markup = page.content.decode(charset, errors="replace")
    except LookupError:
        markup = page.content.decode("utf-8", errors="replace")
    from aggregator import htmlsource

    return htmlsource.extract_main_text(markup, url=page.url)


def compute_story_keys(item: Item) -> StoryKeys:
    """What the story decision needs of an item, computed before the transaction."""
    features = dedup.extract_features(item.title, item.text, item.language)
    return StoryKeys(
        features=features.to_json(),
        index_keys=tuple(dedup.index_keys(features)),
        term_keys=tuple(dedup.term_keys(features)),
    )


AHEAD_MIN_ITEMS = 2000
"""A settle of this many items or more has its pairs scored ahead by a helper process
(starting one costs ~0.3 s; a service's tick decides a few items)."""


class StoryDecision:
    """The ``StoryDecider`` the store calls for each new item: the decision of a
    ``dedup.StoryWindow`` over the candidates of the index (the stories it joins; storage
    merges them). Long-lived (see :func:`story_decision`): its window holds the stored
    items it has seen."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.settings = dedup.DedupSettings(
            window_hours=config.window.total_seconds() / 3600,
            threshold=config.threshold,
            cross_language_threshold=config.cross_language_threshold,
            max_candidates=config.max_candidates,
        )
        self.window = dedup.StoryWindow(self.settings)
        self.members: StoredMembers | None = self.window
        self.ahead_min_items = AHEAD_MIN_ITEMS
        self._scorer: ScoresAhead[Waiting] | None = None
        self._lookups: dict[int, Sequence[tuple[str, int]]] = {}
        """Lookup keys made ahead (:meth:`_prepare`), until the item's lookup."""

    def ahead(
        self, waiting: Iterable[Waiting], count: int, counts: TermCounts
    ) -> Iterator[Waiting]:
        """``waiting`` (``count`` items), in its order. When they are many and there is a
        second core, each comes with its pairs scored ahead by a helper process (see
        :mod:`aggregator.dedup.ahead`): the same decisions, sooner."""
        if count < self.ahead_min_items or (os.cpu_count() or 1) < 2:
            yield from waiting
            return
        from aggregator.dedup.ahead import ScoresAhead
        from aggregator.workers import ahead_process, shutdown_ahead_process

        weights = self.window.weights_for(counts)
        prepare = functools.partial(self._prepare, counts=counts)
        self._scorer = ScoresAhead(ahead_process(), self.settings, weights, prepare)
        try:
            yield from self._scorer.items(waiting)
        finally:
            self._scorer = None
            self._lookups.clear()
            shutdown_ahead_process()

    def _prepare(
        self, chunk: list[Waiting], counts: TermCounts
    ) -> list[tuple[AheadItem, dedup.StoryFeatures]]:
        """What the helper needs of ``chunk``; their lookup keys are kept for their
        lookups (the counts of their terms read in one go)."""
        from aggregator.dedup.ahead import AheadItem

        features = [self.window.features(item.features) for item in chunk]
        counts.prefetch(itertools.chain.from_iterable(map(dedup.term_keys, features)))
        prepared = []
        for item, f in zip(chunk, features, strict=True):
            lookup = tuple(dedup.lookup_keys(dedup.index_keys(f), counts))
            self._lookups[item.item_id] = lookup
            ahead = AheadItem(
                item.item_id, item.source_id, item.published, item.features, item.keys, lookup
            )
            prepared.append((ahead, f))
        return prepared

    def lookup_keys(self, item: Waiting, counts: TermCounts) -> Sequence[tuple[str, int]]:
        made = self._lookups.pop(item.item_id, None)
        if made is not None:
            return made
        features = self.window.features(item.features)
        # The new item's terms in one query: the decision weighs them all (its counted
        # terms are all of them but a title's own numbers, read when needed). A
        # candidate's terms were fetched when it was new, and are remembered.
        counts.prefetch(dedup.term_keys(features))
        return dedup.lookup_keys(dedup.index_keys(features), counts)

    def stored_keys(self, item: Item, counts: TermCounts) -> Sequence[str]:
        if item.story_keys is None:
            return ()
        return dedup.stored_keys(item.story_keys.index_keys, counts)

    def __call__(
        self, item: Waiting, candidates: Sequence[CandidateRow], counts: TermCounts
    ) -> list[str]:
        new = self.window.features(item.features)
        ids = [row.item_id for row in candidates]
        ahead = self._scorer.scores_of(item.item_id) if self._scorer is not None else None
        return self.window.decide(new, item.source_id, item.published, ids, counts, ahead)


_decisions: weakref.WeakKeyDictionary[Store, StoryDecision] = weakref.WeakKeyDictionary()
_recovered: weakref.WeakSet[Store] = weakref.WeakSet()
"""Stores whose undecided items (left by a killed process) this process has decided."""


def story_decision(store: Store, config: DedupConfig) -> StoryDecision:
    """The store's story decision for ``config``, made once: its window of stored items
    lives as long as the store (or until the configuration changes)."""
    found = _decisions.get(store)
    if found is None or found.config != config:
        replaced, found = found, StoryDecision(config)
        if replaced is not None:  # its stored items still wait for their stories
            found.window.wait(replaced.window.waiting())
        _decisions[store] = found
    return found


def settle_stories(
    store: Store, config: DedupConfig, now: datetime | None = None, *, recover: bool = False
) -> Settled:
    """Decide the stories of the items saved since the last call (``refresh_source`` with
    ``settle=False``), all together in one order: how many, how many founded a story
    (none when it failed: they wait for the next call). The first
    call that decides anything, or one with ``recover`` (the service as it starts), also
    decides what a killed process stored and left undecided."""
    nothing = Settled(0, 0)
    if not config.enabled:
        return nothing
    decision = _decisions.get(store)
    if decision is None:
        if not recover or store in _recovered:
            return nothing  # a refresh that stored nothing new reads no more than it must
        decision = story_decision(store, config)
    started = time.perf_counter()
    try:
        settled = store.settle(
            decision,
            now or utc_now(),
            window=config.window,
            max_candidates=config.max_candidates,
            recover=store not in _recovered,
        )
        _recovered.add(store)
    except AggregatorError as exc:  # a full disk: they wait for the next call
        logs.event(log, logging.ERROR, "stories_not_decided", error=exc.message)
        return nothing
    except Exception:  # a bug: the items wait for the next call, nothing is lost
        log.exception("stories_not_decided")
        return nothing
    if settled.items:
        elapsed = round((time.perf_counter() - started) * 1000)
        logs.event(
            log,
            logging.INFO,
            "stories_decided",
            items=settled.items,
            founded=settled.founded,
            duration_ms=elapsed,
        )
    metrics.STORIES.inc(settled.founded)
    return settled


def release_story_decision(store: Store) -> bool:
    """Drop the store's story window (tens of MB at 10,000 items) once this process will
    store no more items, as ``aggregator fetch`` does before it publishes. Whether there
    was one (a refresh where every feed answered 304 makes none)."""
    return _decisions.pop(store, None) is not None


async def _not_modified(
    store: Store,
    state: SourceState,
    result: FetchResult,
    settings: Settings,
    source: SourceConfig,
    now: datetime,
) -> SourceOutcome:
    new_state = _success_state(state, result, settings, source, now, state.site_link)
    await asyncio.to_thread(store.record_failure, new_state)
    return SourceOutcome(source.id, status=304, kind="not_modified")


def _success_state(
    state: SourceState,
    result: FetchResult,
    settings: Settings,
    source: SourceConfig,
    now: datetime,
    site_link: str | None,
    parsed: ParsedFeed | None = None,
    cadence: timedelta | None = None,
) -> SourceState:
    hints = _hints(result, parsed, now)
    upcoming = polling.after_success(
        now, settings.interval(source), _bounds(settings), hints, cadence
    )
    return replace(
        state,
        **_moved(state, result, now),
        etag=result.etag or (state.etag if result.not_modified else None),
        last_modified=result.last_modified
        or (state.last_modified if result.not_modified else None),
        last_fetch_at=now,
        last_success_at=now,
        last_status=result.status,
        last_error=None,
        error_kind=None,
        error_count=0,
        next_fetch_at=upcoming.at,
        next_fetch_reason=upcoming.reason,
        site_link=site_link,
        notice=state.notice if parsed is None else notice_of(parsed.warnings),
    )


NOTICE_CHARS = 1000
"""The longest notice stored with a source (the status shows it in one cell)."""


def notice_of(warnings: Sequence[str]) -> str | None:
    """What the status shows of a document's warnings (None when it had none): kept
    until the next document, so that a 304 keeps it and a mended feed clears it."""
    text = "; ".join(dict.fromkeys(warnings))
    if len(text) > NOTICE_CHARS:
        return text[: NOTICE_CHARS - 1] + "…"
    return text or None


def _hints(result: FetchResult, parsed: ParsedFeed | None, now: datetime) -> polling.Hints:
    http = polling.http_hints(result.cache_control, result.expires, now)
    if parsed is None:
        return http
    return replace(
        http,
        ttl=timedelta(minutes=parsed.ttl_minutes) if parsed.ttl_minutes else None,
        update_period=timedelta(minutes=parsed.update_period_minutes)
        if parsed.update_period_minutes
        else None,
    )


def _moved(state: SourceState, result: FetchResult, now: datetime) -> dict[str, Any]:
    """Track a permanent redirect (301/308): use the new URL at once, and count how often
    it is confirmed, so that the status can advise updating the config once it is stable.
    302/307 never change anything."""
    if result.permanent_redirect:
        if result.permanent_redirect == state.moved_url:
            return {"current_url": state.moved_url, "moved_count": state.moved_count + 1}
        return {
            "current_url": result.permanent_redirect,
            "moved_url": result.permanent_redirect,
            "moved_count": 1,
            "moved_since": now,
        }
    if state.moved_url and state.current_url == state.moved_url:
        return {"moved_count": state.moved_count + 1}
    return {}


def _bounds(settings: Settings) -> polling.Bounds:
    fetch = settings.config.fetch
    return polling.Bounds(floor=fetch.min_interval, ceiling=fetch.max_interval)


async def _failed(
    store: Store,
    state: SourceState,
    exc: AggregatorError,
    settings: Settings,
    source: SourceConfig,
    now: datetime,
) -> SourceOutcome:
    errors = state.error_count + 1
    retry_at = exc.retry_at if isinstance(exc, TooManyRequestsError) else None
    upcoming = (
        polling.after_store_error(now, _bounds(settings))
        if isinstance(exc, DiskFullError)
        else polling.after_error(
            now, settings.interval(source), _bounds(settings), errors, retry_at
        )
    )
    status = getattr(exc, "status", None)
    new_state = replace(
        state,
        last_fetch_at=now,
        last_status=status,
        last_error=exc.message,
        error_kind=getattr(exc, "kind", "error"),
        error_count=errors,
        next_fetch_at=upcoming.at,
        next_fetch_reason=upcoming.reason,
        disabled_reason=exc.message if isinstance(exc, GoneError) else state.disabled_reason,
    )
    try:
        await asyncio.to_thread(store.record_failure, new_state)
    except AggregatorError as unsaved:  # a full disk: the lease left expires, then a retry
        logs.event(
            log, logging.ERROR, "state_not_saved", source_id=source.id, error=unsaved.message
        )
    return SourceOutcome(
        source.id, status=status, error=exc.message, kind=getattr(exc, "kind", "error")
    )


def _log(outcome: SourceOutcome, url: str) -> None:
    """One line per fetch."""
    level = logging.ERROR if outcome.error else logging.INFO
    logs.event(
        log,
        level,
        "fetch_failed" if outcome.error else "fetched",
        source_id=outcome.source_id,
        url=url,
        status=outcome.status,
        outcome=outcome.kind,
        new=outcome.new,
        updated=outcome.updated,
        duration_ms=round(outcome.duration_ms),
        error=outcome.error,
    )
    for warning in outcome.warnings:
        logs.event(
            log, logging.WARNING, "feed_warning", source_id=outcome.source_id, warning=warning
        )


__all__ = [
    "FetchError",
    "SourceOutcome",
    "parse_and_normalize",
    "refresh_source",
    "shutdown_pools",
]
