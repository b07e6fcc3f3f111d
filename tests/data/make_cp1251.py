"""Regenerate ``cp1251.rss``: a Russian RSS 2.0 feed encoded in windows-1251.

The text is kept here in UTF-8 and encoded on write, so the fixture's bytes
are reproducible.  Run with ``python tests/data/make_cp1251.py``.

The tenge sign is not in windows-1251, so it is written as the numeric
character reference ``&#8376;`` (a reader must decode it to "₸").
"""

from __future__ import annotations

from pathlib import Path

FEED = """\
<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0">
  <channel>
    <title>Газета «Время» — новости Казахстана</title>
    <link>https://time.kz/</link>
    <description>Общественно-политическая газета «Время»</description>
    <language>ru</language>
    <lastBuildDate>Tue, 24 Nov 2026 13:05:00 +0500</lastBuildDate>

    <item>
      <title>Аким Алматинской области провёл приём граждан в Конаеве</title>
      <link>https://time.kz/news/society/2026/11/24/akim-provel-priem-grazhdan-v-konaeve</link>
      <guid isPermaLink="true">https://time.kz/news/society/2026/11/24/akim-provel-priem-grazhdan-v-konaeve</guid>
      <pubDate>Tue, 24 Nov 2026 13:00:00 +0500</pubDate>
      <description>&lt;p&gt;На приём записались 46 жителей области — в основном по вопросам жилья и земли.&lt;/p&gt;</description>
    </item>

    <item>
      <title>Цены на бензин АИ-92 выросли до 235 тенге за литр</title>
      <link>https://time.kz/news/economics/2026/11/24/ceny-na-benzin-ai-92</link>
      <guid isPermaLink="false">time-kz-151240</guid>
      <pubDate>Tue, 24 Nov 2026 04:30:00 GMT</pubDate>
      <description>&lt;p&gt;Литр АИ-92 на АЗС Алматы теперь стоит 235 &#8376;, дизельное топливо — 310 &#8376;.&lt;/p&gt;</description>
    </item>

    <item>
      <title>В Караганде отремонтируют 40 улиц — «Время» выяснило, сколько это стоит</title>
      <link>https://time.kz/articles/territory/2026/11/23/v-karagande-otremontiruyut-40-ulic</link>
      <guid isPermaLink="true">https://time.kz/articles/territory/2026/11/23/v-karagande-otremontiruyut-40-ulic</guid>
      <pubDate>Mon, 23 Nov 2026 17:45:00 +0500</pubDate>
      <description>&lt;p&gt;Смета ремонта по программе № 14 составила 18,2 млрд тенге.&lt;/p&gt;</description>
    </item>

    <item>
      <title>Ёлку на главной площади Усть-Каменогорска установят к 15 декабря</title>
      <link>https://time.kz/news/society/2026/11/23/elku-ustanovyat-k-15-dekabrya</link>
      <guid isPermaLink="true">https://time.kz/news/society/2026/11/23/elku-ustanovyat-k-15-dekabrya</guid>
      <pubDate>Mon, 23 Nov 2026 09:00:00 +0500</pubDate>
      <description>&lt;p&gt;Высота ели составит 22 метра, её украсят 30 тысячами светодиодов.&lt;/p&gt;</description>
    </item>
  </channel>
</rss>
"""  # noqa: E501 (fixture text, kept verbatim)


def main() -> None:
    """Write ``cp1251.rss`` next to this script."""
    target = Path(__file__).with_name("cp1251.rss")
    target.write_bytes(FEED.encode("cp1251"))


if __name__ == "__main__":
    main()
