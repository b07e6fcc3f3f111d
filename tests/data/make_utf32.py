"""Regenerate the UTF-32 (UCS-4) fixtures: one Russian and Kazakh news feed, four ways.

The text lives here in UTF-8 and is encoded on write, so the bytes are reproducible and
``tests/test_parse.py`` checks that the committed files equal this script's output.
Run with ``python tests/data/make_utf32.py``.

=======================  ====================  ==============================
file                     bytes                 labelled (XML declaration)
=======================  ====================  ==============================
utf32le-bom.rss          UTF-32 LE + BOM       utf-32
utf32be-bom.rss          UTF-32 BE + BOM       UCS-4
utf32le-nobom.rss        UTF-32 LE, no BOM     utf-32
utf32be-nobom.rss        UTF-32 BE, no BOM     ISO-10646-UCS-4
=======================  ====================  ==============================

Without a BOM the byte order shows in where the three zero bytes of ``<`` fall
(XML 1.0, Appendix F.1): ``3C 00 00 00`` is little-endian, ``00 00 00 3C`` big-endian.
"""

from __future__ import annotations

from make_encodings import FeedFixtures

TITLE = "Қазақстан жаңалықтары — Новости Казахстана"
ITEMS = (
    (
        "Токаев подписал закон о бюджете на 2027 год",
        "Расходы республиканского бюджета составят 25 трлн ₸, сообщает Акорда.",
    ),
    (
        "Астанада «Бәйтерек» маңында шырша жағылды",
        "Мерекелік шараға мыңнан астам адам қатысты, деп хабарлайды Kazinform.",
    ),
    ("Курс тенге: 512,4 ₸ за доллар", "Национальный банк опубликовал официальный курс."),
)

FEED = """\
<?xml version="1.0" encoding="{label}"?>
<rss version="2.0">
  <channel>
    <title>{title}</title>
    <link>https://qazaq-news.example/</link>
    <description>Жаңалықтар / Новости</description>
{items}
  </channel>
</rss>
"""
ITEM = """\
    <item>
      <title>{title}</title>
      <link>https://qazaq-news.example/news/{number}</link>
      <guid>https://qazaq-news.example/news/{number}</guid>
      <pubDate>Wed, 25 Nov 2026 0{number}:30:00 +0500</pubDate>
      <description>{text}</description>
    </item>"""

#: file name → (Python codec of the bytes, label in the XML declaration, BOM)
FIXTURES = {
    "utf32le-bom.rss": ("utf-32-le", "utf-32", b"\xff\xfe\x00\x00"),
    "utf32be-bom.rss": ("utf-32-be", "UCS-4", b"\x00\x00\xfe\xff"),
    "utf32le-nobom.rss": ("utf-32-le", "utf-32", b""),
    "utf32be-nobom.rss": ("utf-32-be", "ISO-10646-UCS-4", b""),
}


UTF32 = FeedFixtures(TITLE, ITEMS, FEED, ITEM, FIXTURES)


def fixture_bytes(name: str) -> bytes:
    """The bytes of fixture ``name``."""
    return UTF32.bytes_of(name)


def main() -> None:
    UTF32.write()


if __name__ == "__main__":
    main()
