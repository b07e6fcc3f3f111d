"""Credits written as layout rather than as a sentence, in any language.

Agencies mark their copy with a dateline ("СИДНЕЙ, 31 января. /ТАСС/.", "Москва. 1 марта.
INTERFAX.RU -", "МОСКВА, 31 янв - РИА Новости.", "ASTANA (Sputnik) -", "(Reuters) -"),
a by-line ("Reuters | Updated: …"), a source label ("Источник: zakon.kz", "Source:
gov.kz") or a quotation credit ("цитата по «Интерфаксу»"). These are formats, so they are
read by their shape; the name they hold is the outlet that reports.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aggregator.attribution.morphology import lemmatize

_CITY = r"[A-ZА-ЯЁ][A-ZА-ЯЁa-zа-яё.\-]*(?:\s[A-ZА-ЯЁ][A-ZА-ЯЁa-zа-яё.\-]*)?"
_DATE = r"\d{1,2}\s+[A-Za-zА-Яа-яЁё]{3,9}\.?"
_NAME = r"[A-ZА-ЯЁ«\"][^\n/|()«»\"–—]{0,38}?[\w»\"]"
_SHAPES = (
    # "СИДНЕЙ, 31 января. /ТАСС/." and "ASTANA, September 19. /TASS/."
    re.compile(rf"/\s*({_NAME})\s*/", re.M),
    # "Москва. 1 марта. INTERFAX.RU - …"
    re.compile(rf"^\s*{_CITY}[.,]\s+{_DATE}\s+({_NAME})\s+[-–—]\s", re.M),
    # "МОСКВА, 31 янв - РИА Новости. …", "С.-ПЕТЕРБУРГ, 30 ноя - РИА Новости, Автор."
    re.compile(rf"^\s*{_CITY}[.,]\s+{_DATE}\s*[-–—]\s*({_NAME})[.,]", re.M),
    # "ASTANA (Sputnik) - …", "(Reuters) - …"
    re.compile(rf"^\s*(?:{_CITY}\s+)?\(({_NAME})\)\s*[-–—]", re.M),
    # "Reuters | Updated: 06-02-2024"
    re.compile(rf"^\s*({_NAME})\s*\|\s*(?:Updated|Created|Published|Обновлено)", re.I | re.M),
)
_LABEL = re.compile(
    r"(?m)(?:^|(?<=[\s(a-zа-яё]))(?:Источник|Source|Дереккөз)\s*:\s*(\S[^\n]{0,80}?)\s*$"
)
_QUOTED_BY = re.compile(r"(?i)цитата\s+по\s+(«[^»]{1,40}»|[A-ZА-ЯЁ][\w.\-]{1,30})")


def read(text: str) -> list[tuple[str, int]]:
    """(name, offset) of every dateline, by-line, source label or quotation credit."""
    found: list[tuple[str, int]] = []
    head = text[:300]
    for shape in _SHAPES:
        m = shape.search(head)
        if m:
            found.append((m.group(1).strip(' .«»"'), m.start(1)))
    for m in _LABEL.finditer(text):
        name = _label_name(m.group(1))
        if name:
            found.append((name, m.start(1)))
    for m in _QUOTED_BY.finditer(text):
        found.append((lemmatize(m.group(1).strip("«»"), "dat"), m.start(1)))
    return found


def _label_name(value: str) -> str | None:
    """'zakon.kz' stays; a URL becomes its host without 'www.'."""
    value = value.strip(" .")
    if re.match(r"(?i)https?://", value):
        host = urlsplit(value).hostname or ""
        return host.removeprefix("www.") or None
    return value if len(value.split()) <= 6 else None
