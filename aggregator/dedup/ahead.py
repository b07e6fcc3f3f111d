"""Pair scores made ahead, in a helper process, while the main process decides stories.

A settle decides many waiting items one at a time, in one order (see
:meth:`aggregator.storage.Store.settle`), on one core. Most of a decision is scoring the
new item's pairs with its candidates, and a pair's score does not depend on the stories:
only on the two items, their hours apart and the term weights, which stay the same
through one settle. So the helper replays the waiting items in the same order in a
window of its own that holds only them: it ranks each item's candidates among the items
before it and scores those pairs, while the main process decides the batch before. The
waiting items among the main window's candidates are among the helper's (fewer items
compete there), so most pairs come scored; the main process scores the others itself
(stored items, companions), and decides the stories as without help: the same stories.
"""

from __future__ import annotations

import itertools
import logging
import operator
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from aggregator.dedup.decision import PairScore, Weights
from aggregator.dedup.values import DedupSettings, StoryFeatures
from aggregator.dedup.window import Ahead, StoryWindow

log = logging.getLogger(__name__)

BATCH = 200
"""Items per batch sent to the helper."""
DEPTH = 2
"""Batches the helper holds besides the one being decided."""

T = TypeVar("T")


@dataclass(frozen=True)
class AheadItem:
    """What the helper needs of a waiting item."""

    item_id: int
    source_id: str
    published: datetime
    features: str
    """As stored (JSON)."""
    keys: tuple[str, ...]
    """Its stored index keys (what a later item's lookup finds it by)."""
    lookup: tuple[tuple[str, int], ...]
    """Its weighted lookup keys (what its candidates are ranked by)."""


@dataclass(frozen=True)
class AheadBatch:
    run: str
    """One settle's: the helper's window starts empty at a new one."""
    settings: DedupSettings
    documents: int
    weights: dict[str, float]
    """The weights of the batch's terms, as the main process weighs them."""
    items: tuple[AheadItem, ...]


_replica: tuple[str, StoryWindow, Weights] | None = None
"""The helper process's window of the current settle's items, and its weights."""


def score_batch(batch: AheadBatch) -> list[dict[int, PairScore]]:
    """In the helper: each item's pairs with its candidates among the items sent before
    it (this batch's and the earlier ones'), in order."""
    global _replica
    if _replica is None or _replica[0] != batch.run:
        _replica = None  # the last settle's window goes first
        _replica = (batch.run, StoryWindow(batch.settings), Weights.given(batch.documents))
    _, window, weights = _replica
    weights.take(batch.weights)
    limit = batch.settings.max_candidates
    found = []
    for item in batch.items:
        new = window.features(item.features)
        ranked = [item_id for item_id, _ in window.ranked(item.lookup, item.published, limit)]
        found.append(window.score_ahead(new, item.source_id, item.published, ranked, weights))
        story_id = f"ahead:{item.item_id}"  # each its own: stories are the main process's
        window.add(item.item_id, story_id, item.source_id, item.published, item.features, item.keys)
    return found


class ScoresAhead(Generic[T]):
    """The main process's side: sends the waiting items to the helper in batches, a few
    batches ahead of the decisions, and hands out each item's scores as it is decided."""

    def __init__(
        self,
        pool: Executor,
        settings: DedupSettings,
        weights: Weights,
        prepare: Callable[[list[T]], list[tuple[AheadItem, StoryFeatures]]],
        item_id: Callable[[T], int] = operator.attrgetter("item_id"),
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._weights = weights
        self._prepare = prepare
        self._item_id = item_id
        self._run = uuid.uuid4().hex
        self._current: tuple[int, Ahead] | None = None
        self._failed = False

    def scores_of(self, item_id: int) -> Ahead | None:
        """The pairs scored ahead of the item handed out last, if it is ``item_id``."""
        current = self._current
        return current[1] if current is not None and current[0] == item_id else None

    def items(self, waiting: Iterable[T]) -> Iterator[T]:
        """``waiting``, in its order, each once its pairs are scored (or the helper
        failed: the decision scores them itself)."""
        source = iter(waiting)
        pending: deque[tuple[list[T], Future[list[dict[int, PairScore]]] | None]] = deque()
        for _ in range(DEPTH + 1):
            self._submit(source, pending)
        while pending:
            chunk, future = pending.popleft()
            self._submit(source, pending)  # the helper works on it while this is decided
            for item, scores in zip(chunk, self._scores(future, len(chunk)), strict=True):
                found = Ahead(scores, self._weights) if scores is not None else None
                self._current = (self._item_id(item), found) if found is not None else None
                yield item
        self._current = None

    def _submit(
        self,
        source: Iterator[T],
        pending: deque[tuple[list[T], Future[list[dict[int, PairScore]]] | None]],
    ) -> None:
        chunk = list(itertools.islice(source, BATCH))
        if not chunk:
            return
        future = None
        if not self._failed:
            prepared = self._prepare(chunk)
            weights = self._weights.give(features for _, features in prepared)
            batch = AheadBatch(
                self._run,
                self._settings,
                self._weights.documents,
                weights,
                tuple(item for item, _ in prepared),
            )
            future = self._pool.submit(score_batch, batch)
        pending.append((chunk, future))

    def _scores(
        self, future: Future[list[dict[int, PairScore]]] | None, count: int
    ) -> list[dict[int, PairScore] | None]:
        if future is not None and not self._failed:
            try:
                return list(future.result())
            except Exception:  # the decisions score their pairs themselves
                log.exception("stories_ahead_failed")
                self._failed = True
        return [None] * count
