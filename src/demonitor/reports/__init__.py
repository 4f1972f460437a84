"""Read models: one function per thing people look at, shared by web, API, CLI and publications."""
