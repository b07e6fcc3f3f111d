"""Pair scores made ahead by a helper process (``aggregator.dedup.ahead``): the same
stories as the main process alone would decide, most pairs scored in the helper, and a
failed helper costs nothing but time."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from aggregator.config import DedupConfig
from aggregator.dedup import CorpusStats, DedupSettings, extract_features
from aggregator.dedup.ahead import ScoresAhead
from aggregator.dedup.decision import Weights
from aggregator.dedup.window import Ahead
from aggregator.models import Item
from aggregator.pipeline import StoryDecision, compute_story_keys
from aggregator.storage import SourceRow, Store, Waiting, items

EVAL_PATH = Path(__file__).parent / "data" / "stories" / "eval.json"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _labelled_items() -> list[Item]:
    """The project's labelled set as items of their outlets (162 items, 13 outlets)."""
    records = json.loads(EVAL_PATH.read_text(encoding="utf-8"))["items"]
    found = []
    for record in records:
        item = Item(
            source_id=record["source"],
            key=f"guid:{record['id']}",
            guid=record["id"],
            link=f"https://{record['source']}.kz/{record['id']}/",
            original_link=None,
            title=record["title"],
            content_html=f"<p>{record['text']}</p>",
            text=record["text"],
            summary=record["text"],
            published=datetime.fromisoformat(record["published"]).astimezone(UTC),
            updated=None,
            author=None,
            categories=(),
            image=None,
            enclosures=(),
            language=record["language"],
            content_hash=record["id"],
        )
        found.append(Item(**{**item.__dict__, "story_keys": compute_story_keys(item)}))
    return found


class _Counting(StoryDecision):
    """The real decision, counting the items that came with pairs scored ahead."""

    def __init__(self, config: DedupConfig, ahead_min_items: int) -> None:
        super().__init__(config)
        self.ahead_min_items = ahead_min_items
        self.scored_ahead = self.decided = self.compared = 0

    def __call__(self, item: Waiting, candidates: Any, counts: Any) -> list[str]:
        self.decided += 1
        ahead = self._scorer.scores_of(item.item_id) if self._scorer is not None else None
        if ahead is not None:
            self.scored_ahead += 1
            self._check(item, [row.item_id for row in candidates], ahead)
        return super().__call__(item, candidates, counts)

    def _check(self, item: Waiting, candidate_ids: list[int], ahead: Ahead) -> None:
        """The helper's scores are those this process makes of the same pairs (up to
        the order of a sum's terms: sets iterate in another order in another process)."""
        new = self.window.features(item.features)
        mine = self.window.score_ahead(
            new, item.source_id, item.published, candidate_ids, ahead.weights
        )
        for candidate_id, theirs in ahead.scores.items():
            if candidate_id in mine:
                self.compared += 1
                assert theirs.hopeful == mine[candidate_id].hopeful
                assert (theirs.ratio is None) == (mine[candidate_id].ratio is None)
                if theirs.ratio is not None:
                    assert math.isclose(theirs.ratio, mine[candidate_id].ratio or 0.0)


def _settled(path: Path, decision: StoryDecision) -> set[frozenset[str]]:
    """The labelled items saved (deferred) into a new store at ``path``, settled by
    ``decision``: the stories, as sets of item keys."""
    store = Store.open(f"sqlite:///{path}")
    try:
        batch = _labelled_items()
        sources = sorted({item.source_id for item in batch})
        store.sync_sources([SourceRow(s, s, f"https://{s}.kz/rss") for s in sources])
        for source in sources:
            own = [item for item in batch if item.source_id == source]
            state = store.source_state(source)
            store.save_items(state, own, NOW, decide=decision, defer=True)
        store.settle(decision, NOW + timedelta(minutes=1), window=DedupConfig().window)
        with store.engine.connect() as connection:
            rows = connection.execute(sa.select(items.c.key, items.c.story_id)).all()
    finally:
        store.close()
    stories: dict[str, set[str]] = {}
    for key, story_id in rows:
        stories.setdefault(story_id, set()).add(key)
    return {frozenset(keys) for keys in stories.values()}


def test_scores_made_ahead_give_the_stories_the_main_process_gives(tmp_path: Path) -> None:
    alone = _Counting(DedupConfig(), ahead_min_items=10**9)
    helped = _Counting(DedupConfig(), ahead_min_items=0)
    expected = _settled(tmp_path / "alone.db", alone)
    assert _settled(tmp_path / "helped.db", helped) == expected
    assert alone.scored_ahead == 0
    assert helped.scored_ahead == helped.decided >= 100  # each decided item came scored
    assert helped.compared >= 500  # the pairs of waiting items
    assert sum(len(story) > 1 for story in expected) >= 20  # the set's retellings folded


class _FailingPool(Executor):
    """A pool whose every job fails (a helper killed, a bug in it)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("helper died"))
        return future


def test_a_failed_helper_hands_out_every_item_without_scores() -> None:
    weights = Weights(CorpusStats())
    features = extract_features("Токаев провёл совещание", "Обсудили бюджет на 2025 год.", "ru")

    def prepare(chunk: list[int]) -> list[Any]:
        from aggregator.dedup.ahead import AheadItem

        made = AheadItem(0, "s", NOW, features.to_json(), (), ())
        return [(made, features) for _ in chunk]

    scorer: ScoresAhead[int] = ScoresAhead(
        _FailingPool(), DedupSettings(), weights, prepare, item_id=lambda n: n
    )
    numbers: Iterable[int] = range(1000)
    handed: Iterator[int] = scorer.items(numbers)
    seen = []
    for n in handed:
        assert scorer.scores_of(n) is None
        seen.append(n)
    assert seen == list(range(1000))


def test_given_weights_weigh_as_the_giver() -> None:
    """Another process's weights, given the terms of some items, profile them exactly
    as the weights they came from."""
    texts = [
        ("Токаев назначил Бектенова", "Указ подписан 6 февраля 2024 года, сообщает Акорда."),
        ("Рыбакина выиграла Итоговый турнир", "Елена Рыбакина обыграла Соболенко 6:3."),
    ]
    features = [extract_features(title, text, "ru") for title, text in texts]
    stats = CorpusStats()
    for f in features:
        stats.add(f)
    weights = Weights(stats)
    given = Weights.given(weights.documents)
    given.take(weights.give(features))
    for f in features:
        assert given.profile(f) == weights.profile(f)
