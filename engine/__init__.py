"""What acts: every job seedctl does, in rooms by job.

The jobs (``generation``, ``apply``, ``plan``, ``verify``, ``revert``,
``inspect``) build on the shared rooms (``pending``: the log scan and the
planner; ``target``: the target tables, the allow-list and their names as SQL;
``scenarios``) and on the plumbing (``db``: connections, sessions, locks,
retry, error translation, the embedded server). A job never imports another
job, and the plumbing imports no job. ``engine`` uses ``ledger`` and never
``cli``; docs/architecture.md draws the rooms.
"""
