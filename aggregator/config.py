"""``feeds.yaml`` → validated settings.

Every problem is reported at once, each naming the file, the line and the field::

    feeds.yaml:14: sources[2].url: 'htp://x' is not an http(s) URL or a file path
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from aggregator import quickyaml
from aggregator.errors import ConfigError
from aggregator.languages import is_known
from aggregator.yamlerrors import describe_yaml_error

MAX_FEED_BYTES = 256 * 1024 * 1024
"""The largest ``fetch.max_bytes``: the parser takes feeds up to ``max_bytes``, and
parsing takes up to ~11 times a feed's size in memory."""

_DURATION = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_ID = re.compile(r"[a-z0-9_-]{1,64}")
# "htps//host/…", "https:/host/…", "http:host": a web address whose scheme lost a letter,
# its colon or a slash; without "://" it would be read as a file path.
_SCHEME_TYPO = re.compile(r"^[a-z][a-z0-9+.-]{1,9}(?::/?(?!/)|//)(?=[^/\s])", re.IGNORECASE)
# "ulysmedia.kz/rss/": a host name and a path, no scheme (an error when no such file).
_HOST_LIKE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/", re.IGNORECASE)
_SIZE_BYTES = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_duration(value: object) -> timedelta:
    """``"15m"``, ``"20s"``, ``"1h"``, ``"90d"`` or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 15m, 1h, 7d)")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration (use e.g. 30s, 15m, 1h, 7d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError(f"{value!r} is negative: use a positive duration (e.g. 15m)")
    if seconds == 0:
        raise ValueError(f"{value!r} must be a positive duration")
    return timedelta(seconds=seconds)


def parse_size(value: object) -> int:
    """``"10MB"``, ``"512KiB"`` or a number of bytes → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a size (use e.g. 10MB, 512KiB)")
        size = int(float(match.group(1)) * _SIZE_BYTES[(match.group(2) or "b").lower()])
    if size < 0:
        raise ValueError(f"{value!r} is negative: use a positive size (e.g. 10MB)")
    if size == 0:
        raise ValueError(f"{value!r} must be a positive size")
    return size


def parse_spacing(value: object) -> timedelta:
    """Like ``parse_duration`` but zero (``0``, ``"0s"``) is allowed."""
    if value in (0, "0", "0s", "0ms"):
        return timedelta(0)
    return parse_duration(value)


