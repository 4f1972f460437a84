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
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
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
                raise RuntimeError(f"the server exited with {server.returncode}:\n{_tail(log)}")
            try:
                if httpx.get(f"http://{HOST}:{port}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer after {STARTUP_TIMEOUT_S:.0f} s:\n{_tail(log)}")
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
        description="Load-test the web platform on loopback with a demo database (演示数据)."
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
        default=list(SCENARIOS),
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
    args = parser.parse_args(argv)
    duration: float = QUICK_DURATION if args.quick else args.duration
    clients: int = args.clients
    processes: int = max(1, min(args.processes, clients))
    if duration <= 0 or clients <= 0:
        parser.error("--duration and --clients must be positive")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

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
            for name in args.scenarios:
                for path, (status, ms, size) in warm(port, cookie, targets[name]).items():
                    say(f"warm {path}: HTTP {status}, {ms:,.0f} ms, {size:,} bytes")
                    if status != 200:
                        raise RuntimeError(f"{path} answers HTTP {status}; cannot load-test it")

            for name in args.scenarios:
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
