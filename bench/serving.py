"""Output serving: our Starlette app vs a minimal Starlette endpoint with the same bytes.

    python bench/serving.py app ours --public DIR --port P       # aggregator.server.create_app
    python bench/serving.py app baseline --public DIR --port P   # one endpoint, same bytes

``load()`` drives one of them from this process with ``wrk`` when installed, else with a
small asyncio HTTP/1.1 keep-alive client (``python_load``): N concurrent connections, for
a fixed time and at most a fixed number of requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import re
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"


def baseline_app(body: bytes) -> Any:
    """The least a Starlette endpoint can do: the bytes, an ETag and 304."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    async def feed(request: Request) -> Response:
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type=RSS_TYPE, headers={"ETag": etag})

    return Starlette(routes=[Route("/feed.xml", feed)])


def serve_app(kind: str, public: Path, port: int) -> None:
    import uvicorn

    if kind == "ours":
        from aggregator.server import create_app

        app = create_app(public)
    else:
        app = baseline_app((public / "feed.xml").read_bytes())
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
    )


# -- driving a server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def app_process(kind: str, public: Path, timeout: float = 20.0) -> Any:
    """Start ``serving.py app KIND`` in a subprocess; yield its base URL; stop it."""
    port = free_port()
    cmd = [sys.executable, __file__, "app", kind, "--public", str(public), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_listening(port, proc, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited: {err[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start in {timeout}s")


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def fetch_etag(base_url: str, path: str = "/feed.xml") -> tuple[str, int]:
    """The ETag and body size of one plain GET."""
    import httpx

    response = httpx.get(base_url + path, timeout=10)
    response.raise_for_status()
    return response.headers["etag"], len(response.content)


def load(
    base_url: str,
    *,
    path: str = "/feed.xml",
    etag: str | None = None,
    connections: int = 50,
    seconds: float = 5.0,
    max_requests: int = 2_000_000,
    tool: str = "auto",
) -> LoadResult:
    """Requests per second of GET ``path`` (conditional if ``etag``) under load."""
    if tool in ("auto", "wrk") and shutil.which("wrk"):
        return wrk_load(base_url + path, etag, connections, seconds)
    return asyncio.run(python_load(base_url, path, etag, connections, seconds, max_requests))


def wrk_load(url: str, etag: str | None, connections: int, seconds: float) -> LoadResult:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if etag:
        cmd += ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if not total:
        raise RuntimeError(f"cannot read wrk output: {out}")
    scale = {"s": 1.0, "ms": 0.001, "m": 60.0}.get(total.group(3), 1.0)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    statuses = {"non_2xx_3xx": int(bad.group(1)) if bad else 0}
    if errors:
        statuses["socket_errors"] = sum(int(n) for n in re.findall(r"\d+", errors.group(1)))
    return LoadResult("wrk", int(total.group(1)), float(total.group(2)) * scale, statuses)


async def python_load(
    base_url: str,
    path: str,
    etag: str | None,
    connections: int,
    seconds: float,
    max_requests: int,
) -> LoadResult:
    """A lean keep-alive HTTP/1.1 client: ``connections`` loops until time or count."""
    host, port = base_url.removeprefix("http://").split(":")
    head = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    if etag:
        head += f"If-None-Match: {etag}\r\n"
    request = (head + "\r\n").encode()
    statuses: Counter[str] = Counter()
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while budget[0] > 0 and time.perf_counter() < deadline:
                budget[0] -= 1
                writer.write(request)
                statuses[await _read_response(reader)] += 1
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), seconds + 30)
    failures = sum(isinstance(r, BaseException) for r in done)
    if failures:
        statuses["connection_errors"] += failures
    elapsed = time.perf_counter() - started
    total = sum(v for k, v in statuses.items() if k != "connection_errors")
    return LoadResult("python", total, elapsed, dict(statuses))


async def _read_response(reader: asyncio.StreamReader) -> str:
    head = await reader.readuntil(b"\r\n\r\n")
    status = head[9:12].decode()
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if match:
        await reader.readexactly(int(match.group(1)))
    elif re.search(rb"(?i)\r\ntransfer-encoding:\s*chunked", head):
        await _skip_chunked(reader)
    return status


async def _skip_chunked(reader: asyncio.StreamReader) -> None:
    for _ in range(1_000_000):
        size = int((await reader.readuntil(b"\r\n")).strip() or b"0", 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the output for the load test.")
    sub = parser.add_subparsers(dest="command", required=True)
    app = sub.add_parser("app")
    app.add_argument("kind", choices=("ours", "baseline"))
    app.add_argument("--public", type=Path, required=True)
    app.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_app(args.kind, args.public, args.port)


if __name__ == "__main__":
    main()
