"""Story folding measured on labelled records through the real pipeline: a thin wrapper
of :mod:`aggregator.evaluate.stories` (also ``aggregator eval stories FILE``).

Run: .venv/bin/python bench/eval_stories.py FILE [--order SEED] [--quiet]
"""

from __future__ import annotations

import sys

from aggregator.evaluate.stories import main

if __name__ == "__main__":
    sys.exit(main())
