"""Cost of attribution per item: reading the text, and using the stored chain.

Run: .venv/bin/python bench/bench_attribution.py [--feeds 40 --items 50]

Generates the bench corpus (ru/kk/en Kazakhstan news, a fifth of it retellings with an
attribution line), parses and normalizes it as the pipeline does, then times, in this one
fresh process:

* loading natasha's models (paid once per process that reads Russian text);
* reading every item's text (title, first and last paragraph), cold: the first time a
  text is seen, in batches as a publish reads the entries it has not read;
* using the stored chain instead (decode), as every later publish pays it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import corpus

from aggregator import attribution
from aggregator.normalize import normalize_entry
from aggregator.parse import parse_feed
from aggregator.publish.provenance import paragraphs_of


def _texts(feeds: int, items: int) -> list[tuple[str, str, str, str | None]]:
    with tempfile.TemporaryDirectory() as tmp:
        manifest = corpus.generate(Path(tmp), feeds=feeds, items=items)
        now = datetime.now(UTC)
        out = []
        for feed in manifest["feed_list"]:
            parsed = parse_feed((Path(tmp) / feed["path"]).read_bytes())
            for entry in parsed.entries:
                item = normalize_entry(entry, source_id=feed["id"], now=now)
                paragraphs = paragraphs_of(item.content_html) or [item.summary]
                out.append((item.title, paragraphs[0], paragraphs[-1], item.language))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args(argv)
    texts = _texts(args.feeds, args.items)
    directory = attribution.SourceDirectory([])
    key = attribution.reading_key(directory)

    t0 = time.perf_counter()
    attribution.syntax.load_models()
    load = time.perf_counter() - t0

    t0 = time.perf_counter()
    chains = attribution.find_credits_many(texts, directory)  # as a publish reads a page
    cold = (time.perf_counter() - t0) / len(texts)
    stored = [attribution.encode_credits(c, key) for c in chains]

    t0 = time.perf_counter()
    for data in stored:
        attribution.decode_credits(data, key)
    warm = (time.perf_counter() - t0) / len(texts)

    credited = sum(1 for c in chains if c)
    print(f"items: {len(texts)} ({credited} credit someone)")
    print(f"natasha models load: {load:.2f} s once per process")
    print(f"reading a text (cold): {cold * 1e3:.2f} ms/item")
    print(f"stored chain (every later publish): {warm * 1e6:.1f} µs/item")


if __name__ == "__main__":
    main()
