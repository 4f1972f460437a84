"""Load-test the web platform on loopback (issue 4), on a fresh demo database (演示数据).

The script

1. builds the demo database in a temporary directory (as ``demonitor demo`` does) and adds a
   signed-in user ``bench-office`` (role office) for the pages and API that need one;
2. starts ``demonitor serve`` in a separate process on 127.0.0.1 and a free port (``--workers``,
   default one per CPU, as an operator would run it), signs in once and warms the result cache
   with one GET of each target;
3. runs each scenario for the full duration with N concurrent clients in a closed loop (each
   client sends its next request when the previous one has returned, on a keep-alive connection,
   with the session cookie, timeout 10 s):

   - ``dashboard-api``: /api/v1/overview, /api/v1/districts, /api/v1/alerts,
     /api/v1/indicators/DE05, round-robin;
   - ``dashboard-pages``: /, /districts, /indicators/DE05, /alerts, round-robin;
   - ``static``: /static/css/app.css (or /static/favicon.svg): the ceiling of the same server;

4. prints requests, requests/s, p50/p95/p99/max latency (successful requests) and errors (any
   status other than 200, exception or timeout) per scenario, with the CPU used by the client,
   the server and the whole machine, and writes them to ``bench/out/web_load.json``.

The default client speaks HTTP/1.1 directly over asyncio streams: it costs a fraction of the CPU
of ``httpx`` (``--client httpx`` to compare), so that on a small machine the generator, which
shares the cores with the server, takes as little of them as possible. ``--processes 2`` splits
the clients over two generator processes and merges their latencies.

Goal: p95 ≤ 100 ms and 0 errors, 50 clients, on 2 cores with SQLite.

    .venv/bin/python bench/web_load.py
    .venv/bin/python bench/web_load.py --quick
    .venv/bin/python bench/web_load.py --duration 30 --clients 20 --scenarios dashboard-api

Cold overview (``--cold-overview demo|city|all``): the time of the first dashboard overview after
a write, which misses the result cache because every write moves the data version. A district
user (demo account ``hailing``) submits one value through ``POST /api/v1/submissions`` and the
office (``office``) approves it through ``POST /api/v1/review/{id}/approve``; then the first
``GET /api/v1/overview`` is timed (and a second, warm one; ``--page`` also times ``GET /`` after
a write of its own). Median, min and max of ``--repeats`` (default 10), on ``--backend sqlite``,
``postgresql`` or ``both``, against ``demonitor serve --workers 1`` on 127.0.0.1, with API
tokens made by ``demonitor token create``. ``demo`` is the database ``demonitor demo`` builds;
``city`` adds a register of 100,000 enterprises (``demonitor demo register --rows 100000
--seed 1``, its planned defective rows dropped, imported as ``register``) and deterministic
synthetic financials of all of them for 2023 and 2024 (``import financials``), and also times
``demonitor account --period 2024``. The city database takes minutes to build: it is cached under
``$TMPDIR/demonitor-bench-cache`` (SQLite file, or ``pg_dump`` of the PostgreSQL database) keyed
by rows, seed, ``demonitor --version``, schema revision and checkout, upgraded with
``demonitor db upgrade`` when reused;
``--rebuild`` makes it again. On PostgreSQL each scenario gets a new database on the local server,
dropped at the end. Everything goes through the CLI and the HTTP API, never the package's
internals, so the figures stay comparable while the computation behind them changes.

    .venv/bin/python bench/web_load.py --cold-overview demo
    .venv/bin/python bench/web_load.py --cold-overview city --backend both --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"
DEFAULT_CLIENTS = 50
DEFAULT_DURATION = 60.0
QUICK_DURATION = 5.0
TIMEOUT_S = 10.0
STARTUP_TIMEOUT_S = 60.0
HOST = "127.0.0.1"
SECRET_KEY = "bench"
USERNAME = "bench-office"
PASSWORD = "bench-password-1"
COOKIE = "demonitor_session"
GOAL_P95_MS = 100.0
GOAL_TEXT = f"p95 ≤ {GOAL_P95_MS:.0f} ms and 0 errors"
# A single asyncio generator process above this share of one core may be holding the load back.
GENERATOR_BUSY = 0.8
OTHERS_BUSY = 0.2  # cores used by other processes meanwhile worth a warning

STATIC_TARGETS = ("/static/css/app.css", "/static/favicon.svg")  # the first that answers 200
SCENARIOS: dict[str, tuple[str, ...]] = {
    "dashboard-api": (
        "/api/v1/overview",
        "/api/v1/districts",
        "/api/v1/alerts",
        "/api/v1/indicators/DE05",
    ),
    "dashboard-pages": ("/", "/districts", "/indicators/DE05", "/alerts"),
    "static": STATIC_TARGETS[:1],
}


def say(message: str) -> None:
    print(message, flush=True)


# Measurements -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one generator process saw: latencies (s) of successful requests per path, errors."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    error_paths: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0

    def ok(self, path: str, seconds: float, size: int) -> None:
        self.latencies.setdefault(path, []).append(seconds)
        self.body_bytes += size

    def error(self, path: str, kind: str) -> None:
        self.errors[kind] += 1
        self.error_paths[path] += 1

    def merge(self, other: Tally) -> None:
        for path, values in other.latencies.items():
            self.latencies.setdefault(path, []).extend(values)
        self.errors.update(other.errors)
        self.error_paths.update(other.error_paths)
        self.body_bytes += other.body_bytes
        self.elapsed_s = max(self.elapsed_s, other.elapsed_s)
        self.cpu_s += other.cpu_s


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {key: math.nan for key in ("mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms")}
    return {
        "mean_ms": 1000 * sum(ordered) / len(ordered),
        "p50_ms": 1000 * percentile(ordered, 50),
        "p95_ms": 1000 * percentile(ordered, 95),
        "p99_ms": 1000 * percentile(ordered, 99),
        "max_ms": 1000 * ordered[-1],
    }


@dataclass
class CpuSample:
    """CPU seconds so far: the server process and the whole machine (Linux ``/proc``)."""

    at: float
    server_s: float | None
    machine_busy_s: float | None

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        return cls(time.perf_counter(), _process_cpu_s(server_pid), _machine_busy_s())


def _stat_fields(pid: int | str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _process_cpu_s(pid: int) -> float | None:
    """CPU seconds of the server: its process and its workers (direct children)."""
    try:
        pids = [str(pid)]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, IndexError):
                    if _stat_fields(entry.name)[1] == str(pid):
                        pids.append(entry.name)
        ticks = 0
        for one in pids:
            with suppress(OSError, IndexError):
                fields = _stat_fields(one)
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def _machine_busy_s() -> float | None:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, IndexError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    busy = sum(values[:8]) - idle  # without guest time, already counted in user
    return busy / os.sysconf("SC_CLK_TCK")


def _share(before: float | None, after: float | None, wall: float) -> float | None:
    """CPU used over ``wall`` seconds, in cores (1.0 = one core fully busy)."""
    if before is None or after is None or wall <= 0:
        return None
    return (after - before) / wall


@dataclass
class ScenarioResult:
    name: str
    paths: tuple[str, ...]
    tally: Tally
    server_cores: float | None
    machine_cores: float | None
    load_before: tuple[float, float, float] | None

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())

    @property
    def ok_count(self) -> int:
        return sum(len(v) for v in self.tally.latencies.values())

    @property
    def requests(self) -> int:
        return self.ok_count + self.errors

    @property
    def rps(self) -> float:
        return self.requests / self.tally.elapsed_s if self.tally.elapsed_s else 0.0

    @property
    def client_cores(self) -> float:
        return self.tally.cpu_s / self.tally.elapsed_s if self.tally.elapsed_s else 0.0

    def latency(self) -> dict[str, float]:
        return latency_summary([v for values in self.tally.latencies.values() for v in values])

    def met(self) -> bool:
        p95 = self.latency()["p95_ms"]
        return self.errors == 0 and self.ok_count > 0 and p95 <= GOAL_P95_MS

    def as_json(self) -> dict[str, Any]:
        per_path = {
            path: {
                "requests": len(self.tally.latencies.get(path, []))
                + self.tally.error_paths.get(path, 0),
                "errors": self.tally.error_paths.get(path, 0),
                **_rounded(latency_summary(self.tally.latencies.get(path, []))),
            }
            for path in self.paths
        }
        return {
            "scenario": self.name,
            "paths": list(self.paths),
            "requests": self.requests,
            "seconds": round(self.tally.elapsed_s, 3),
            "requests_per_s": round(self.rps, 1),
            **_rounded(self.latency()),
            "errors": self.errors,
            "error_kinds": dict(self.tally.errors),
            "mean_body_bytes": round(self.tally.body_bytes / self.ok_count) if self.ok_count else 0,
            "client_cpu_cores": round(self.client_cores, 3),
            "server_cpu_cores": None if self.server_cores is None else round(self.server_cores, 3),
            "other_processes_cpu_cores": None
            if (others := _others(self)) is None
            else round(others, 3),
            "machine_cpu_cores": None
            if self.machine_cores is None
            else round(self.machine_cores, 3),
            "load_average_before": self.load_before,
            "goal_met": self.met(),
            "per_path": per_path,
        }


def _rounded(values: dict[str, float]) -> dict[str, float | None]:
    return {k: None if math.isnan(v) else round(v, 2) for k, v in values.items()}


# The load generator -----------------------------------------------------------------------------


def raw_request(path: str, port: int, cookie: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: demonitor-bench\r\n"
        f"Accept: */*\r\nCookie: {COOKIE}={cookie}\r\n\r\n"
    ).encode("ascii")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """Status, body size and whether the connection may be reused, of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = b"close" not in value.lower()
    size = 0
    if chunked:
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if chunk == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                break
            await reader.readexactly(chunk + 2)
            size += chunk
    elif length is not None:
        await reader.readexactly(length)
        size = length
    else:  # the body ends with the connection
        size = len(await reader.read())
        keep_alive = False
    return status, size, keep_alive


