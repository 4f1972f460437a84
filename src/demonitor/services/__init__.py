"""Use cases shared by the CLI and the web: each takes a session (the unit of work) and returns
results or raises the domain's bilingual errors."""
