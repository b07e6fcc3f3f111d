"""Every error the aggregator raises on purpose.

The tree::

    AggregatorError                     base; carries what it is about
    ├── ConfigError(ValueError)         feeds.yaml is missing or invalid (all problems at once)
    ├── FetchError                      a source could not be fetched
    │   ├── HTTPStatusError             the server answered with an error status
    │   │   └── GoneError               410 Gone: the source is disabled
    │   ├── TooManyRequestsError        429/503 with Retry-After
    │   ├── NetworkError                DNS, connection, TLS, timeout
    │   ├── RedirectError               a loop or too many redirects, or a bad Location
    │   ├── AddressNotAllowedError      the host resolves to a private/loopback address
    │   └── ResponseTooLargeError       the body passed the size limit
    ├── ParseError(ValueError)          the body is not a feed we can read
    │   └── NotAFeedError               HTML, an image or empty where a feed was expected
    ├── StoreError                      the database refused (locked, schema)
    ├── PublishError                    the output could not be written
    ├── DiskFullError                   no space left for the database or the output
    └── ListenError                     the service cannot listen on its address (port in use)

Bad-input errors also derive from ``ValueError`` so callers can treat them as such.
"""

from __future__ import annotations

from datetime import datetime


class AggregatorError(Exception):
    """Base of every error we raise on purpose."""

    def __init__(self, message: str, *, source_id: str | None = None, url: str | None = None):
        super().__init__(message)
        self.message = message
        self.source_id = source_id
        self.url = url

    def __str__(self) -> str:
        return self.message


class ConfigError(AggregatorError, ValueError):
    """The configuration file is missing or invalid; ``problems`` lists every one."""

    def __init__(self, problems: list[str], *, path: str | None = None):
        self.problems = problems
        self.path = path
        super().__init__("\n".join(problems))


class FetchError(AggregatorError):
    """A source could not be fetched."""

    #: A short machine-readable kind, stored with the source and shown in the status.
    kind = "fetch"


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    kind = "http"

    def __init__(
        self, message: str, *, status: int, source_id: str | None = None, url: str | None = None
    ):
        super().__init__(message, source_id=source_id, url=url)
        self.status = status


class GoneError(HTTPStatusError):
    """410 Gone: the feed is no more; the source gets disabled."""

    kind = "gone"


class TooManyRequestsError(HTTPStatusError):
    """429 or 503: the server asked us to wait until ``retry_at``."""

    kind = "throttled"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_at: datetime | None,
        source_id: str | None = None,
        url: str | None = None,
    ):
        super().__init__(message, status=status, source_id=source_id, url=url)
        self.retry_at = retry_at


class NetworkError(FetchError):
    """DNS failure, refused connection, TLS error or timeout."""

    kind = "network"


class RedirectError(FetchError):
    """A redirect loop, too many redirects or a redirect without a usable Location."""

    kind = "redirect"


class AddressNotAllowedError(FetchError, ValueError):
    """The URL resolves to a loopback/private/link-local/reserved address."""

    kind = "address"


class ResponseTooLargeError(FetchError):
    """The response body passed the configured size limit."""

    kind = "too_large"


class ParseError(AggregatorError, ValueError):
    """The body could not be read as a feed."""

    kind = "parse"


class NotAFeedError(ParseError):
    """The body is something else: an HTML page, an image, nothing."""

    kind = "not_a_feed"


class StoreError(AggregatorError):
    """The database could not be used (locked by another process, wrong schema)."""


class PublishError(AggregatorError):
    """The output files could not be written."""


class DiskFullError(AggregatorError):
    """No space is left on the file system (or the database server) that holds the store
    or the output: nothing of the write was kept, and what was there before stays."""

    kind = "disk_full"

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path


class ListenError(AggregatorError):
    """The service cannot listen on its address: the port is in use, or the host is not
    an address of this machine."""

    def __init__(self, message: str, *, host: str, port: int):
        super().__init__(message)
        self.host = host
        self.port = port
