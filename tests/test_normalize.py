"""normalize.py in depth: canonical links, dates, sanitized HTML, text, language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from importlib.util import find_spec

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregator import normalize
from aggregator.models import Enclosure, Entry
from aggregator.normalize import (
    FUTURE_SKEW,
    absolute_url,
    canonical_url,
    clean_text,
    detect_language,
    html_to_text,
    language_code,
    normalize_entry,
    sanitize_html,
    utc_date,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BASE = "https://news.example/2026/11/story/"


def item(**fields: object) -> object:
    return normalize_entry(Entry(**fields), source_id="s", now=NOW)  # type: ignore[arg-type]


# -- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://News.Example/a?utm_source=rss&utm_medium=feed&id=5#comments",
            "https://news.example/a?id=5",
        ),
        ("https://news.example/a?fbclid=X&gclid=Y&yclid=Z&_openstat=Q", "https://news.example/a"),
        ("https://news.example/a?from=yxnews&page=2", "https://news.example/a?page=2"),
        ("https://news.example/a?UTM_Campaign=x&ysclid=1&mc_cid=2", "https://news.example/a"),
        ("HTTP://NEWS.EXAMPLE:80", "http://news.example/"),
        ("https://news.example:443/x", "https://news.example/x"),
        ("https://news.example:8443/x", "https://news.example:8443/x"),
        # Other parameters keep their order and exact encoding.
        ("https://news.example/s?q=a+b&flag&x=%2F", "https://news.example/s?q=a+b&flag&x=%2F"),
        ("https://User@News.Example/Path/Case", "https://User@news.example/Path/Case"),
        ("http://[broken/x", "http://[broken/x"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_the_original_link_is_kept_beside_the_canonical_one() -> None:
    result = item(title="t", link="https://News.example/a?utm_source=tg#top")
    assert result.original_link == "https://News.example/a?utm_source=tg#top"  # type: ignore[attr-defined]
    assert result.link == "https://news.example/a"  # type: ignore[attr-defined]
    assert result.key == "link:https://news.example/a"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/x", BASE, "https://news.example/x"),
        ("img/a.jpg", BASE, "https://news.example/2026/11/story/img/a.jpg"),
        ("//cdn.example/a.jpg", BASE, "https://cdn.example/a.jpg"),
        ("javascript:alert(1)", BASE, None),
        ("data:text/html,<script>", BASE, None),
        ("file:///etc/passwd", BASE, None),
        ("file:///srv/feeds/a.html", "file:///srv/feeds/", "file:///srv/feeds/a.html"),
        ("  https://ok.example/a\n", None, "https://ok.example/a"),
        ("http://[::1", None, None),
        ("", BASE, None),
    ],
)
def test_absolute_url(url: str, base: str | None, expected: str | None) -> None:
    assert absolute_url(url, base) == expected


# -- dates ----------------------------------------------------------------------------------


def test_dates_become_utc() -> None:
    almaty = timezone(timedelta(hours=5))
    assert utc_date(datetime(2026, 11, 24, 14, 0, tzinfo=almaty), NOW) == datetime(
        2026, 11, 24, 9, 0, tzinfo=UTC
    )
    assert utc_date(datetime(2026, 11, 24, 9, 0), NOW) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_future_dates_are_clamped_to_the_fetch_time() -> None:
    assert utc_date(NOW + FUTURE_SKEW - timedelta(seconds=1), NOW) == NOW + FUTURE_SKEW - timedelta(
        seconds=1
    )
    assert utc_date(NOW + FUTURE_SKEW + timedelta(seconds=1), NOW) == NOW
    assert utc_date(datetime(2099, 1, 1, tzinfo=UTC), NOW) == NOW


def test_missing_and_impossible_dates_become_first_seen() -> None:
    assert utc_date(None, NOW) == NOW
    far = timezone(timedelta(hours=-5))
    assert utc_date(datetime(9999, 12, 31, 23, 0, tzinfo=far), NOW) == NOW
    assert utc_date(datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5))), NOW) == NOW
    result = item(title="t", updated=datetime(2026, 11, 20, tzinfo=UTC))
    assert result.published == datetime(2026, 11, 20, tzinfo=UTC)  # type: ignore[attr-defined]


# -- HTML -----------------------------------------------------------------------------------


ALLOWED_MARKUP = (
    "<h2>Head</h2><p>Para <strong>b</strong> <em>i</em></p><ul><li>one</li></ul>"
    "<ol><li>two</li></ol><blockquote>quote</blockquote>"
    '<figure><img src="https://news.example/a.jpg" alt="A"><figcaption>Cap</figcaption></figure>'
    "<table><tbody><tr><td>cell</td></tr></tbody></table>"
)


def test_allowed_markup_survives() -> None:
    clean = sanitize_html(ALLOWED_MARKUP)
    for tag in ("<h2>", "<p>", "<strong>", "<ul>", "<ol>", "<li>", "<blockquote>", "<figure>"):
        assert tag in clean
    assert "<figcaption>Cap</figcaption>" in clean and "<td>cell</td>" in clean
    assert '<img alt="A" src="https://news.example/a.jpg">' in clean  # attributes sorted


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<p>a</p><script>alert(1)</script>", ["<script", "alert"]),
        ("<style>p{color:red}</style><p>a</p>", ["<style", "color"]),
        ('<iframe src="https://evil.example"></iframe><p>a</p>', ["<iframe", "evil"]),
        ('<form action="/x"><input name="q"><button>go</button></form>', ["<form", "<input"]),
        ('<p onclick="steal()">a</p><img src="x.jpg" onerror="steal()">', ["onclick", "onerror"]),
        ('<a href="javascript:alert(1)">a</a>', ["javascript:"]),
        ('<a href="JaVaScRiPt&colon;alert(1)">a</a>', ["javascript", "alert"]),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">a</a>', ["data:"]),
        ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', ["data:", "onload"]),
        ('<object data="x.swf"></object><embed src="x.swf">', ["<object", "<embed"]),
        ("<svg><script>alert(1)</script></svg><math><mi>x</mi></math>", ["<svg", "<script"]),
        ('<p style="background:url(javascript:x)">a</p>', ["style", "javascript"]),
        ('<base href="https://evil.example/"><a href="/x">a</a>', ["<base", "evil.example"]),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example">', ["<meta", "evil"]),
    ],
)
def test_hostile_markup_is_removed(dirty: str, forbidden: list[str]) -> None:
    clean = sanitize_html(dirty, BASE).lower()
    for needle in forbidden:
        assert needle not in clean, clean


def test_links_get_safe_rel() -> None:
    assert 'rel="noopener noreferrer nofollow"' in sanitize_html(
        '<a href="https://x.example">x</a>'
    )


def test_relative_urls_resolve_against_the_base() -> None:
    clean = sanitize_html('<a href="../other/">o</a><img src="pic.jpg" alt="">', BASE)
    assert 'href="https://news.example/2026/11/other/"' in clean
    assert 'src="https://news.example/2026/11/story/pic.jpg"' in clean


def test_quotation_sources_resolve_and_unjoinable_links_are_dropped() -> None:
    clean = sanitize_html(
        '<blockquote cite=" /press/1 ">«Цитата»</blockquote>'
        '<a href="http://[::1">сломанная</a><a href="  news.html ">ok</a>',
        BASE,
    )
    assert 'cite="https://news.example/press/1"' in clean  # stripped, then joined
    assert 'href="https://news.example/2026/11/story/news.html"' in clean
    assert "[::1" not in clean and ">сломанная</a>" in clean  # the text stays


def test_relative_urls_resolve_against_the_feed_link_without_item_link() -> None:
    result = item(title="t", content='<a href="/x">x</a>', base_url="https://site.example/")
    assert 'href="https://site.example/x"' in result.content_html  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("markup", "src"),
    [
        ('<img data-src="/real.jpg" alt="x">', "https://news.example/real.jpg"),
        (
            '<img src="data:image/gif;base64,R0lGOD" data-src="/real.jpg">',
            "https://news.example/real.jpg",
        ),
        ('<img src="/placeholder.gif" data-lazy-src="/real.jpg">', "https://news.example/real.jpg"),
        ('<img data-original="https://cdn.example/r.jpg">', "https://cdn.example/r.jpg"),
    ],
)
def test_lazy_images_get_their_real_src(markup: str, src: str) -> None:
    clean = sanitize_html(markup, "https://news.example/")
    assert f'src="{src}"' in clean
    assert "data-" not in clean and "placeholder" not in clean


def test_lazy_image_repeated_in_noscript_is_kept_once() -> None:
    markup = '<img data-src="/real.jpg"><noscript><img src="/real.jpg"></noscript><p>t</p>'
    clean = sanitize_html(markup, "https://news.example/")
    assert clean.count("real.jpg") == 1 and "<p>t</p>" in clean


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://t.example/p.gif" width="1" height="1">',
        '<img src="https://t.example/p.gif" width="1px" height="1px">',
        '<img src="https://t.example/p.gif" width="0" height="0">',
        '<img src="https://t.example/p.gif" height="0">',
        '<img src="https://t.example/p.gif" style="width:1px;height:1px">',
        '<img src="https://t.example/p.gif" style="display:none">',
        '<img src="https://t.example/p.gif" style="visibility: hidden">',
        '<img srcset="https://t.example/p.gif 1w">',
        '<img src="javascript:alert(1)" srcset="javascript:alert(2) 2x">',
        "<img>",
    ],
)
def test_tracking_pixels_and_empty_images_are_dropped(pixel: str) -> None:
    clean = sanitize_html(f"<p>Before {pixel} after</p>")
    assert clean == "<p>Before  after</p>"


def test_srcset_is_checked_candidate_by_candidate() -> None:
    markup = (
        '<img src="a.jpg" srcset="a-1x.jpg 1x, javascript:alert(1) 2x, '
        'https://t.example/p.gif 1w, /big.jpg 1200w, data:image/png;base64,AAA 3x">'
    )
    clean = sanitize_html(markup, "https://news.example/")
    assert 'srcset="https://news.example/a-1x.jpg 1x, https://news.example/big.jpg 1200w"' in clean
    assert "javascript" not in clean and "data:" not in clean and "p.gif" not in clean
    # Only a srcset: its first good candidate becomes the src.
    only = sanitize_html('<img srcset="/s.jpg 480w, /l.jpg 1080w">', "https://news.example/")
    assert 'src="https://news.example/s.jpg"' in only
    # A width-1 image with a real srcset stays only when it is not 1×1.
    assert "<img" in sanitize_html('<img src="https://x.example/w.jpg" width="1" height="400">')


def test_plain_text_content_becomes_paragraphs() -> None:
    assert sanitize_html("First para.\n\nSecond para & more.") == (
        "<p>First para.</p><p>Second para &amp; more.</p>"
    )
    assert sanitize_html("One line & “quotes”") == "One line &amp; “quotes”"


# -- text -----------------------------------------------------------------------------------


def test_text_entities_invisibles_and_spaces() -> None:
    assert html_to_text("<p>a&nbsp;b&amp;c &laquo;d&raquo; &#8212; &quot;e&quot;</p>") == (
        'a b&c «d» — "e"'
    )
    assert clean_text("re\u00adport\u200b \u200dzero\ufeff  \t\n wide\u2009space") == (
        "report zero wide space"
    )
    assert clean_text("«Казгидромет» “quoted” „низ“") == "«Казгидромет» “quoted” „низ“"
    assert clean_text("rtl\u202eevil\u202c ctl\x07\x1b\x85") == "rtlevil ctl"
    assert html_to_text("<p>One</p><p>Two</p><br>Three<li>Four</li>") == "One Two Three Four"


def test_title_falls_back_to_the_text_lead() -> None:
    result = item(content="<p>" + "слово " * 40 + "</p>")
    assert result.title.startswith("слово слово") and result.title.endswith("…")  # type: ignore[attr-defined]
    assert item(title="  \u200b ").title == "(untitled)"  # type: ignore[attr-defined]


def test_enclosures_and_image_are_absolute_and_safe() -> None:
    result = item(
        title="t",
        link="https://news.example/a/",
        image="img/cover.jpg",
        enclosures=(Enclosure("audio.mp3", "audio/mpeg", 10), Enclosure("javascript:x")),
    )
    assert result.image == "https://news.example/a/img/cover.jpg"  # type: ignore[attr-defined]
    assert result.enclosures == (  # type: ignore[attr-defined]
        Enclosure("https://news.example/a/audio.mp3", "audio/mpeg", 10),
    )


# -- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Тоқаев Ильхам Әлиевті туған күнімен құттықтады", "kk"),
        ("Мемлекет басшысы жиналыста сөз сөйледі", "kk"),
        ("Токаев поздравил Алиева с днём рождения", "ru"),
        ("Нацбанк", "ru"),
        ("В Алматы с 1 января подорожает проезд в общественном транспорте", "ru"),
        ("Tokayev Congratulates Aliyev on His Birthday", "en"),
        ("Qazaqstan Respýblıkasynyń Prezıdenti jıynda sóz sóıledi", "kk"),
        ("Memleket basşısı Qazaqstan halqına ündeu jasady, däl qazir", "kk"),
        ("Президент України провів зустріч із прем'єр-міністром", "uk"),
        (  # Russian that quotes a Kazakh name: 2 Kazakh letters in 150
            "Первая атомная станция в Казахстане будет называться «Балқаш»: такое название "
            "предложили жители страны, сообщили в агентстве по атомной энергии «Қазатом».",
            "ru",
        ),
        ("12345 — 678", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


@pytest.mark.skipif(find_spec("py3langid") is None, reason="py3langid not installed")
def test_longer_text_uses_the_model() -> None:
    german = "Die Regierung hat heute ein neues Gesetz über die Verkehrssicherheit beschlossen."
    assert detect_language(german) == "de"


@pytest.mark.parametrize(
    ("value", "code"),
    [("ru-RU", "ru"), ("kz", "kk"), ("KAZ", "kk"), ("kk_Latn", "kk"), ("en", "en"), ("", None)],
)
def test_language_code(value: str, code: str | None) -> None:
    assert language_code(value) == code


def test_language_priors_item_feed_source_then_detected() -> None:
    """Where the text leaves the language open (a title of figures only), the
    item's, then the feed's, then the source's declared language decide."""

    def lang(**kwargs: str | None) -> str | None:
        entry = Entry(title="2024 — 12:30", language=kwargs.pop("entry", None))
        result = normalize_entry(entry, source_id="s", now=NOW, **kwargs)  # type: ignore[arg-type]
        return result.language

    assert lang(entry="en", feed_language="ru", default_language="de") == "en"
    assert lang(feed_language="ru-RU", default_language="de") == "ru"
    assert lang(default_language="kz") == "kk"
    assert lang() is None


