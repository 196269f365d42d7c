"""Keeping the state: as a JSON document (export, import, snapshots) and in SQLite (``--store``)."""
