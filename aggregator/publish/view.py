"""Which output, at which page: names of files and URLs of every rendering."""

from __future__ import annotations

from dataclasses import dataclass

from aggregator.config import OutputSettings

KINDS = ("rss", "atom", "json", "html")
_SUFFIX = {"rss": ".xml", "atom": ".atom", "json": ".json", "html": ".html"}
_DEFAULT_FILES = {"rss": "feed.xml", "atom": "feed.atom", "json": "feed.json", "html": "index.html"}


def output_file(path: str, kind: str) -> str:
    """The file of ``kind`` of the output at ``path`` (``""``: the combined output)."""
    return _DEFAULT_FILES[kind] if not path else path + _SUFFIX[kind]


@dataclass(frozen=True)
class View:
    """One rendering: the combined output (``path=""``) or a filtered one
    (``path="feeds/politics"``), at one page (RFC 5005 paged feeds)."""

    settings: OutputSettings
    path: str = ""
    page: int = 1
    has_next: bool = False
    hub: str | None = None

    def file(self, kind: str) -> str:
        """The file of ``kind`` relative to the public folder."""
        return output_file(self.path, kind)

    def url(self, kind: str, page: int | None = None) -> str:
        """The public URL of ``kind``, at ``page`` (default: this view's)."""
        page = self.page if page is None else page
        name = "" if kind == "html" and not self.path else self.file(kind)
        base = self.settings.link.rstrip("/") + "/" + name
        return base if page <= 1 else f"{base}?page={page}"

    def relative(self, kind: str) -> str:
        """A link from this view's HTML page to its ``kind`` (same folder)."""
        return self.file(kind).rsplit("/", 1)[-1]