@pytest.mark.parametrize(
    ("title", "text", "declared", "expected"),
    [
        # Kazakh letters outweigh a feed declared Russian (mixed Kazakhstan feeds)
        ("Тоқаев Әлиевті құттықтады", "Мемлекет басшысы жеделхат жолдады.", "ru", "kk"),
        # another script outweighs it too
        ("Floods recede in Kostanay", "Water levels fell overnight in the region.", "ru", "en"),
        # a long Russian text without one Kazakh letter, in a source configured as Kazakh
        (
            "Токаев поздравил Алиева",
            "Глава государства направил поздравительную телеграмму Президенту Азербайджана "
            "и пожелал ему крепкого здоровья.",
            "kk",
            "ru",
        ),
        # a short Cyrillic title says too little: the declared Kazakh stands
        ("Астана: 2024", "", "kk", "kk"),
    ],
)
def test_the_item_text_decides_its_language_over_declared_ones(
    title: str, text: str, declared: str, expected: str
) -> None:
    entry = Entry(title=title, summary=text, language=declared)
    assert normalize_entry(entry, source_id="s", now=NOW).language == expected


# -- feed footers (issue 17, point 12) ------------------------------------------------------

WORDPRESS_FOOTERS = [
    '<p>The post <a href="https://ulysmedia.kz/news/1/">Токаев поздравил Алиева</a> appeared '
    'first on <a href="https://ulysmedia.kz">Ulysmedia.kz</a>.</p>',
    'The post <a href="https://ulysmedia.kz/news/1/">Токаев</a> appeared first on '
    '<a href="https://ulysmedia.kz">Ulysmedia.kz</a>.',
    "The post Токаев поздравил Алиева appeared first on Ulysmedia.kz.",
    '<p>Сообщение <a href="https://ulysmedia.kz/news/1/">Токаев поздравил Алиева</a> '
    'появились сначала на <a href="https://ulysmedia.kz">Ulysmedia.kz</a>.</p>',
]


