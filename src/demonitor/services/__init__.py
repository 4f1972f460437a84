"""Use cases: functions that take a database session (one unit of work, committed by the caller)
and return results or raise the domain's bilingual errors (``demonitor.core.errors``).

The web routes and the CLI call these, and stay thin; the queries are in ``demonitor.store``.
"""
