"""Settings from a file, the environment and flags, and where each value came from.

One table, :data:`SETTINGS`, names every setting. Each has a key in ``seedctl.toml``
(or ``[tool.seedctl]`` in ``pyproject.toml``), found from the current directory
upward, and a ``SEEDCTL_<KEY>`` environment variable. Flags beat the environment,
which beats the file, which beats the default: the file's values become click's
``default_map`` and the variables each option's ``envvar``, so click's own order
does the rest. The engine never reads this module: the CLI resolves, then passes
explicit arguments. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedctl.ledger import ConfigError

__all__ = [
    "FILE_NAMES",
    "SETTINGS",
    "ConfigFile",
    "Setting",
    "SettingValue",
    "apply_home",
    "bind_environment",
    "current_home",
    "default_map",
    "effective_settings",
    "find_config_file",
    "load_config_file",
    "mask",
]

FILE_NAMES = ("seedctl.toml", "pyproject.toml")


@dataclass(frozen=True)
class Setting:
    """One setting: its file key (also the option's parameter name), type and meaning."""

    key: str
    kind: type
    meaning: str
    commands: tuple[str, ...] | None = None
    """Command paths (``"apply"``, ``"db url"``) that take it; None: every one with the option."""

    @property
    def env(self) -> str:
        return f"SEEDCTL_{self.key.upper()}"


SETTINGS = (
    Setting("database_url", str, "postgresql:// URL of the target database"),
    Setting("home", str, "where the embedded server's data and the default logs live"),
    Setting(
        "log",
        str,
        "the seed log of generate, plan, apply and verify",
        commands=("generate", "plan", "apply", "verify"),
    ),
    Setting("scenario", str, "the scenario to generate"),
    Setting("seed", str, "seed of the keyed randomness"),
    Setting("as_of", str, "the date check-ins count back from (pin it in CI)"),
    Setting("scale", int, "grow the tenant N-fold"),
    Setting("batch_size", int, "rows per transaction or batch"),
    Setting("writers", int, "connections apply writes with"),
    Setting("lock_timeout", float, "seconds to wait for a row or table lock"),
    Setting("wait_timeout", float, "seconds to queue for another run's tenant lock"),
    Setting("create_schema", bool, "whether apply creates missing target tables"),
    Setting("log_format", str, "console or json"),
    Setting("log_level", str, "debug, info, warning or error"),
)
BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class ConfigFile:
    """A found settings file and its checked values (paths made absolute)."""

    path: Path
    values: Mapping[str, object]


@dataclass(frozen=True)
class SettingValue:
    """An effective value and its source: ``flag``, ``env NAME``, ``file PATH`` or ``default``."""

    key: str
    value: object
    source: str


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest ``seedctl.toml``, or ``pyproject.toml`` with ``[tool.seedctl]``, upward."""
    try:
        here = (start or Path.cwd()).absolute()
    except FileNotFoundError:
        raise ConfigError("the current directory no longer exists; cd to one that does") from None
    for folder in (here, *here.parents):
        own = folder / "seedctl.toml"
        if own.is_file():
            return own
        project = folder / "pyproject.toml"
        if project.is_file() and re.search(
            r"^\[tool\.seedctl\]", project.read_text(errors="replace"), re.MULTILINE
        ):
            return project
    return None


def load_config_file(start: Path | None = None) -> ConfigFile | None:
    """Read and check the nearest settings file; unknown keys and wrong types are exit 2."""
    path = find_config_file(start)
    if path is None:
        return None
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: not a valid TOML file: {e}") from None
    table = data.get("tool", {}).get("seedctl", {}) if path.name == "pyproject.toml" else data
    values: dict[str, object] = {}
    for key, value in table.items():
        setting = BY_KEY.get(key.replace("-", "_"))
        if setting is None:
            known = ", ".join(s.key for s in SETTINGS)
            raise ConfigError(f"{path}: unknown setting {key!r}; known: {known}")
        values[setting.key] = _checked(path, setting, value)
    for key in ("home", "log"):
        if key in values:
            values[key] = str((path.parent / str(values[key])).absolute())
    return ConfigFile(path, values)


def _checked(path: Path, setting: Setting, value: object) -> object:
    if setting.kind is str and isinstance(value, dt.date):
        return value.isoformat()  # as_of = 2026-01-15 is a TOML date
    if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not setting.kind:
        raise ConfigError(
            f"{path}: {setting.key} must be {_type_name(setting.kind)}, not {value!r}"
        )
    return value


def _type_name(kind: type) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    return names[kind]


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the click tree with its path (``("db", "url")``), the root first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def _takes(setting: Setting, path: tuple[str, ...]) -> bool:
    return setting.commands is None or " ".join(path) in setting.commands


def bind_environment(command: Any) -> None:
    """Give every option that names a setting its ``SEEDCTL_<KEY>`` variable. Writes nothing."""
    for path, cmd in _walk(command):
        for param in cmd.params:
            setting = BY_KEY.get(param.name or "")
            if param.param_type_name == "option" and setting and _takes(setting, path):
                param.envvar = setting.env
                param.show_envvar = True


def default_map(command: Any, file: ConfigFile | None) -> dict[str, object]:
    """The file's values as click's nested ``default_map`` for every command that takes them."""
    root: dict[str, object] = {}
    if file is None:
        return root
    for path, cmd in _walk(command):
        names = {p.name for p in cmd.params if p.param_type_name == "option"}
        values = {k: v for k, v in file.values.items() if k in names and _takes(BY_KEY[k], path)}
        if not values:
            continue
        node = root
        for part in path:
            child = node.setdefault(part, {})
            assert isinstance(child, dict)
            node = child
        node.update(values)
    return root


def _nearest_home(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".seedctl").is_dir():
            return folder / ".seedctl"
    return None


def resolve_home(file: ConfigFile | None, start: Path | None = None) -> SettingValue:
    """The embedded server's home and its source, by the rule of engine.db.embedded."""
    here = (start or Path.cwd()).absolute()
    if os.environ.get("SEEDCTL_HOME"):
        home = str(Path(os.environ["SEEDCTL_HOME"]).absolute())
        return SettingValue("home", home, "env SEEDCTL_HOME")
    if file is not None and "home" in file.values:
        return SettingValue("home", file.values["home"], f"file {file.path}")
    found = _nearest_home(here)
    if found is not None:
        return SettingValue("home", str(found), "default (nearest .seedctl upward)")
    if file is not None:
        beside = str(file.path.parent / ".seedctl")
        return SettingValue("home", beside, f"default (beside {file.path})")
    return SettingValue("home", str(here / ".seedctl"), "default (./.seedctl)")


class _Resolved:
    home: SettingValue | None = None


def apply_home(file: ConfigFile | None) -> SettingValue:
    """Export the resolved home as ``SEEDCTL_HOME`` for this process, so every part agrees.

    Writes this process's environment only; remembers the source for ``seedctl config``.
    """
    home = resolve_home(file)
    os.environ["SEEDCTL_HOME"] = str(home.value)
    _Resolved.home = home
    return home


def current_home(file: ConfigFile | None) -> SettingValue:
    """The home this invocation resolved (before exporting it), or the rule's answer now."""
    return _Resolved.home or resolve_home(file)


def mask(value: object) -> object:
    """A URL's password as ``***``; anything else unchanged."""
    if not isinstance(value, str):
        return value
    masked = re.sub(r"(://[^:/@?#]*:)[^@/?#]+@", r"\1***@", value)
    return re.sub(r"(password=)[^&\s]+", r"\1***", masked)


def effective_settings(
    file: ConfigFile | None,
    flags: Mapping[str, object],
    defaults: Mapping[str, object],
    *,
    home: SettingValue,
) -> list[SettingValue]:
    """Every setting's effective value and where it came from, in :data:`SETTINGS` order."""
    found = []
    for setting in SETTINGS:
        if setting.key == "home":
            found.append(home)
        elif setting.key in flags:
            found.append(SettingValue(setting.key, flags[setting.key], "flag"))
        elif os.environ.get(setting.env):
            found.append(SettingValue(setting.key, os.environ[setting.env], f"env {setting.env}"))
        elif file is not None and setting.key in file.values:
            found.append(SettingValue(setting.key, file.values[setting.key], f"file {file.path}"))
        else:
            found.append(SettingValue(setting.key, defaults.get(setting.key), "default"))
    return found
