"""The words our pages say, in the languages the outputs are written in (ru, kk, en).

One table for the HTML page of an output, the status page and the status table, so that a
Russian feed's page does not speak English. A language we have no words for falls back to
English; a key missing in one language too.
"""

from __future__ import annotations

LANGUAGES = ("ru", "kk", "en")
FALLBACK = "en"

LABELS: dict[str, dict[str, str]] = {
    # -- the HTML page of an output
    "page.updated": {
        "ru": "Обновлено {time}",
        "kk": "Жаңартылды: {time}",
        "en": "Updated {time}",
    },
    "page.empty": {
        "ru": "Записей пока нет.",
        "kk": "Әзірге жазба жоқ.",
        "en": "No entries yet.",
    },
    "page.empty_unfetched": {
        "ru": "Записей пока нет: источники ещё не загружались.",
        "kk": "Әзірге жазба жоқ: дереккөздер әлі жүктелмеді.",
        "en": "No entries yet: the sources have not been fetched.",
    },
    "page.empty_failed": {
        "ru": "Записей пока нет: не удалось загрузить источники ({failed} из {total}).",
        "kk": "Әзірге жазба жоқ: дереккөздер жүктелмеді ({total} ішінен {failed}).",
        "en": "No entries yet: {failed} of {total} sources failed to fetch.",
    },
    "page.see_status": {
        "ru": "Подробности — на странице состояния",
        "kk": "Толығырақ — күй бетінде",
        "en": "See the status page",
    },
    "page.also_reported": {
        "ru": "Также сообщают",
        "kk": "Сондай-ақ хабарлайды",
        "en": "Also reported by",
    },
    # -- the status page and table
    "status.title": {"ru": "Состояние", "kk": "Күйі", "en": "Status"},
    "status.summary": {
        "ru": "Источников: {total}, с ошибками: {failing}. Время — UTC; страница создана {time}.",
        "kk": "Дереккөздер: {total}, қатесі барлары: {failing}. Уақыт — UTC; бет жасалды: {time}.",
        "en": "{total} sources, {failing} failing. Times in UTC; rendered {time}.",
    },
    "status.config_error": {
        "ru": "В файле конфигурации ошибка; работает последняя верная конфигурация.",
        "kk": "Баптау файлында қате бар; соңғы дұрыс баптау жұмыс істеп тұр.",
        "en": "The configuration file has an error; the last good configuration keeps running.",
    },
    "status.never": {"ru": "никогда", "kk": "ешқашан", "en": "never"},
    "status.disabled": {
        "ru": "ОТКЛЮЧЁН: {reason}",
        "kk": "ӨШІРІЛГЕН: {reason}",
        "en": "DISABLED: {reason}",
    },
    "status.col.source": {"ru": "источник", "kk": "дереккөз", "en": "source"},
    "status.col.last_fetch": {
        "ru": "последняя загрузка",
        "kk": "соңғы жүктеу",
        "en": "last fetch",
    },
    "status.col.http": {"ru": "HTTP", "kk": "HTTP", "en": "HTTP"},
    "status.col.items": {"ru": "записей", "kk": "жазбалар", "en": "items"},
    "status.col.last_new_item": {
        "ru": "последняя новая запись",
        "kk": "соңғы жаңа жазба",
        "en": "last new item",
    },
    "status.col.errors": {"ru": "ошибок", "kk": "қателер", "en": "errors"},
    "status.col.next_fetch": {
        "ru": "следующая загрузка (причина)",
        "kk": "келесі жүктеу (себебі)",
        "en": "next fetch (why)",
    },
    "status.col.notice": {
        "ru": "последняя ошибка / замечание",
        "kk": "соңғы қате / ескерту",
        "en": "last error / notice",
    },
}


def language_of(tag: str | None) -> str:
    """The table's language for a language tag: ``ru-RU`` → ``ru``; unknown → English."""
    primary = (tag or "").replace("_", "-").split("-", 1)[0].strip().lower()
    return primary if primary in LANGUAGES else FALLBACK


def label(key: str, language: str | None, **values: object) -> str:
    """The words for ``key`` in ``language`` (a tag like ``ru`` or ``kk-KZ``), with the
    ``{placeholders}`` filled from ``values``.

    Raises:
        KeyError: no such key (a programming error, not bad input).
    """
    words = LABELS[key]
    text = words.get(language_of(language)) or words[FALLBACK]
    return text.format(**values) if values else text
