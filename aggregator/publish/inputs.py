"""What a publish renders from, as one fingerprint kept beside the outputs
(``public/.inputs``), so that a publish whose inputs are unchanged renders nothing.

The outputs are a function of: the stored items and stories (the store's change marker:
the newest item id and change time), how the sources are named and how they fare (their
refs, and the health an empty page shows), the configuration parts that shape the output
(output settings, filtered outputs, sources, attribution, the WebSub hub), and the code
that renders (the package version, the attribution reader's version). The
outputs show absolute times only, so the clock is not an input; a publish that skips
leaves the files, their mtimes and so their ETags as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from aggregator import __version__
from aggregator.attribution import READER_VERSION
from aggregator.config import Settings
from aggregator.models import SourceRef
from aggregator.publish.files import atomic_write
from aggregator.publish.page import SourceHealth

INPUTS_FILE = ".inputs"
"""The fingerprint of the inputs of the last complete publish, in the public folder."""
OUTPUT_CONFIG = ("output", "outputs", "sources", "attribution", "websub_hub")
"""The configuration's parts that the outputs show or are shaped by (not ``fetch``,
``dedup``, ``retention``: they act through the stored items, which the marker covers)."""


def fingerprint(
    settings: Settings,
    marker: Sequence[object],
    refs: dict[str, SourceRef],
    health: SourceHealth,
) -> str:
    """One hash of everything the outputs are rendered from."""
    inputs = {
        "version": __version__,
        "reader": READER_VERSION,
        "marker": [str(part) for part in marker],
        "refs": [asdict(refs[key]) for key in sorted(refs)],
        "health": asdict(health),
        "config": settings.config.model_dump(mode="json", include=set(OUTPUT_CONFIG)),
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def recorded(public_dir: Path) -> str | None:
    """The fingerprint of the last complete publish into ``public_dir`` (None: none)."""
    try:
        return (public_dir / INPUTS_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def forget(public_dir: Path) -> None:
    """Drop the record before writing outputs: a publish cut short renders again.

    A record that cannot be removed is left: removing it and writing the outputs both
    need the folder writable, so the outputs it describes are still the ones there, and
    writing them reports the folder's trouble."""
    with contextlib.suppress(OSError):
        (public_dir / INPUTS_FILE).unlink(missing_ok=True)


def record(public_dir: Path, value: str) -> None:
    """Record ``value`` after every output file of the publish was written. A record
    that cannot be written (a disk full just then) only means the next publish renders."""
    with contextlib.suppress(OSError):
        atomic_write(public_dir / INPUTS_FILE, (value + "\n").encode("utf-8"))
