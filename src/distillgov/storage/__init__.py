"""Storage: the engine, `open_database`, the one migration chain for every table."""