@pytest.mark.parametrize("footer", WORDPRESS_FOOTERS)
def test_wordpress_footer_is_dropped_from_summary_text_and_content(footer: str) -> None:
    lead = "<p>Президент направил поздравительную телеграмму.</p>"
    for fields in (
        {"summary": lead + footer},
        {"summary": lead + footer, "content": lead + "<p>Полный текст.</p>" + footer},
    ):
        normalized = item(title="Токаев поздравил Алиева", **fields)
        for value in (normalized.summary, normalized.text, normalized.content_html):  # type: ignore[attr-defined]
            assert "appeared first" not in value and "сначала на" not in value, value
        assert normalized.summary.startswith("Президент направил")  # type: ignore[attr-defined]


def test_text_that_only_resembles_the_footer_is_kept() -> None:
    text = "The post office was closed; it appeared first on Monday, then reopened. More news."
    assert item(summary=text).summary == text  # type: ignore[attr-defined]


# -- identity within one document ---------------------------------------------------------


def test_a_shared_guid_falls_back_to_link_then_hash() -> None:
    from aggregator.identity import distinct_identities
    from aggregator.models import Item

    def entry(title: str, link: str | None) -> Item:
        return normalize_entry(
            Entry(guid="same", link=link, title=title, summary=f"{title}: мәтін"),
            source_id="s",
            now=NOW,
        )

    items = [
        entry("Бірінші", "https://kz.example/1"),
        entry("Екінші", "https://kz.example/2"),
        entry("Бірінші", "https://kz.example/1"),  # an exact repeat: still one item
        entry("Үшінші", "https://kz.example/"),
        entry("Төртінші", "https://kz.example/"),  # a shared link too: the hash
    ]
    assert len({i.key for i in items}) == 1
    told, notes = distinct_identities(items)
    keys = [i.key for i in told]
    assert keys[:3] == ["link:https://kz.example/1", "link:https://kz.example/2", keys[0]]
    assert keys[3].startswith("hash:") and keys[4].startswith("hash:") and keys[3] != keys[4]
    assert notes == (
        "4 items share one guid ('same') with different content; identified by link instead",
        "2 items share one link ('https://kz.example/') with different content; "
        "identified by hash instead",
    )
    assert distinct_identities(told) == (told, ())  # nothing left to tell apart


