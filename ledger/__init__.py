"""The record: IDs, commands, their canonical hash, the log file and the ledger tables.

Nothing here knows about scenarios, the CLI or how rows get written; ``engine``
builds on it and ``cli`` on both.
"""
