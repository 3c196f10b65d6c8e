"""Storage: the engine and sessions, the tables, Alembic migrations, the audit log, and text built inside the database.

The bottom layer: everything else reads and writes through it; it imports nothing of the workbench but ``errors`` and ``config``."""