# -- caps ----------------------------------------------------------------------------------


def test_long_fields_are_cut_to_their_caps_without_breaking_the_html() -> None:
    from aggregator.caps import FieldCaps
    from aggregator.normalize import normalize_capped

    caps = FieldCaps(title=50, summary=200, content=1000)
    paragraph = '<p>Әкім <a href="/a?x=1&amp;y=2">мектеп</a> ашты &laquo;жаңа&raquo;.</p>'
    entry = Entry(
        title="Парламент " * 40,
        content=paragraph * 100,
        summary="<b>Қысқаша</b> " * 100,
        link=BASE,
    )
    capped, cut = normalize_capped(entry, source_id="s", now=NOW, caps=caps)
    assert cut == ("content", "summary", "title")
    assert len(capped.title) <= 50 and capped.title == "Парламент " * 3 + "Парламент…"
    assert len(capped.content_html) <= 1000 and html_to_text(capped.content_html).endswith("…")
    assert sanitize_html(capped.content_html) == capped.content_html  # well formed
    assert capped.content_html.count("<p>") == capped.content_html.count("</p>")
    assert capped.content_html.count("<a ") == capped.content_html.count("</a>")
    short, none_cut = normalize_capped(
        Entry(title="Қысқа", content=paragraph), source_id="s", now=NOW
    )
    assert none_cut == () and short.title == "Қысқа"


