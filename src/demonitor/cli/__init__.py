"""Command line: ``demonitor classify``, ``demonitor account``, ``demonitor user …`` and the rest.

A thin layer, one module per command group: every command parses its options, calls the
engine, the reference package, the store or a use case of ``demonitor.services``, and prints the
result with Rich. Exit codes: 0 success, 2 unusable input, 3 some rows rejected.

The root ``app`` and what the commands share live in ``common``; importing a command module
registers its commands, in the order ``demonitor --help`` lists them.
"""

from __future__ import annotations

from demonitor.cli import classify, data, demo, reference, reports, serve, targets, users
from demonitor.cli.common import app

app.add_typer(reference.reference_app, name="reference")
app.add_typer(demo.demo_app, name="demo")
app.add_typer(data.db_app, name="db")
app.add_typer(targets.target_app, name="target")
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")

__all__ = [
    "app",
    "classify",
    "data",
    "demo",
    "reference",
    "reports",
    "serve",
    "targets",
    "users",
]
