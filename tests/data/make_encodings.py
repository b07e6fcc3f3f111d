"""Regenerate the charset fixtures: one Russian RSS feed in several encodings and labels.

The text lives here in UTF-8 and is encoded on write, so the bytes are reproducible and
``tests/test_parse.py`` checks that the committed files equal this script's output.
Run with ``python tests/data/make_encodings.py``.

=========================  =================  =========================================
file                       bytes              labelled (XML declaration)
=========================  =================  =========================================
koi8r.rss                  KOI8-R             koi8-r
utf16le-bom.rss            UTF-16 LE + BOM    utf-16
utf16be-bom.rss            UTF-16 BE + BOM    utf-16
utf16le-nobom.rss          UTF-16 LE, no BOM  utf-16
utf8-as-cp1251.rss         UTF-8              windows-1251 (and so is the HTTP header)
cp1251-as-utf8.rss         windows-1251       utf-8 (and so is the HTTP header)
=========================  =================  =========================================

Characters KOI8-R lacks (« » — ₸) are written as character references.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TITLE = "Курсив — экономика Казахстана"
ITEMS = (
    (
        "Нацбанк сохранил базовую ставку на уровне 16,5%",
        "«Решение принято единогласно», — сообщил председатель.",
    ),
    ("Ёлка у Байтерека засияет 20 декабря", "Высота ели — 25 метров, цена проекта 12 млн ₸."),
    ("Щедрый урожай: сбор зерна превысил 20 млн тонн", "Экспорт пшеницы вырос на четверть."),
)

FEED = """\
<?xml version="1.0" encoding="{label}"?>
<rss version="2.0">
  <channel>
    <title>{title}</title>
    <link>https://kursiv.example/</link>
    <description>Деловые новости</description>
    <language>ru</language>
{items}
  </channel>
</rss>
"""
ITEM = """\
    <item>
      <title>{title}</title>
      <link>https://kursiv.example/news/{number}</link>
      <guid>https://kursiv.example/news/{number}</guid>
      <pubDate>Tue, 24 Nov 2026 1{number}:00:00 +0500</pubDate>
      <description>{text}</description>
    </item>"""

#: file name → (Python codec of the bytes, label in the XML declaration, BOM)
FIXTURES = {
    "koi8r.rss": ("koi8-r", "koi8-r", b""),
    "utf16le-bom.rss": ("utf-16-le", "utf-16", b"\xff\xfe"),
    "utf16be-bom.rss": ("utf-16-be", "utf-16", b"\xfe\xff"),
    "utf16le-nobom.rss": ("utf-16-le", "utf-16", b""),
    "utf8-as-cp1251.rss": ("utf-8", "windows-1251", b""),
    "cp1251-as-utf8.rss": ("cp1251", "utf-8", b""),
}


@dataclass(frozen=True)
class FeedFixtures:
    """One feed's text (templates and items) and the files it is written as."""

    title: str
    items: tuple[tuple[str, str], ...]
    feed: str
    item: str
    fixtures: dict[str, tuple[str, str, bytes]]

    def text(self, label: str) -> str:
        """The feed as text, declaring ``label``."""
        items = "\n".join(
            self.item.format(title=title, text=text, number=number)
            for number, (title, text) in enumerate(self.items, start=1)
        )
        return self.feed.format(label=label, title=self.title, items=items)

    def bytes_of(self, name: str) -> bytes:
        """The bytes of fixture ``name`` (characters its codec lacks as references)."""
        codec, label, bom = self.fixtures[name]
        return bom + self.text(label).encode(codec, errors="xmlcharrefreplace")

    def write(self) -> None:
        """Write every fixture next to this script."""
        for name in self.fixtures:
            Path(__file__).with_name(name).write_bytes(self.bytes_of(name))


CHARSETS = FeedFixtures(TITLE, ITEMS, FEED, ITEM, FIXTURES)


def fixture_bytes(name: str) -> bytes:
    """The bytes of fixture ``name``."""
    return CHARSETS.bytes_of(name)


def main() -> None:
    CHARSETS.write()


if __name__ == "__main__":
    main()