async def raw_worker(
    port: int, cookie: str, paths: Sequence[str], offset: int, deadline: float, tally: Tally
) -> None:
    requests = [(path, raw_request(path, port, cookie)) for path in paths]
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    number = offset
    try:
        while time.perf_counter() < deadline:
            path, request = requests[number % len(requests)]
            number += 1
            start = time.perf_counter()
            try:
                async with asyncio.timeout(TIMEOUT_S):
                    if streams is None:
                        streams = await asyncio.open_connection(HOST, port)
                    reader, writer = streams
                    writer.write(request)
                    status, size, keep_alive = await read_response(reader)
            except TimeoutError:
                tally.error(path, "timeout")
                _close(streams)
                streams = None
                continue
            except (OSError, EOFError, ValueError, IndexError, asyncio.LimitOverrunError) as error:
                # a refused or reset connection, an early end (IncompleteReadError) or a bad answer
                tally.error(path, type(error).__name__)
                _close(streams)
                streams = None
                continue
            elapsed = time.perf_counter() - start
            if status == 200:
                tally.ok(path, elapsed, size)
            else:
                tally.error(path, f"HTTP {status}")
            if not keep_alive:
                _close(streams)
                streams = None
    finally:
        _close(streams)


def _close(streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if streams is not None:
        streams[1].close()


async def httpx_workers(
    port: int,
    cookie: str,
    paths: Sequence[str],
    offsets: Sequence[int],
    deadline: float,
    tally: Tally,
) -> None:
    import httpx

    limits = httpx.Limits(max_connections=len(offsets), max_keepalive_connections=len(offsets))
    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}",
        headers={"Cookie": f"{COOKIE}={cookie}", "User-Agent": "demonitor-bench"},
        timeout=TIMEOUT_S,
        limits=limits,
    ) as client:

        async def worker(offset: int) -> None:
            number = offset
            while time.perf_counter() < deadline:
                path = paths[number % len(paths)]
                number += 1
                start = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.TimeoutException:
                    tally.error(path, "timeout")
                    continue
                except httpx.HTTPError as error:
                    tally.error(path, type(error).__name__)
                    continue
                elapsed = time.perf_counter() - start
                if response.status_code == 200:
                    tally.ok(path, elapsed, len(response.content))
                else:
                    tally.error(path, f"HTTP {response.status_code}")

        await asyncio.gather(*(worker(offset) for offset in offsets))


@dataclass(frozen=True)
class LoadPlan:
    port: int
    cookie: str
    paths: tuple[str, ...]
    duration_s: float
    client: str  # "raw" or "httpx"


