"""Writing the rendered output atomically (a temporary file in the same folder, then a
rename), so a static web server never serves half a file."""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aggregator.errors import DiskFullError, PublishError
from aggregator.publish.view import KINDS, View


@dataclass(frozen=True)
class Outputs:
    """Every format of one view."""

    view: View
    rss: bytes
    atom: bytes
    json: bytes
    html: bytes

    def files(self) -> dict[str, bytes]:
        return {self.view.file(kind): getattr(self, kind) for kind in KINDS}


def write_outputs(outputs: Outputs, public_dir: Path) -> None:
    """Write the output files atomically.

    Raises:
        DiskFullError: no space is left there (the files already there are kept).
        PublishError: the folder cannot be written.
    """
    try:
        for name, content in outputs.files().items():
            path = public_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, content)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f"disk full: no space left to write the output in {public_dir}; free some "
                "space (the last good files are kept)",
                path=str(public_dir),
            ) from exc
        raise PublishError(f"cannot write the output to {public_dir}: {exc}") from exc


def atomic_write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in its folder and a rename."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
