"""The target tables: the catalog's view of them (the catalog is the schema), the
allow-list a log is checked against, their names and row addresses as SQL, the
rows outside the ledger that hang on seeded rows by foreign keys, and ``schema
create`` for schemas seedctl owns. Every table or column name that reaches
SQL passes through here.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.target.allowlist import AllowList, Shape, shape_of, table_schemas
    from seedctl.engine.target.catalog import Column, ForeignKey, TableSpec, read_tables
    from seedctl.engine.target.check import (
        Target,
        app_owned_columns,
        check_shapes,
        check_target,
        read_target,
        referenced_column,
    )
    from seedctl.engine.target.create import SchemaResult, create_target_schema
    from seedctl.engine.target.dependents import (
        Dependent,
        Doomed,
        find_dependents,
        refuse_dependents,
        triggers_on,
    )
    from seedctl.engine.target.sqlnames import (
        comparable,
        key_match,
        ledger_key,
        primary_key,
        qualified,
        row_key_sql,
        row_match,
    )
    from seedctl.engine.target.values import ValueChecks, column_check

__all__ = [
    "AllowList",
    "Column",
    "Dependent",
    "Doomed",
    "ForeignKey",
    "SchemaResult",
    "Shape",
    "TableSpec",
    "Target",
    "ValueChecks",
    "app_owned_columns",
    "check_shapes",
    "check_target",
    "column_check",
    "comparable",
    "create_target_schema",
    "find_dependents",
    "key_match",
    "ledger_key",
    "primary_key",
    "qualified",
    "read_tables",
    "read_target",
    "referenced_column",
    "refuse_dependents",
    "row_key_sql",
    "row_match",
    "shape_of",
    "table_schemas",
    "triggers_on",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".allowlist": ("AllowList", "Shape", "shape_of", "table_schemas"),
        ".catalog": ("Column", "ForeignKey", "TableSpec", "read_tables"),
        ".check": (
            "Target",
            "app_owned_columns",
            "check_shapes",
            "check_target",
            "read_target",
            "referenced_column",
        ),
        ".create": ("SchemaResult", "create_target_schema"),
        ".dependents": (
            "Dependent",
            "Doomed",
            "find_dependents",
            "refuse_dependents",
            "triggers_on",
        ),
        ".values": ("ValueChecks", "column_check"),
        ".sqlnames": (
            "comparable",
            "key_match",
            "ledger_key",
            "primary_key",
            "qualified",
            "row_key_sql",
            "row_match",
        ),
    },
)