def generate(plan: LoadPlan, offsets: Sequence[int], start_at: float) -> Tally:
    """Run the clients numbered ``offsets`` from wall time ``start_at`` for the duration."""
    tally = Tally()

    async def run() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu_before, began = time.process_time(), time.perf_counter()
        deadline = began + plan.duration_s
        if plan.client == "httpx":
            await httpx_workers(plan.port, plan.cookie, plan.paths, offsets, deadline, tally)
        else:
            await asyncio.gather(
                *(
                    raw_worker(plan.port, plan.cookie, plan.paths, offset, deadline, tally)
                    for offset in offsets
                )
            )
        tally.elapsed_s = time.perf_counter() - began
        tally.cpu_s = time.process_time() - cpu_before

    asyncio.run(run())
    return tally


def _generate_in_child(arguments: tuple[LoadPlan, list[int], float]) -> Tally:
    return generate(*arguments)


def run_load(
    plan: LoadPlan, clients: int, processes: int, server_pid: int
) -> tuple[Tally, CpuSample, CpuSample]:
    """All clients in this process, or spread over ``processes`` processes and merged; with the
    CPU samples taken when the load starts and when it ends."""
    if processes <= 1:
        before = CpuSample.take(server_pid)
        tally = generate(plan, range(clients), time.time())
        return tally, before, CpuSample.take(server_pid)
    shares = [list(range(clients))[i::processes] for i in range(processes)]
    start_at = time.time() + 2.0  # every process starts at the same moment, once spawned
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        pending = pool.map_async(_generate_in_child, [(plan, share, start_at) for share in shares])
        time.sleep(max(0.0, start_at - time.time()))
        before = CpuSample.take(server_pid)
        parts = pending.get()
        after = CpuSample.take(server_pid)
    merged = Tally()
    for part in parts:
        merged.merge(part)
    return merged, before, after


# The server -------------------------------------------------------------------------------------


