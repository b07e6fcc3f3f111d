"""reader's side of the whole-process bench: what a cron job built on lemon24/reader runs.

    python bench/reader_job.py DB [--add URLS.txt] [--workers 16]

``--add`` first adds the feeds listed one per line (the cold run, on a fresh database).
Then one ``update_feeds(workers=N, scheduled=False)``: every feed, due or not, as our
``aggregator fetch`` fetches every source. Prints nothing; ``processes.py`` times the
process and counts what it stored in ``DB``.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Add feeds to reader and update them once.")
    parser.add_argument("db", type=Path)
    parser.add_argument("--add", type=Path, help="a file of feed URLs, one a line")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args(argv)

    from reader import make_reader

    reader = make_reader(str(args.db))
    try:
        if args.add:
            for url in args.add.read_text(encoding="utf-8").split():
                reader.add_feed(url, exist_ok=True)
        reader.update_feeds(workers=args.workers, scheduled=False)
    finally:
        reader.close()


if __name__ == "__main__":
    main()
