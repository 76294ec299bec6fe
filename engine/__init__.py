"""What acts: scenarios, the demo target schema, planner, applier, reverter, verifier.

Imports point inward: ``engine`` uses ``ledger`` and never ``cli``.
"""
