"""Language codes: the ISO 639-1 codes a config may name, and the common mistakes for
them that are still understood (``kz`` for Kazakh). A leaf: imports nothing of ours."""

from __future__ import annotations

ISO_639_1 = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu
    cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko
    kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd
    ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
    sg sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw
    ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """.split()  # noqa: SIM905 (a table that reads as one, not 184 quoted strings)
)
"""The two-letter codes of ISO 639-1 (184)."""

ALIASES = {"kz": "kk", "kaz": "kk", "qaz": "kk", "rus": "ru", "eng": "en"}
"""Mistakes for a code, or its three-letter form, that are read as the code."""


def primary_code(value: str) -> str:
    """The primary subtag of a BCP 47 tag, lowercased: ``ru-RU`` → ``ru``, ``kk_KZ`` → ``kk``."""
    return value.strip().replace("_", "-").split("-")[0].lower()


def is_known(value: str) -> bool:
    """``value``'s primary subtag is an ISO 639-1 code or an alias of one."""
    primary = primary_code(value)
    return primary in ISO_639_1 or primary in ALIASES