def test_cut_note_counts_each_field() -> None:
    from aggregator.caps import cut_note

    assert cut_note([]) is None
    assert cut_note(["title", "content", "title"]) == (
        "2 titles cut to 1,000 characters; 1 content cut to 1,000,000 characters of HTML"
    )


_LONG_RUSSIAN = (
    "Глава государства провел совещание по вопросам развития энергетики. Были "
    "рассмотрены итоги работы отрасли за год и планы на ближайшие пять лет. Президент "
    "поручил правительству обеспечить надежное снабжение регионов электроэнергией и "
    "теплом в зимний период, а также ускорить модернизацию изношенных сетей."
)
_LONG_BULGARIAN = (
    "Правителството прие днес нов закон за пътната безопасност. Според министъра на "
    "вътрешните работи промените ще намалят броя на тежките катастрофи по пътищата в "
    "страната. Депутатите гласуваха текстовете на второ четене след дълъг дебат в "
    "парламента, който продължи до късно вечерта."
)


_LONG_ENGLISH = (
    "The government of Kazakhstan approved a new plan for the energy sector on Tuesday. "
    "Under the plan, the share of renewable sources in the country's power output is to "
    "reach fifteen percent by the end of the decade, the ministry said in a statement "
    "published on its website after the cabinet meeting in Astana."
)
_LONG_DUTCH = (
    "De regering van Kazachstan heeft dinsdag een nieuw plan voor de energiesector "
    "goedgekeurd. Volgens het plan moet het aandeel van hernieuwbare bronnen in de "
    "elektriciteitsproductie van het land tegen het einde van het decennium vijftien "
    "procent bedragen, zei het ministerie in een verklaring op zijn website."
)