def language(value: str) -> str:
    """``value`` if its primary subtag is a language code (``ru``, ``kk-KZ``; ``kz`` is
    read as Kazakh).

    Raises:
        ValueError: it is not.
    """
    if not is_known(value):
        raise ValueError(
            f"{value!r} is not a language code (use a two-letter ISO 639-1 code such as "
            "ru, kk or en)"
        )
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Spacing = Annotated[timedelta, BeforeValidator(parse_spacing)]
Size = Annotated[int, BeforeValidator(parse_size)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutputSettings(_Strict):
    title: str = "Aggregated news"
    link: str = "http://127.0.0.1:8080/"
    description: str = "News from many sources, one story each, with attribution."
    language: str = "ru"
    max_items: int = Field(default=100, ge=1, le=10_000)
    timezone: str = "Asia/Almaty"

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        return language(value)

    @field_validator("link")
    @classmethod
    def _http_link(cls, value: str) -> str:
        if not _is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class FilteredOutput(_Strict):
    """An extra output with its own path and filters, e.g. ``/feeds/politics.xml``.
    Empty filters let everything through; keywords match the title, summary and
    categories, case-insensitively."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=64)
    title: str | None = None
    description: str | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    """At least one of these words must appear."""
    exclude: tuple[str, ...] = ()
    """None of these words may appear."""
    max_items: int | None = Field(default=None, ge=1, le=10_000)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(language(code) for code in value)


class FetchSettings(_Strict):
    interval: Duration = timedelta(minutes=15)
    timeout: Duration = timedelta(seconds=20)
    allow_private_addresses: bool = False
    max_redirects: int = Field(default=5, ge=0, le=30)
    max_bytes: Size = 10 * 1000 * 1000
    concurrency: int = Field(default=16, ge=1, le=512)
    """How many sources are fetched at once."""
    per_host: int = Field(default=2, ge=1, le=64)
    """How many requests to one host at once."""
    host_spacing: Spacing = timedelta(seconds=1)
    """At least this long between the starts of two requests to one host (0s: none)."""
    min_interval: Duration = timedelta(minutes=1)
    """The floor: no source is polled more often, whatever its interval or hints."""
    max_interval: Duration = timedelta(hours=24)
    """The ceiling: every source is polled at least this often (errors back off up to it)."""
    user_agent: str | None = None
    parse_workers: int = Field(default=-1, ge=-1, le=64)
    """Processes that parse feeds: -1, one per core (none on one core); 0, none (a thread)."""

    @field_validator("max_bytes")
    @classmethod
    def _parseable(cls, value: int) -> int:
        if value > MAX_FEED_BYTES:
            raise ValueError(
                f"{value:,} bytes is more than a feed may be ({MAX_FEED_BYTES // 2**20} MiB: "
                "parsing takes up to ~11 times a feed's size in memory)"
            )
        return value


class DedupConfig(_Strict):
    """Cross-source story folding (see ``aggregator.dedup``)."""

    enabled: bool = True
    window: Duration = timedelta(hours=72)
    """Items further apart than this never join one story."""
    threshold: float | None = Field(default=None, gt=0, lt=1)
    """Probability of one event at or above which an item joins a story (same language);
    default: the trained scorer's own (``aggregator/data/story_scorer.json``)."""
    cross_language_threshold: float | None = Field(default=None, gt=0, lt=1)
    """The same for items in two languages."""
    max_candidates: int = Field(default=20, ge=1, le=1000)


class KnownName(_Strict):
    """A name that texts credit (an institution or outlet that is not a source)."""

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    forms: dict[str, str] = Field(default_factory=dict)
    kind: Literal["outlet", "institution"] = "institution"


class AttributionConfig(_Strict):
    """How entries say where they come from."""

    templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per language (``ru``, ``kk``, ``en``): ``cited``, ``plain``, ``story`` and ``and``;
    placeholders ``{publisher}``, ``{credited}``, ``{origin}``. Missing keys use the
    built-in templates."""
    known: tuple[KnownName, ...] = ()
    """Extra names to recognise, beside the sources and the built-in directory."""
    builtin: bool = True
    """Use the built-in directory of Kazakhstan outlets and institutions."""

    @field_validator("templates")
    @classmethod
    def _known_placeholders(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for language, table in value.items():
            for key, template in table.items():
                try:
                    template.format(publisher="", credited="", origin="")
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValueError(
                        f"templates.{language}.{key}: {template!r} has an unknown "
                        f"placeholder ({exc}); use {{publisher}}, {{credited}}, {{origin}}"
                    ) from exc
        return value


class SelectorsConfig(_Strict):
    """CSS selectors of an ``html`` source: ``item`` finds each news item on the page;
    the others are relative to it (``link`` takes the href, ``image`` the src, the rest
    the text)."""

    item: str = Field(min_length=1)
    title: str = Field(min_length=1)
    link: str | None = None
    date: str | None = None
    summary: str | None = None
    image: str | None = None
    content: str | None = None


class SourceConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=64)
    name: str = Field(min_length=1)
    url: str
    link: str | None = None
    """The source's website (http/https), shown in the outputs and the OPML export. A
    source read from a local file publishes this, never its path."""
    type: Literal["feed", "html"] = "feed"
    interval: Duration | None = None
    language: str | None = None
    priority: int = 0
    aliases: tuple[str, ...] = ()
    forms: dict[str, str] = Field(default_factory=dict)
    """Grammatical forms of the name for the attribution line: Russian cases (``acc``,
    ``gen``…), ``kk``/``en`` display names, ``kk_dat`` (Kazakh dative)."""
    enabled: bool = True
    selectors: SelectorsConfig | None = None
    """For ``type: html``: how to find the items on the page."""
    timezone: str = "Asia/Almaty"
    """The timezone of dates written without one (HTML pages, feeds without offsets)."""
    full_text: bool = False
    """Fetch each new item's page and extract the article when the feed gives a summary."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a known timezone (use e.g. Asia/Almaty)") from exc
        return value

    @model_validator(mode="after")
    def _selectors_for_html(self) -> SourceConfig:
        if self.type == "html" and self.selectors is None:
            raise ValueError("type: html needs selectors (at least item and title)")
        if self.type == "feed" and self.selectors is not None:
            raise ValueError("selectors are only used with type: html")
        return self

    @field_validator("link")
    @classmethod
    def _http_site(cls, value: str | None) -> str | None:
        if value is not None and not _is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("url")
    @classmethod
    def _url_or_path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the URL is empty")
        if urlsplit(value.strip()).scheme.lower() in ("http", "https") and _SPACE.search(value):
            raise ValueError(f"{value!r} contains a space; a URL cannot (write %20 for it)")
        if "://" in value and not _is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL or a file path")
        if typo := _SCHEME_TYPO.match(value):
            raise ValueError(
                f"{value!r} looks like a web address with a mistyped scheme; "
                f"write https://{value[typo.end() :]}"
            )
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return None if value is None else language(value)


class Config(_Strict):
    store: str = "store"
    database: str | None = None
    """SQLAlchemy URL; default: SQLite at ``<store>/aggregator.db``. For PostgreSQL:
    ``postgresql+psycopg://user@host/dbname``."""
    output: OutputSettings = OutputSettings()
    fetch: FetchSettings = FetchSettings()
    dedup: DedupConfig = DedupConfig()
    attribution: AttributionConfig = AttributionConfig()
    outputs: tuple[FilteredOutput, ...] = ()
    websub_hub: str | None = None
    """A WebSub hub: the outputs declare it and the service pings it after each change."""
    retention: Duration = timedelta(days=90)
    """Items and stories older than this are purged daily (never those still shown)."""
    sources: tuple[SourceConfig, ...] = ()

    @field_validator("websub_hub")
    @classmethod
    def _hub_url(cls, value: str | None) -> str | None:
        if value is not None and not _is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _known_output_sources(self) -> Config:
        ids = {source.id for source in self.sources}
        for output in self.outputs:
            unknown = [s for s in output.sources if s not in ids]
            if unknown:
                raise ValueError(
                    f"outputs[{output.id}].sources: unknown source id(s) {', '.join(unknown)}"
                )
        if len({o.id for o in self.outputs}) != len(self.outputs):
            raise ValueError("outputs: two outputs share an id")
        return self


@dataclass(frozen=True)
class Settings:
    """A loaded configuration with the paths it was read from resolved."""

    path: Path
    config: Config

    @property
    def store_dir(self) -> Path:
        return (self.path.parent / self.config.store).resolve()

    @property
    def database_path(self) -> Path:
        return self.store_dir / "aggregator.db"

    @property
    def database_url(self) -> str:
        return self.config.database or f"sqlite:///{self.database_path}"

    @property
    def public_dir(self) -> Path:
        return self.store_dir / "public"

    @property
    def sources(self) -> tuple[SourceConfig, ...]:
        return self.config.sources

    def source(self, source_id: str) -> SourceConfig:
        for source in self.config.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def source_location(self, source: SourceConfig) -> str:
        """The source's URL, or its file path made absolute against the config's folder."""
        if _is_http_url(source.url):
            return source.url
        path = Path(source.url.removeprefix("file://")).expanduser()
        return str(path if path.is_absolute() else (self.path.parent / path).resolve())

    def interval(self, source: SourceConfig) -> timedelta:
        return source.interval or self.config.fetch.interval


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not _SPACE.search(value)


def load_settings(path: str | Path) -> Settings:
    """Read and validate a configuration file.

    Raises:
        ConfigError: the file is missing, is not YAML, or breaks the schema; every
            problem is listed with its line.
    """
    path = Path(path)
    text = _read_text(path)
    quick = _quickly(path, text)
    if quick is not None:
        return Settings(path=path.resolve(), config=quick)
    data = _read_yaml(path, text)
    problems = [*_duplicate_ids(path, data), *_store_problems(path, data)]
    problems += _path_problems(path, data)
    try:
        config = Config.model_validate(plain(data))
    except ValidationError as exc:
        problems += [_describe(path, data, error) for error in exc.errors()]
        problems.sort(key=_line_number)
        raise ConfigError(problems, path=str(path)) from exc
    if problems:
        problems.sort(key=_line_number)
        raise ConfigError(problems, path=str(path))
    return Settings(path=path.resolve(), config=config)


def _quickly(path: Path, text: str) -> Config | None:
    """The configuration read by :mod:`aggregator.quickyaml`, when it reads the document
    and finds no problem; None: the round trip reads it again, to name each problem's
    line."""
    data = quickyaml.read(text)
    if not isinstance(data, dict):
        return None
    if any(_duplicate_ids(path, data)) or any(_store_problems(path, data)):
        return None
    if any(_path_problems(path, data)):
        return None
    try:
        return Config.model_validate(data)
    except ValidationError:
        return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: no such file (pass --config FILE)"], path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"], path=str(path)) from exc


