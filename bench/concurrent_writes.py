"""Concurrent writers on SQLite and PostgreSQL (issue 10): how many writes per second the platform
carries, and what the writers are answered.

For each backend and each number of writers N the script

1. creates a fresh database (SQLite: a file in a temporary directory; PostgreSQL: a new database
   on the server at 127.0.0.1:5432, dropped at the end) with ``demonitor init``, a department
   account ``industry`` (the demo account) and an API token (``demonitor token create``);
2. starts ``demonitor serve --workers W`` (default 2, one per core of the reference machine) on
   127.0.0.1 and a free port;
3. runs N writers for the duration, each in a closed loop on its own keep-alive connection:
   ``POST /api/v1/submissions`` of one value for a period no one has used yet, i.e. a new period,
   a new draft, its value and two audit entries in one transaction (timeout 60 s), all with
   one API token (used once before the clock starts, so that its first use, which records
   itself on the token's row, is not timed); with ``--readers R``, R more clients read
   ``GET /api/v1/duties?period=2024`` meanwhile;
4. prints writes/s (answers 200), the latency of the writes (p50, p95, max), the answers that were
   not 200 by status (503 is "the database is busy"), and, with readers, reads/s and their p95,
   and the server log's error lines if any, and writes them to
   ``bench/out/concurrent_writes.json``.

``--begin-modes`` measures instead, in this process and on one SQLite file, what a read-only
session meets beside one writer that keeps the write lock 50 ms per transaction: with the
platform's engine (BEGIN IMMEDIATE at the first write, so reads take no lock) and with
SQLAlchemy's recipe of BEGIN IMMEDIATE at the start of every transaction (reads then queue for
the write lock too): reads/s and read latency of 4 reader threads, and the writer's writes/s.

    .venv/bin/python bench/concurrent_writes.py
    .venv/bin/python bench/concurrent_writes.py --writers 1,10,50 --duration 20 --backend both
    .venv/bin/python bench/concurrent_writes.py --writers 10 --readers 10 --backend sqlite
    .venv/bin/python bench/concurrent_writes.py --begin-modes

The client runs on the same machine (asyncio, one process): on 2 cores it takes part of the CPU
the server would otherwise have, for both backends alike.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "concurrent_writes.json"
HOST = "127.0.0.1"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REQUEST_TIMEOUT_S = 60.0
STARTUP_TIMEOUT_S = 60.0
USERNAME = "industry"  # a demo department account: it submits DE05 of the city


class BenchError(RuntimeError):
    pass


def say(message: str) -> None:
    print(message, flush=True)


def demonitor(*args: str, home: Path) -> str:
    env = {**os.environ, "DEMONITOR_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "demonitor", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-2_000:]
        raise BenchError(f"demonitor {' '.join(args)} exited {done.returncode}:\n{output}")
    return done.stdout


def prepare(url: str, home: Path) -> str:
    """Schema, reference data, the department account; returns its API token."""
    from demonitor.demo.accounts import add_demo_accounts
    from demonitor.store.db import make_engine, session_scope

    demonitor("init", "--database-url", url, home=home)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            add_demo_accounts(session)
    finally:
        engine.dispose()
    out = demonitor(
        "token", "create", USERNAME, "--name", "bench", "--database-url", url, home=home
    )
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not lines or " " in lines[-1]:
        raise BenchError(f"no token in the output of token create:\n{out[-1_000:]}")
    return lines[-1]


@contextmanager
def postgres_database(label: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_writes_{label}_{os.getpid()}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(backend: str, label: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{label}.db'}"
        return
    with postgres_database(label) as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(url: str, home: Path, workers: int, log: Path) -> Iterator[str]:
    import httpx

    port = free_port()
    env = {**os.environ, "DEMONITOR_HOME": str(home), "DEMONITOR_SECRET_KEY": "bench"}
    command = [sys.executable, "-m", "demonitor", "serve", "--host", HOST, "--port", str(port)]
    command += ["--database-url", url, "--workers", str(workers)]
    with log.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise BenchError(f"demonitor serve exited:\n{log.read_text()[-2_000:]}")
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("demonitor serve did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, answers 200
    statuses: Counter[str] = field(default_factory=Counter)

    def record(self, status: str, seconds: float) -> None:
        self.statuses[status] += 1
        if status == "200":
            self.latencies.append(seconds)


def percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


_periods = itertools.count()


def fresh_period() -> str:
    """A monthly period no request has used yet (1000M01, 1000M02, …)."""
    n = next(_periods)
    return f"{1000 + n // 12}M{n % 12 + 1:02d}"


async def load(base: str, token: str, writers: int, readers: int, seconds: float) -> dict[str, Any]:
    import httpx

    headers = {"authorization": f"Bearer {token}"}
    writes, reads = Tally(), Tally()
    # The first use of a token records it (a write to its row): done once, before the clock.
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        (await client.get("/api/v1/duties?period=2024", timeout=30)).raise_for_status()
    end = time.perf_counter() + seconds

    async def writer() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            while time.perf_counter() < end:
                body = {
                    "period": fresh_period(),
                    "items": [{"indicator_code": "DE05", "region_code": "321200", "value": 80}],
                }
                started = time.perf_counter()
                try:
                    answer = await client.post(
                        "/api/v1/submissions", json=body, timeout=REQUEST_TIMEOUT_S
                    )
                    status = str(answer.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                writes.record(status, time.perf_counter() - started)

    async def reader() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers) as client:
            while time.perf_counter() < end:
                started = time.perf_counter()
                try:
                    answer = await client.get("/api/v1/duties?period=2024", timeout=30)
                    status = str(answer.status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                reads.record(status, time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*[writer() for _ in range(writers)], *[reader() for _ in range(readers)])
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "writers": writers,
        "readers": readers,
        "seconds": round(wall, 1),
        "writes": len(writes.latencies),
        "writes_per_s": round(len(writes.latencies) / wall, 1),
        "write_p50_ms": round(1000 * statistics.median(writes.latencies), 1)
        if writes.latencies
        else None,
        "write_p95_ms": round(1000 * percentile(writes.latencies, 95), 1),
        "write_max_ms": round(1000 * max(writes.latencies, default=float("nan")), 1),
        "write_not_200": {k: v for k, v in writes.statuses.items() if k != "200"},
    }
    if readers:
        result |= {
            "reads_per_s": round(len(reads.latencies) / wall, 1),
            "read_p95_ms": round(1000 * percentile(reads.latencies, 95), 1),
            "read_not_200": {k: v for k, v in reads.statuses.items() if k != "200"},
        }
    return result


def scenario(
    backend: str, writers: int, readers: int, seconds: float, workers: int, folder: Path
) -> dict[str, Any]:
    label = f"{backend}_{writers}_{readers}"
    home = folder / f"home_{label}"
    home.mkdir()
    with database(backend, label, folder) as url:
        token = prepare(url, home)
        log = folder / f"{label}.log"
        with server(url, home, workers, log) as base:
            result = asyncio.run(load(base, token, writers, readers, seconds))
    errors = Counter(
        line.strip()[:200]
        for line in log.read_text(errors="replace").splitlines()
        if "Error" in line and not line.startswith((" ", "Traceback"))
    )
    if errors:
        result["server_errors"] = dict(errors.most_common(5))
        for line, count in errors.most_common(5):
            say(f"  server log: {count}× {line}")
    return {"backend": backend, **result}


def report(results: Sequence[dict[str, Any]]) -> None:
    say("")
    say(
        f"{'backend':<11}{'writers':>8}{'readers':>8}{'writes/s':>10}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'max ms':>9}  not 200 (writes)   reads/s  read p95 ms"
    )
    for r in results:
        not_ok = ", ".join(f"{k}×{v}" for k, v in r["write_not_200"].items()) or "none"
        reads = f"{r['reads_per_s']:>9}  {r['read_p95_ms']:>10}" if r["readers"] else ""
        say(
            f"{r['backend']:<11}{r['writers']:>8}{r['readers']:>8}{r['writes_per_s']:>10}"
            f"{r['write_p50_ms']:>9}{r['write_p95_ms']:>9}{r['write_max_ms']:>9}  "
            f"{not_ok:<18}{reads}"
        )


def begin_modes(folder: Path, seconds: float = 5.0, readers: int = 4, hold: float = 0.05) -> None:
    """Read-only sessions beside a busy writer, under two ways of beginning transactions."""
    from sqlalchemy import Engine, create_engine, event, text

    from demonitor.store.catalogue import seed_reference
    from demonitor.store.db import make_engine, session_scope, upgrade

    path = folder / "modes.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine) as session:
        seed_reference(session, "bench")
    engine.dispose()

    def recipe() -> Engine:
        recipe_engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

        @event.listens_for(recipe_engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver emits no BEGIN

        @event.listens_for(recipe_engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return recipe_engine

    write = text(
        "INSERT INTO audit_log (at, actor, action, entity, entity_key, reason) "
        "VALUES (CURRENT_TIMESTAMP, 'bench', 'bench', 'bench', 'k', '')"
    )
    modes = (
        ("platform: BEGIN IMMEDIATE at the first write", make_engine(f"sqlite:///{path}")),
        ("recipe: BEGIN IMMEDIATE for every transaction", recipe()),
    )
    say(f"one writer holding the lock {hold * 1000:.0f} ms per transaction, {readers} readers")
    for label, mode_engine in modes:
        latencies, writes = _beside_a_writer(mode_engine, write, seconds, readers, hold)
        mode_engine.dispose()
        say(
            f"  {label:<48} reads/s {len(latencies) / seconds:8.1f}   read p50 "
            f"{1000 * statistics.median(latencies):7.1f} ms   p95 "
            f"{1000 * percentile(latencies, 95):7.1f} ms   writes/s {writes / seconds:5.1f}"
        )


def _beside_a_writer(
    engine: Any, write: Any, seconds: float, readers: int, hold: float
) -> tuple[list[float], int]:
    """Latencies of the read-only sessions, and the writer's transactions."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    end = time.perf_counter() + seconds
    latencies: list[float] = []
    writes = 0

    def writer() -> None:
        nonlocal writes
        while time.perf_counter() < end:
            with Session(engine) as session:
                session.execute(write)
                time.sleep(hold)  # the transaction's own work
                session.commit()
            writes += 1

    def reader() -> None:
        while time.perf_counter() < end:
            started = time.perf_counter()
            with Session(engine) as session:
                session.execute(text("SELECT count(*) FROM indicators")).scalar()
                session.execute(text("SELECT max(id) FROM audit_log")).scalar()
                session.commit()
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=writer)]
    threads += [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, writes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--writers", default="1,10,50", help="comma-separated numbers of writers")
    parser.add_argument("--readers", type=int, default=0, help="clients reading meanwhile")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=2, help="demonitor serve --workers")
    parser.add_argument(
        "--begin-modes", action="store_true", help="read-only sessions beside a writer, only"
    )
    args = parser.parse_args(argv)
    if args.begin_modes:
        with tempfile.TemporaryDirectory(prefix="demonitor-modes-") as tmp:
            begin_modes(Path(tmp))
        return 0
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    counts = [int(n) for n in args.writers.split(",") if n.strip()]
    say(
        f"demonitor concurrent writes: {platform.node()}, {os.cpu_count()} CPUs, "
        f"serve --workers {args.workers}, {args.duration:.0f} s per scenario"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="demonitor-writes-") as tmp:
        for backend in backends:
            for writers in counts:
                say(f"{backend}: {writers} writers, {args.readers} readers …")
                results.append(
                    scenario(backend, writers, args.readers, args.duration, args.workers, Path(tmp))
                )
    report(results)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"\nwritten to {OUT.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