@pytest.mark.skipif(find_spec("py3langid") is None, reason="py3langid not installed")
@pytest.mark.parametrize(
    ("plain", "language", "candidates", "other", "other_language"),
    [
        (_LONG_RUSSIAN, "ru", normalize._CYRILLIC_LANGUAGES, _LONG_BULGARIAN, "bg"),
        (_LONG_ENGLISH, "en", None, _LONG_DUTCH, "nl"),
    ],
)
def test_plain_russian_or_english_skips_the_model_that_would_say_so(
    monkeypatch: pytest.MonkeyPatch,
    plain: str,
    language: str,
    candidates: tuple[str, ...] | None,
    other: str,
    other_language: str,
) -> None:
    """Long text in Russian's alphabet alone, with ы/э/ё, is Russian without the model,
    and long ASCII text whose words are a sixth English function words, "the" among them,
    is English (the model agrees); Bulgarian, written in a part of Russian's alphabet,
    and Dutch in ASCII letters still ask it."""
    assert normalize._model_guess(plain[:600], candidates) == language
    assert detect_language(other) == other_language
    monkeypatch.setattr(normalize, "_model_guess", lambda *_: pytest.fail("model asked"))
    assert detect_language(plain) == language


@given(st.text())
def test_cyrillic_letters_are_counted_by_their_utf8_lead_bytes(text: str) -> None:
    assert normalize._count_cyrillic(text) == len(re.findall("[\u0400-\u04ff]", text))


@given(st.text())
def test_clean_text_is_its_three_regex_passes(text: str) -> None:
    """One pass and str.split() give what removing invisible and control characters,
    then folding ``\\s+``, gave."""
    removed = normalize._CONTROL.sub("", normalize._INVISIBLE.sub("", text))
    assert clean_text(text) == re.sub(r"\s+", " ", removed).strip()


@given(st.text())
def test_latin_letters_are_counted_by_their_utf8_bytes(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert normalize._count_latin(data) == len(re.findall("[a-zA-Z\u00c0-\u024f]", text))


def test_not_russian_is_every_other_cyrillic_letter() -> None:
    russian = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
    russian |= {ch.upper() for ch in russian}
    for code in range(0x400, 0x500):
        assert bool(normalize._NOT_RUSSIAN.match(chr(code))) != (chr(code) in russian)
