"""RSS/Atom/JSON Feed aggregator and republisher."""

from __future__ import annotations

__version__ = "0.1.0"
USER_AGENT = f"aggregator/{__version__} (+https://github.com/aggregator-project/aggregator)"