def build_database(url: str) -> float:
    """The demo database and the bench user, as ``demonitor demo`` builds it; seconds taken."""
    from demonitor.core.permissions import Role
    from demonitor.demo.database import build_demo
    from demonitor.services.users import add_user
    from demonitor.store.db import make_engine, session_scope, upgrade

    start = time.perf_counter()
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            build_demo(session)
        with session_scope(engine) as session:
            add_user(
                session,
                "bench",
                USERNAME,
                Role.OFFICE,
                password=PASSWORD,
                must_change_password=False,
            )
    finally:
        engine.dispose()
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    url: str, port: int, home: Path, log: Path, workers: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``demonitor serve`` in a child process, as an operator runs it, answering on ``port``;
    stopped on leaving. Its workers share the secret key, so one sign-in serves them all."""
    import httpx

    env = {**os.environ, "DEMONITOR_HOME": str(home), "DEMONITOR_SECRET_KEY": SECRET_KEY}
    command = [sys.executable, "-m", "demonitor", "serve", "--host", HOST, "--port", str(port)]
    command += ["--database-url", url, "--workers", str(workers)]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            command,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"demonitor serve did not start (exited with {server.returncode}); "
                    f"the end of its log:\n{_tail(log)}"
                )
            try:
                if httpx.get(f"http://{HOST}:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"demonitor serve did not answer GET /login within {STARTUP_TIMEOUT_S:.0f} s; "
                    f"the end of its log:\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _tail(log: Path) -> str:
    with suppress(OSError):
        return log.read_text(errors="replace")[-3_000:].strip()
    return ""


def sign_in(port: int) -> str:
    """The session cookie of ``bench-office``, signed in through the login form."""
    import httpx

    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=TIMEOUT_S) as client:
        form = client.get("/login")
        form.raise_for_status()
        found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if found is None:
            raise RuntimeError("no csrf_token in the login form")
        answer = client.post(
            "/login",
            data={
                "username": USERNAME,
                "password": PASSWORD,
                "csrf_token": found.group(1),
                "next": "/",
            },
        )
        if answer.status_code != 303 or answer.headers.get("location") != "/":
            raise RuntimeError(f"sign-in failed: HTTP {answer.status_code} {answer.text[:300]}")
        cookie = client.cookies.get(COOKIE)
        if not cookie:
            raise RuntimeError("sign-in set no session cookie")
        return cookie


def warm(port: int, cookie: str, paths: Sequence[str]) -> dict[str, tuple[int, float, int]]:
    """One GET of each path: status, milliseconds and body size (fills the result cache)."""
    import httpx

    seen: dict[str, tuple[int, float, int]] = {}
    with httpx.Client(
        base_url=f"http://{HOST}:{port}", cookies={COOKIE: cookie}, timeout=60
    ) as client:
        for path in paths:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = 1000 * (time.perf_counter() - start)
            seen[path] = (response.status_code, elapsed, len(response.content))
    return seen


# Report -----------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.1f}"


def fmt_cores(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _others(result: ScenarioResult) -> float | None:
    """Cores used by processes other than the generator and the server during a scenario."""
    if result.machine_cores is None or result.server_cores is None:
        return None
    return max(0.0, result.machine_cores - result.server_cores - result.client_cores)


def report(results: Sequence[ScenarioResult], cpus: int, processes: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 140)  # a log or a pipe: do not fold the table
    table = Table(title="web load (CPU: % of one core)")
    for column in ("scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for column in ("errors", "client CPU", "server CPU", "machine CPU", "goal"):
        table.add_column(column, justify="right")
    for r in results:
        lat = r.latency()
        table.add_row(
            r.name,
            f"{r.requests:,}",
            f"{r.rps:,.1f}",
            fmt_ms(lat["p50_ms"]),
            fmt_ms(lat["p95_ms"]),
            fmt_ms(lat["p99_ms"]),
            fmt_ms(lat["max_ms"]),
            f"{r.errors:,}",
            fmt_cores(r.client_cores),
            fmt_cores(r.server_cores),
            fmt_cores(r.machine_cores),
            "MET" if r.met() else "NOT MET",
        )
    console.print(table)

    detail = Table(title="per target (successful requests)")
    for column in ("scenario", "path", "requests", "p50 ms", "p95 ms", "p99 ms", "errors"):
        detail.add_column(column, justify="left" if column in ("scenario", "path") else "right")
    for r in results:
        for path in r.paths:
            values = r.tally.latencies.get(path, [])
            lat = latency_summary(values)
            errors = r.tally.error_paths.get(path, 0)
            detail.add_row(
                r.name,
                path,
                f"{len(values) + errors:,}",
                fmt_ms(lat["p50_ms"]),
                fmt_ms(lat["p95_ms"]),
                fmt_ms(lat["p99_ms"]),
                f"{errors:,}",
            )
    console.print(detail)

    for r in results:
        if r.errors:
            kinds = ", ".join(f"{kind} ×{count}" for kind, count in r.tally.errors.most_common())
            say(f"errors in {r.name}: {kinds}")
        others = _others(r)
        if others is not None and others > OTHERS_BUSY:
            say(
                f"warning: during {r.name} other processes used about {100 * others:.0f}% of a "
                "core: the figures are pessimistic; run again on a quiet machine"
            )
        busy = r.client_cores / max(1, processes)
        if busy > GENERATOR_BUSY:
            say(
                f"warning: in {r.name} each generator process used {100 * busy:.0f}% of a core: "
                "the generator may be limiting the load (try --processes 2)"
            )
    say(
        f"machine: {cpus} CPU(s); client (load generator) and server share them, so every "
        "figure includes the generator's own CPU use. 'machine CPU' also counts any other "
        "process running meanwhile."
    )
    for r in results:
        lat = r.latency()
        say(
            f"goal {GOAL_TEXT}, {r.name}: {'MET' if r.met() else 'NOT MET'} "
            f"(p95 {fmt_ms(lat['p95_ms'])} ms, {r.errors} errors)"
        )


# Cold overview: the first dashboard overview after a write --------------------------------------
#
# Every write bumps the data version (the highest audit id), so the first reader after it misses
# the result cache and waits for the figures to be recomputed. Everything below drives the
# platform as an operator would: the ``demonitor`` CLI to build the databases and make API
# tokens, and the HTTP API of a real ``demonitor serve`` on loopback for the write and the reads,
# so that it keeps measuring the same thing however the figures come to be computed.

COLD_CHOICES = ("demo", "city", "all")
BACKEND_CHOICES = ("sqlite", "postgresql", "both")
DEFAULT_REPEATS = 10
DEFAULT_ACCOUNT_RUNS = 3
COLD_TIMEOUT_S = 1800.0  # a cold overview of a large database may take minutes today
CITY_ROWS = 100_000
CITY_SEED = 1
CITY_YEARS = (2023, 2024)
ACCOUNT_PERIOD = "2024"
SUBMIT_PERIOD = "2024"
# Demo accounts (``demonitor demo`` makes them, one per role): a district that submits and the
# office that approves and reads the overview.
SUBMITTER = "hailing"
REVIEWER = "office"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Bump when the way the city database is built changes: cached builds are then made again.
CITY_BUILD_VERSION = 1
CACHE_DIR = Path(tempfile.gettempdir()) / "demonitor-bench-cache"
LOOPBACK_HOSTS = frozenset({None, "", "127.0.0.1", "localhost", "::1", "[::1]"})
# Columns of the financials template, recognised by words of their Chinese headers.
FINANCIAL_HEADERS = (
    ("credit_code", "信用代码"),
    ("period", "期别"),
    ("revenue", "营业收入"),
    ("value_added", "增加值"),
    ("employees", "从业人员"),
)


class BenchError(RuntimeError):
    """The bench cannot go on (a command failed, the server did not start): exit non-zero."""


_started = time.perf_counter()


def progress(message: str) -> None:
    say(f"[{time.perf_counter() - _started:7.1f} s] {message}")


def demonitor(
    *args: str, home: Path, check: bool = True, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``demonitor ARGS`` as an operator would, in a child process (wide output: no folding
    of the printed secrets)."""
    env = {**os.environ, "DEMONITOR_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "demonitor", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3_000:]
        raise BenchError(f"demonitor {' '.join(args)} exited with {done.returncode}:\n{output}")
    if not quiet and done.returncode == 0:
        # The last line of text, not of a table's frame (box-drawing characters).
        lines = (ln.strip() for ln in reversed(done.stdout.splitlines()))
        last = next((ln for ln in lines if ln and not "\u2500" <= ln[0] <= "\u257f"), "")
        if last:
            progress(f"  {last[:160]}")
    return done


def timed_demonitor(*args: str, home: Path) -> float:
    start = time.perf_counter()
    demonitor(*args, home=home, quiet=True)
    return time.perf_counter() - start


def api_token(url: str, username: str, home: Path) -> str:
    """A new API token of a user (``demonitor token create``): the last line printed."""
    done = demonitor(
        "token",
        "create",
        username,
        "--name",
        "bench-cold",
        "--database-url",
        url,
        home=home,
        quiet=True,
    )
    lines = [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]
    if not lines or " " in lines[-1]:
        raise BenchError(f"no token in the output of token create:\n{done.stdout[-1_000:]}")
    return lines[-1]


def import_register(url: str, register: Path, home: Path) -> None:
    """Import the synthetic register. Its planned defects (about 3 % of the rows) refuse the
    whole file, so the rows named in ``FILE.errors.csv`` are dropped and the rest imported."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    done = demonitor(
        "import", "register", str(register), "--database-url", url, home=home, check=False
    )
    if done.returncode == 0:
        return
    errors_file = register.with_name(register.name + ".errors.csv")
    if not errors_file.is_file():
        raise BenchError(f"import register failed and wrote no error list:\n{done.stderr[-2_000:]}")
    with errors_file.open(encoding="utf-8-sig", newline="") as handle:
        # Spreadsheet row numbers: the header is row 1, the first data row row 2.
        rows = [row.get("row") or "" for row in csv.DictReader(handle)]
    rejected = {int(row) - 2 for row in rows if row.isdigit()}
    table = pq.read_table(register)
    kept = [i for i in range(table.num_rows) if i not in rejected]
    clean = register.with_name("register-clean.parquet")
    pq.write_table(table.take(pa.array(kept, type=pa.int64())), clean)
    progress(f"  {len(rejected):,} defective rows dropped (planned defects), {len(kept):,} kept")
    demonitor("import", "register", str(clean), "--database-url", url, home=home)
    register.unlink()
    clean.rename(register)


def _hash64(text: str) -> int:
    import hashlib

    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def write_financials(register: Path, url: str, out: Path, home: Path) -> int:
    """Synthetic but deterministic financials (营业收入, sometimes 增加值, 从业人员) of every
    enterprise of the register for ``CITY_YEARS``, under the headers of the template that
    ``demonitor template financials`` writes. Returns the number of rows."""
    import csv

    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    template = out.with_name("financials-template.xlsx")
    demonitor(
        "template", "financials", "-o", str(template), "--database-url", url, home=home, quiet=True
    )
    workbook = load_workbook(template, read_only=True)
    try:
        first = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True))
    finally:
        workbook.close()
    headers = [str(cell or "") for cell in first]
    position: dict[str, int] = {}
    for name, word in FINANCIAL_HEADERS:
        found = [i for i, text in enumerate(headers) if word in text and i not in position.values()]
        if not found:
            raise BenchError(f"the financials template has no column {word}: {headers}")
        position[name] = found[0]
    for money in ("revenue", "value_added"):
        if "万元" not in headers[position[money]]:
            raise BenchError(f"expected amounts in 万元 in the template: {headers}")
    codes = pq.read_table(register, columns=["credit_code"]).column(0).to_pylist()
    rows = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for code in codes:
            h = _hash64(str(code))
            # 2 万元 … 1.3 亿元, log-uniform: many small units, a few large ones; the core value
            # added comes to some 7 % of the demo GDP.
            revenue = 10 ** (0.3 + 3.5 * (h % 10_007) / 10_007)
            reports_value_added = (h >> 20) % 4 == 0  # a quarter report it, the rest estimated
            rate = 0.15 + ((h >> 24) % 30) / 100
            staff = max(1, int(revenue / (20 + (h >> 32) % 60)))
            for number, year in enumerate(CITY_YEARS):
                growth = (1 + (((h >> (40 + 4 * number)) % 200) - 50) / 1_000) ** number
                cells = [""] * len(headers)
                cells[position["credit_code"]] = str(code)
                cells[position["period"]] = str(year)
                cells[position["revenue"]] = f"{revenue * growth:.1f}"
                if reports_value_added:
                    cells[position["value_added"]] = f"{revenue * growth * rate:.1f}"
                cells[position["employees"]] = str(staff)
                writer.writerow(cells)
                rows += 1
    template.unlink()
    return rows


def build_city(url: str, work: Path, home: Path, rows: int, seed: int) -> None:
    """The demo database, a register of ``rows`` enterprises classified on import, and their
    financials for ``CITY_YEARS`` — all through the CLI."""
    progress("city: demonitor demo")
    demonitor("demo", "--database-url", url, home=home)
    register = work / "register.parquet"
    progress(f"city: demonitor demo register --rows {rows} --seed {seed}")
    demonitor(
        "demo", "register", "--rows", str(rows), "--seed", str(seed), "-o", str(register), home=home
    )
    progress("city: demonitor import register (classified on the way in)")
    import_register(url, register, home)
    financials = work / "financials.csv"
    written = write_financials(register, url, financials, home)
    years = "/".join(str(y) for y in CITY_YEARS)
    progress(f"city: demonitor import financials ({written:,} rows, {years}; takes minutes)")
    demonitor("import", "financials", str(financials), "--database-url", url, home=home)
    financials.unlink()
    register.unlink()


def cache_key(rows: int, seed: int, home: Path) -> str:
    """What a cached city database depends on: its parameters, the version of ``demonitor``, the
    schema revision this checkout migrates to, and the checkout itself (two clones sharing the
    machine's temp dir must not take each other's builds)."""
    version = demonitor("--version", home=home, quiet=True).stdout.strip().split()[-1:]
    label = re.sub(r"[^0-9A-Za-z.+-]", "_", version[0] if version else "unknown")
    with tempfile.TemporaryDirectory(prefix="demonitor-probe-") as probe:
        upgraded = demonitor(
            "db", "upgrade", "--database-url", f"sqlite:///{probe}/probe.db", home=home, quiet=True
        )
    found = re.search(r"revision\s+(\w+)", upgraded.stdout)
    revision = found.group(1) if found else "unknown"
    checkout = f"{_hash64(str(HERE.parent.resolve())):016x}"[:8]
    return f"city-r{rows}-s{seed}-b{CITY_BUILD_VERSION}-v{label}-rev{revision}-{checkout}"


# PostgreSQL: a database of its own on the local server, dropped afterwards.


def check_loopback_url(url: str) -> None:
    from sqlalchemy.engine import make_url

    host = make_url(url).host
    if host not in LOOPBACK_HOSTS:
        raise BenchError(f"PostgreSQL must be on loopback (127.0.0.1), not {host}")


def libpq_url(url: str) -> str:
    """The URL for psql/pg_dump (no SQLAlchemy driver name)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def postgres_database(admin_url: str, label: str) -> Iterator[str]:
    """A new, empty database on the local server, dropped on leaving; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    check_loopback_url(admin_url)
    name = f"bench_cold_{label}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        raise BenchError(f"cannot create a database on {admin_url}: {error}") from error
    progress(f"postgresql: database {name} created")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        progress(f"postgresql: database {name} dropped")


def prepare_city(
    backend: str, url: str, work: Path, home: Path, rows: int, seed: int, rebuild: bool
) -> tuple[str, float, bool]:
    """Build the city database at ``url`` (an SQLite file in ``work``, or an empty PostgreSQL
    database), from the cache when a build with the same parameters is there. Returns the URL,
    the seconds taken and whether the cache served it."""
    start = time.perf_counter()
    key = f"{cache_key(rows, seed, home)}-{backend}"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        cached = CACHE_DIR / f"{key}.db"
        target = Path(url.removeprefix("sqlite:///"))
        if cached.is_file() and not rebuild:
            progress(f"city (sqlite): copy of the cached {cached}")
            shutil.copyfile(cached, target)
            demonitor("db", "upgrade", "--database-url", url, home=home)
            return url, time.perf_counter() - start, True
        build_city(url, work, home, rows, seed)
        partial = cached.with_suffix(".partial")
        shutil.copyfile(target, partial)
        partial.rename(cached)
        progress(f"city (sqlite): cached as {cached} (--rebuild to make it again)")
        return url, time.perf_counter() - start, False
    dump = CACHE_DIR / f"{key}.dump"
    if dump.is_file() and not rebuild and shutil.which("pg_restore"):
        progress(f"city (postgresql): pg_restore of the cached {dump}")
        restored = subprocess.run(
            ["pg_restore", "--no-owner", "-d", libpq_url(url), str(dump)],
            capture_output=True,
            text=True,
            check=False,
        )
        if restored.returncode != 0:
            raise BenchError(f"pg_restore failed:\n{restored.stderr[-2_000:]}")
        demonitor("db", "upgrade", "--database-url", url, home=home)
        return url, time.perf_counter() - start, True
    build_city(url, work, home, rows, seed)
    if shutil.which("pg_dump"):
        partial = dump.with_suffix(".partial")
        dumped = subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", "-f", str(partial), libpq_url(url)],
            capture_output=True,
            text=True,
            check=False,
        )
        if dumped.returncode == 0:
            partial.rename(dump)
            progress(f"city (postgresql): cached as {dump} (--rebuild to make it again)")
        else:
            progress(f"city (postgresql): not cached, pg_dump failed: {dumped.stderr[-300:]}")
    return url, time.perf_counter() - start, False


# The measurement.


@dataclass
class ColdResult:
    scenario: str
    backend: str
    build_s: float
    cached: bool
    workers: int
    times: dict[str, list[float]] = field(default_factory=dict)  # seconds per measurement
    load_before: tuple[float, float, float] | None = None  # the machine's load average

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "backend": self.backend,
            "database_build_s": round(self.build_s, 1),
            "database_from_cache": self.cached,
            "server_workers": self.workers,
            "load_average_before": self.load_before,
            "measurements": {
                name: {
                    "n": len(values),
                    "median_ms": round(1000 * statistics.median(values), 1),
                    "min_ms": round(1000 * min(values), 1),
                    "max_ms": round(1000 * max(values), 1),
                    "all_ms": [round(1000 * v, 1) for v in values],
                }
                for name, values in self.times.items()
            },
        }


M_START = "overview API, first after server start"
M_SUBMIT = "write: district saves+submits (POST /api/v1/submissions)"
M_APPROVE = "write: office approves (POST /api/v1/review/{id}/approve)"
M_COLD = "COLD overview API (first GET /api/v1/overview after approval)"
M_WARM = "warm overview API (second GET /api/v1/overview)"
M_PAGE = "COLD overview page (first GET / after approval)"
M_ACCOUNT = f"demonitor account --period {ACCOUNT_PERIOD} (whole CLI run)"
M_CLI = "demonitor --version (CLI start-up, for reference)"


class Api:
    """HTTP calls to the server with a bearer token (no CSRF needed), each checked and timed."""

    def __init__(self, port: int, token: str) -> None:
        import httpx

        self.client = httpx.Client(
            base_url=f"http://{HOST}:{port}",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "demonitor-bench"},
            timeout=COLD_TIMEOUT_S,
        )

    def call(self, method: str, path: str, body: object = None) -> tuple[float, Any]:
        import httpx

        start = time.perf_counter()
        try:
            response = self.client.request(method, path, json=body)
        except httpx.HTTPError as error:  # refused, reset, or no answer within the timeout
            raise BenchError(f"{method} {path}: {type(error).__name__} {error}") from error
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise BenchError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        kind = response.headers.get("content-type", "")
        return elapsed, response.json() if kind.startswith("application/json") else None

    def close(self) -> None:
        self.client.close()


def pick_duty(duties: Sequence[dict[str, Any]]) -> tuple[str, str, float]:
    """A value the district owes with a published value that can move a little either way."""
    for duty in duties:
        published = duty.get("published")
        if isinstance(published, int | float) and 1 <= published <= 99:
            return str(duty["indicator_code"]), str(duty["region_code"]), float(published)
    raise BenchError(f"{SUBMITTER} owes no value with a published rate for {SUBMIT_PERIOD}")


def measure_cold(
    result: ColdResult, url: str, work: Path, home: Path, repeats: int, page: bool
) -> None:
    """Write (a district submits, the office approves) then time the first overview, repeated."""
    tokens = {user: api_token(url, user, home) for user in (SUBMITTER, REVIEWER)}
    port = free_port()
    log = work / f"server-{result.scenario}-{result.backend}.log"
    progress(f"{result.scenario}/{result.backend}: demonitor serve on {HOST}:{port}")
    with running_server(url, port, home, log, result.workers) as server:
        submitter, reviewer = Api(port, tokens[SUBMITTER]), Api(port, tokens[REVIEWER])
        try:
            seconds, _ = reviewer.call("GET", "/api/v1/overview")
            result.add(M_START, seconds)
            progress(f"  first overview after start: {1000 * seconds:,.0f} ms")
            reviewer.call("GET", "/")
            _, duties = submitter.call("GET", f"/api/v1/duties?period={SUBMIT_PERIOD}")
            indicator, region, published = pick_duty(duties)
            step = 1.0 if published.is_integer() else 0.1
            progress(
                f"  writes: {SUBMITTER} submits {indicator}/{region}/{SUBMIT_PERIOD} "
                f"(published {published:g}) ±{step:g}, {REVIEWER} approves"
            )
            change = 0

            def write() -> None:
                nonlocal change
                value = round(published + (step if change % 2 == 0 else -step), 6)
                change += 1
                body = {
                    "period": SUBMIT_PERIOD,
                    "items": [
                        {
                            "indicator_code": indicator,
                            "region_code": region,
                            "value": value,
                            "note": "bench",
                        }
                    ],
                    "submit": True,
                }
                seconds, saved = submitter.call("POST", "/api/v1/submissions", body)
                result.add(M_SUBMIT, seconds)
                if saved.get("status") != "submitted":
                    raise BenchError(f"the submission was not submitted: {saved}")
                path = f"/api/v1/review/{saved['id']}/approve"
                seconds, approved = reviewer.call("POST", path)
                result.add(M_APPROVE, seconds)
                if approved.get("status") != "approved":
                    raise BenchError(f"the submission was not approved: {approved}")

            for number in range(1, repeats + 1):
                write()
                cold, _ = reviewer.call("GET", "/api/v1/overview")
                warm, _ = reviewer.call("GET", "/api/v1/overview")
                result.add(M_COLD, cold)
                result.add(M_WARM, warm)
                line = f"cold API {1000 * cold:,.0f} ms, warm {1000 * warm:,.1f} ms"
                if page:
                    write()
                    seconds, _ = reviewer.call("GET", "/")
                    result.add(M_PAGE, seconds)
                    line += f", cold page {1000 * seconds:,.0f} ms"
                progress(f"  {number}/{repeats}: {line}")
        finally:
            submitter.close()
            reviewer.close()
        if server.poll() is not None:
            raise BenchError(f"the server stopped during the run:\n{_tail(log)}")


def measure_account(result: ColdResult, url: str, home: Path, runs: int) -> None:
    result.add(M_CLI, timed_demonitor("--version", home=home))
    for number in range(1, runs + 1):
        seconds = timed_demonitor(
            "account", "--period", ACCOUNT_PERIOD, "--database-url", url, home=home
        )
        result.add(M_ACCOUNT, seconds)
        progress(f"  account {number}/{runs}: {seconds:,.1f} s")


@dataclass(frozen=True)
class ColdPlan:
    scenarios: tuple[str, ...]
    backends: tuple[str, ...]
    repeats: int
    account_runs: int
    page: bool
    workers: int
    city_rows: int
    city_seed: int
    rebuild: bool
    postgres_url: str


def run_cold(plan: ColdPlan) -> list[ColdResult]:
    results: list[ColdResult] = []
    with tempfile.TemporaryDirectory(prefix="demonitor-cold-") as scratch:
        work = Path(scratch)
        home = work / "home"
        home.mkdir()
        for scenario in plan.scenarios:
            for backend in plan.backends:
                say(f"\n== cold overview: {scenario} on {backend} ==")
                results.append(cold_scenario(plan, scenario, backend, work, home))
    return results


def cold_scenario(
    plan: ColdPlan, scenario: str, backend: str, work: Path, home: Path
) -> ColdResult:
    with ExitStack() as stack:
        if backend == "postgresql":
            url = stack.enter_context(postgres_database(plan.postgres_url, scenario))
        else:
            database = work / f"{scenario}.db"
            database.unlink(missing_ok=True)
            url = f"sqlite:///{database}"
        start = time.perf_counter()
        if scenario == "demo":
            progress(f"demo ({backend}): demonitor demo")
            demonitor("demo", "--database-url", url, home=home)
            built, cached = time.perf_counter() - start, False
        else:
            url, built, cached = prepare_city(
                backend, url, work, home, plan.city_rows, plan.city_seed, plan.rebuild
            )
        progress(f"{scenario} ({backend}): database ready in {built:,.1f} s")
        load = os.getloadavg() if hasattr(os, "getloadavg") else None
        result = ColdResult(scenario, backend, built, cached, plan.workers, load_before=load)
        measure_cold(result, url, work, home, plan.repeats, plan.page)
        if plan.account_runs > 0:
            measure_account(result, url, home, plan.account_runs)
        if backend == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return result


def cold_report(results: Sequence[ColdResult], plan: ColdPlan) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 150)
    table = Table(title="cold overview: the first dashboard overview after a write (ms)")
    for column in ("scenario", "backend", "measurement", "n", "median", "min", "max"):
        table.add_column(
            column, justify="right" if column in ("n", "median", "min", "max") else "left"
        )
    for r in results:
        for name, values in r.times.items():
            table.add_row(
                r.scenario,
                r.backend,
                name,
                str(len(values)),
                f"{1000 * statistics.median(values):,.1f}",
                f"{1000 * min(values):,.1f}",
                f"{1000 * max(values):,.1f}",
            )
        table.add_section()
    console.print(table)
    for r in results:
        how = "from the cache" if r.cached else "built"
        load = "" if r.load_before is None else f"; load average before: {r.load_before[0]:.2f}"
        say(f"{r.scenario}/{r.backend}: database {how} in {r.build_s:,.1f} s{load}")
    say(
        f"server: demonitor serve --workers {plan.workers} on {HOST}; the write is a district "
        f"submission of one {SUBMIT_PERIOD} value approved by the office, over the HTTP API "
        "with API tokens; each COLD figure is the first request after its own write. A load "
        "average above the number of CPUs means other processes shared them: run again on a "
        "quiet machine."
    )


# Main -------------------------------------------------------------------------------------------


def parse_scenarios(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown) or '(none)'}; choose from "
            + ", ".join(SCENARIOS)
        )
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Load-test the web platform on loopback with a demo database (演示数据), "
        "or time the first dashboard overview after a write (--cold-overview)."
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION,
        help=f"seconds per scenario (default {DEFAULT_DURATION:.0f})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_DURATION:.0f} s per scenario, a smoke run",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=DEFAULT_CLIENTS,
        help=f"concurrent clients (default {DEFAULT_CLIENTS})",
    )
    parser.add_argument(
        "--scenarios",
        type=parse_scenarios,
        default=None,
        help="comma-separated, from " + ", ".join(SCENARIOS) + " (default: all)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw asyncio HTTP/1.1 (default, cheap) or httpx.AsyncClient",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="generator processes sharing the clients (default 1)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes (default: one per CPU, as an operator would run it)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory of the JSON")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a scenario misses the goal"
    )
    cold = parser.add_argument_group(
        "cold overview",
        "the first GET /api/v1/overview after a write (a district submits, the office approves), "
        "which misses the result cache; with --cold-overview only these run, unless --scenarios "
        "is given too",
    )
    cold.add_argument(
        "--cold-overview",
        choices=COLD_CHOICES,
        help="demo: the demo database; city: the demo database plus a register of --city-rows "
        f"enterprises and their financials for {CITY_YEARS[0]}–{CITY_YEARS[-1]}; all: both",
    )
    cold.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="sqlite",
        help="database of the cold-overview scenarios (default sqlite)",
    )
    cold.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        help=f"writes and cold overviews per scenario (default {DEFAULT_REPEATS})",
    )
    cold.add_argument(
        "--account-runs",
        type=int,
        default=DEFAULT_ACCOUNT_RUNS,
        help=f"timed runs of demonitor account --period {ACCOUNT_PERIOD} per scenario "
        f"(default {DEFAULT_ACCOUNT_RUNS}; 0: none)",
    )
    cold.add_argument(
        "--page",
        action="store_true",
        help="also time the overview page GET / cold (one more write per repeat)",
    )
    cold.add_argument(
        "--cold-workers",
        type=int,
        default=1,
        help="server processes for the cold overview (default 1, so that the request after the "
        "write and the warm one go to the same process)",
    )
    cold.add_argument("--city-rows", type=int, default=CITY_ROWS, help=f"default {CITY_ROWS:,}")
    cold.add_argument("--city-seed", type=int, default=CITY_SEED, help=f"default {CITY_SEED}")
    cold.add_argument(
        "--rebuild",
        action="store_true",
        help=f"build the city database again instead of using the copy cached in {CACHE_DIR}",
    )
    cold.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help="a database on the local server from which a fresh one is created and dropped "
        f"(default {DEFAULT_POSTGRES})",
    )
    args = parser.parse_args(argv)
    if args.repeats <= 0 or args.cold_workers <= 0 or args.city_rows <= 0:
        parser.error("--repeats, --cold-workers and --city-rows must be positive")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # leave through the ``finally`` blocks: server, databases

    signal.signal(signal.SIGTERM, stop)
    try:
        status = 0
        if args.cold_overview is None or args.scenarios is not None:
            status = load_main(args, parser, out)
        if args.cold_overview is not None:
            status = max(status, cold_main(args, out))
    except (BenchError, RuntimeError) as error:
        say(f"\nerror: {error}")
        return 2
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130
    return status


def cold_main(args: argparse.Namespace, out: Path) -> int:
    scenarios = ("demo", "city") if args.cold_overview == "all" else (args.cold_overview,)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    if "postgresql" in backends:
        check_loopback_url(args.postgres_url)
    plan = ColdPlan(
        scenarios=scenarios,
        backends=backends,
        repeats=args.repeats,
        account_runs=max(0, args.account_runs),
        page=args.page,
        workers=args.cold_workers,
        city_rows=args.city_rows,
        city_seed=args.city_seed,
        rebuild=args.rebuild,
        postgres_url=args.postgres_url,
    )
    cpus = os.cpu_count() or 0
    say(
        f"python {sys.version.split()[0]}, {platform.platform()}, {cpus} CPU(s); cold overview: "
        f"{', '.join(scenarios)} on {', '.join(backends)}, {plan.repeats} repeats"
    )
    results = run_cold(plan)
    cold_report(results, plan)
    document = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": cpus,
        "note": "the first GET /api/v1/overview after a write (a district submission approved by "
        "the office over the HTTP API), median/min/max of the repeats; loopback",
        "repeats": plan.repeats,
        "city_rows": plan.city_rows,
        "city_seed": plan.city_seed,
        "city_years": list(CITY_YEARS),
        "results": [r.as_json() for r in results],
    }
    target = out / "cold_overview.json"
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    say(f"wrote {target}")
    return 0


def load_main(args: argparse.Namespace, parser: argparse.ArgumentParser, out: Path) -> int:
    """The load scenarios (the script's original purpose)."""
    duration: float = QUICK_DURATION if args.quick else args.duration
    clients: int = args.clients
    processes: int = max(1, min(args.processes, clients))
    if duration <= 0 or clients <= 0:
        parser.error("--duration and --clients must be positive")
    chosen: list[str] = args.scenarios or list(SCENARIOS)

    cpus = os.cpu_count() or 0
    say(
        f"python {sys.version.split()[0]}, {platform.platform()}, {cpus} CPU(s); "
        f"{clients} clients, {duration:g} s per scenario, client {args.client}"
        + (f" in {processes} processes (latencies merged)" if processes > 1 else "")
    )
    say("client and server run on the same machine and share its CPUs")

    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="demonitor-web-load-") as scratch:
        work = Path(scratch)
        (work / "home").mkdir()
        url = f"sqlite:///{work / 'demonitor.db'}"
        seconds = build_database(url)
        say(f"demo database: {seconds:.1f} s ({url}), user {USERNAME} (office)")
        port = free_port()
        workers: int = args.workers
        with running_server(url, port, work / "home", work / "server.log", workers) as server:
            served = f"http://{HOST}:{port} (demonitor serve, {workers} workers)"
            say(f"server: pid {server.pid}, {served}")
            cookie = sign_in(port)
            targets = dict(SCENARIOS)
            static = next(
                (path for path in STATIC_TARGETS if warm(port, cookie, [path])[path][0] == 200),
                None,
            )
            if static is None:
                raise RuntimeError(f"none of {', '.join(STATIC_TARGETS)} is served")
            targets["static"] = (static,)
            for name in chosen:
                for path, (status, ms, size) in warm(port, cookie, targets[name]).items():
                    say(f"warm {path}: HTTP {status}, {ms:,.0f} ms, {size:,} bytes")
                    if status != 200:
                        raise RuntimeError(f"{path} answers HTTP {status}; cannot load-test it")

            for name in chosen:
                plan = LoadPlan(port, cookie, targets[name], duration, args.client)
                time.sleep(1.0)  # let the previous scenario's connections close
                load = os.getloadavg() if hasattr(os, "getloadavg") else None
                say(f"\n== {name}: {', '.join(plan.paths)} for {duration:g} s ==")
                tally, before, after = run_load(plan, clients, processes, server.pid)
                wall = after.at - before.at
                result = ScenarioResult(
                    name,
                    plan.paths,
                    tally,
                    _share(before.server_s, after.server_s, wall),
                    _share(before.machine_busy_s, after.machine_busy_s, wall),
                    load,
                )
                lat = result.latency()
                say(
                    f"{result.requests:,} requests, {result.rps:,.1f}/s, "
                    f"p95 {fmt_ms(lat['p95_ms'])} ms, {result.errors} errors"
                )
                results.append(result)
            if server.poll() is not None:
                say(f"the server stopped during the run:\n{_tail(work / 'server.log')}")

    report(results, cpus, processes)
    document = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": cpus,
        "note": "client and server share the same CPUs; latencies of successful requests",
        "clients": clients,
        "duration_s": duration,
        "client": args.client,
        "generator_processes": processes,
        "timeout_s": TIMEOUT_S,
        "goal": GOAL_TEXT,
        "scenarios": [r.as_json() for r in results],
    }
    target = out / "web_load.json"
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    say(f"wrote {target}")
    return 1 if args.check and not all(r.met() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
