"""The database: models, migrations, repositories, and the materialised accounts."""

# The materialised value-added cells listen to every session's commits (see account_cells).
from demonitor.store import account_cells as _account_cells  # noqa: F401