def _read_yaml(path: Path, text: str | None = None) -> Any:
    if text is None:
        text = _read_text(path)
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise ConfigError([describe_yaml_error(path, exc)], path=str(path)) from exc
    except (ValueError, TypeError) as exc:  # a tagged value that is not its type: !!int x
        raise ConfigError([f"{path}: not valid YAML: {exc}"], path=str(path)) from exc
    return top_level_mapping(path, data)


def top_level_mapping(path: Path, data: Any) -> CommentedMap:
    """The document as a mapping (an empty one for an empty file).

    Raises:
        ConfigError: the top level is a list or a scalar.
    """
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise ConfigError([f"{path}:1: the top level must be a mapping of keys"], path=str(path))
    return data


def plain(node: Any) -> Any:
    """ruamel's commented containers → plain dicts and lists (for pydantic, comparisons)."""
    if isinstance(node, dict):
        return {str(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain(value) for value in node]
    return node


def _duplicate_ids(path: Path, data: Any) -> Iterator[str]:
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, list):
        return
    seen: dict[str, int] = {}
    for index, source in enumerate(sources):
        source_id = source.get("id") if isinstance(source, dict) else None
        if not isinstance(source_id, str):
            continue
        if source_id in seen:
            line = _line_of(data, ("sources", index, "id"))
            first = _line_of(data, ("sources", seen[source_id], "id"))
            yield (
                f"{path}:{line}: sources[{index}].id: duplicate id {source_id!r} "
                f"(first used on line {first}); give each source its own id"
            )
        else:
            seen[source_id] = index


