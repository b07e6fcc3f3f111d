"""Attribution measured on labelled sentences through the real pipeline: a thin wrapper
of :mod:`aggregator.evaluate.attribution` (also ``aggregator eval attribution FILE``).

Run: .venv/bin/python bench/eval_attribution.py FILE [--misses]
"""

from __future__ import annotations

import sys

from aggregator.evaluate.attribution import main

if __name__ == "__main__":
    sys.exit(main())
