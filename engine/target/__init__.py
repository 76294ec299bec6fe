"""The target tables: the allow-list a log is checked against, the catalog's view
of the tables, their names as SQL, and ``schema create`` for schemas seedctl
owns. Every table or column name that reaches SQL passes through here.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.target.allowlist import AllowList, TableSpec
    from seedctl.engine.target.catalog import TargetSchema, check_target_schema, read_target_schema
    from seedctl.engine.target.create import SchemaResult, create_target_schema
    from seedctl.engine.target.sqlnames import key_match, qualified

__all__ = [
    "AllowList",
    "SchemaResult",
    "TableSpec",
    "TargetSchema",
    "check_target_schema",
    "create_target_schema",
    "key_match",
    "qualified",
    "read_target_schema",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".allowlist": ("AllowList", "TableSpec"),
        ".catalog": ("TargetSchema", "check_target_schema", "read_target_schema"),
        ".create": ("SchemaResult", "create_target_schema"),
        ".sqlnames": ("key_match", "qualified"),
    },
)