def _store_problems(path: Path, data: Any) -> Iterator[str]:
    """A ``store`` that exists and is not a folder (nothing could be written in it)."""
    store = data.get("store", "store") if isinstance(data, dict) else None
    if not isinstance(store, str) or not store.strip():
        return
    folder = path.parent / store
    if folder.exists() and not folder.is_dir():
        yield (
            f"{path}:{_line_of(data, ('store',))}: store: {store!r} is a file; the store "
            "must be a folder (it holds the database and the published files)"
        )


def _path_problems(path: Path, data: Any) -> Iterator[str]:
    """Source URLs read as file paths that name no file and look like a web address
    without its scheme (``ulysmedia.kz/rss/``): they would fail at every fetch."""
    sources = data.get("sources") if isinstance(data, dict) else None
    for index, source in enumerate(sources if isinstance(sources, list) else ()):
        url = source.get("url") if isinstance(source, dict) else None
        if not isinstance(url, str) or "://" in url or not _HOST_LIKE.match(url):
            continue
        if (path.parent / Path(url).expanduser()).exists():
            continue
        loc = ("sources", index, "url")
        yield (
            f"{path}:{_line_of(data, loc)}: {_field_name(data, loc)}: {url!r} is no file "
            f"here and looks like a web address without its scheme; write https://{url}"
        )


def _line_number(problem: str) -> int:
    head = problem.split(": ", 1)[0]
    line = head.rsplit(":", 1)[-1]
    return int(line) if line.isdigit() else 0


def _describe(path: Path, data: Any, error: Any) -> str:
    loc: Sequence[str | int] = error["loc"]
    field = _field_name(data, loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and place)"
    elif error["type"] == "missing":
        message = "is required"
    elif error["type"] == "string_pattern_mismatch" and loc[-1] == "id":
        message = f"{error['input']!r}: use only lowercase letters, digits, '_' and '-'"
    elif (
        "input" in error
        and error["type"] not in ("value_error",)
        and not isinstance(error["input"], dict | list)
    ):
        message = f"{error['input']!r}: {message}"
    return f"{path}:{_line_of(data, loc)}: {field}: {message}"


def _field_name(data: Any, loc: Sequence[str | int]) -> str:
    """``sources.ulysmedia.url``: a field named by the id of the source (or output) it is
    in, when that id is valid and unique; else by position (``sources[1].url``)."""
    name = ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            entry_id = _entry_id(data, loc[:depth], part) if depth == 1 else None
            name += f".{entry_id}" if entry_id else f"[{part}]"
        else:
            name += f".{part}"
    return name.lstrip(".") or "(top level)"


def _entry_id(data: Any, where: Sequence[str | int], index: int) -> str | None:
    """The id of entry ``index`` of the top-level list ``where`` (``sources``,
    ``outputs``), if it is one that names it alone."""
    entries = data.get(where[0]) if isinstance(data, dict) else None
    if not isinstance(entries, list) or index >= len(entries):
        return None
    ids = [e.get("id") if isinstance(e, dict) else None for e in entries]
    entry_id = ids[index]
    if not isinstance(entry_id, str) or not _ID.fullmatch(entry_id) or ids.count(entry_id) > 1:
        return None
    return entry_id


def _line_of(data: Any, loc: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node of ``loc`` present in the YAML document."""
    line = 1
    node = data
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line
