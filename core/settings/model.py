"""timebill's settings: a TOML file, `TIMEBILL_*` environment variables, explicit values.

Where a value comes from, highest first:

1. explicit values: `load_settings(**overrides)` (CLI flags), `with_changes()`;
2. the environment: `TIMEBILL_TRACKER`, `TIMEBILL_MITE__API_KEY`, `TIMEBILL_INVOICE__DEFAULT_VAT`,
   ... (prefix `TIMEBILL_`, sections joined with `__`; empty or blank variables are ignored);
3. the config file (`timebill.core.settings.paths.config_file()`, `TIMEBILL_CONFIG` to move it);
4. the defaults below.

Sections merge key by key: `TIMEBILL_MITE__API_KEY` replaces only `[mite] api_key`. No `.env`
file is read (a stray `.env` in the working folder should not change where invoices go).

The file is checked on its own before anything else, so a mistake in it is reported even when
an environment variable shadows the key. Errors are `ConfigError`s that start with the file path
(or the environment variable) and name the key; they never show a key's value.

`save_settings` writes the file's values plus explicit ones, never values that came from the
environment: an API key can live in `TIMEBILL_MITE__API_KEY` without ever reaching the disk.

`load_settings` is a plain loader: it reads the file and the environment, merges them with the
explicit values into one dict and validates that as `Settings`, remembering each layer (`Layers`)
for `origin`, `with_changes`, `save_settings` and the messages.

The sections and their checks are in `timebill.core.settings.schema`, reading and writing the file in
`timebill.core.settings.config_file`; their public names are re-exported here.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from timebill.core.errors import ConfigError
from timebill.core.secrets import redact
from timebill.core.settings import paths
from timebill.core.settings.config_file import file_document, read_config_file, write_config_file
from timebill.core.settings.layers import ENV_PREFIX, environment_layer, merge
from timebill.core.settings.schema import (
    DEFAULT_THEME,
    DEFAULT_VAT,
    SECRET_KEYS,
    SECTIONS,
    TRACKERS,
    BillomatSettings,
    ClockodoSettings,
    InvoiceSettings,
    MiteSettings,
    Tracker,
    UiSettings,
)

__all__ = [
    "DEFAULT_THEME",
    "DEFAULT_VAT",
    "ENV_PREFIX",
    "SECRET_KEYS",
    "TRACKERS",
    "BillomatSettings",
    "ClockodoSettings",
    "InvalidSettingsError",
    "InvoiceSettings",
    "Layers",
    "MissingSetting",
    "MiteSettings",
    "Problem",
    "Settings",
    "Source",
    "UiSettings",
    "env_var",
    "load_settings",
    "read_config_file",
    "save_settings",
]

Source = Literal["value", "environment", "file", "default"]


# --- the layers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    """Where a Settings' values came from: the file's path and what each source held (keys
    wrapped in SecretStr). Not part of the value: two Settings with equal values are equal
    wherever the values came from (hence compare=False on every field)."""

    path: Path = field(compare=False)
    file: dict[str, Any] = field(default_factory=dict, compare=False)
    environment: dict[str, Any] = field(default_factory=dict, compare=False)
    value: dict[str, Any] = field(default_factory=dict, compare=False)
    file_only: bool = field(default=False, compare=False)

    def get(self, name: str) -> dict[str, Any]:
        return getattr(self, name) if name in ("file", "environment", "value") else {}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings; `key` is dotted ("mite.account")."""

    key: str
    source: Source
    message: str


class InvalidSettingsError(ConfigError):
    """One or more settings are invalid; `problems` lists them, one line each in the message."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(problem.message for problem in problems))
        self.problems = problems


def env_var(key: str) -> str:
    """The environment variable for a dotted key: "mite.api_key" -> TIMEBILL_MITE__API_KEY."""
    return ENV_PREFIX + "__".join(key.split(".")).upper()


def _label(loc: tuple[str, ...]) -> str:
    if len(loc) == 1:
        return f"[{loc[0]}]" if loc[0] in SECTIONS else loc[0]
    return f"[{loc[0]}] " + ".".join(loc[1:])


def _lookup(data: Mapping[str, Any], loc: tuple[str, ...]) -> tuple[bool, Any]:
    value: Any = data
    for part in loc:
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _unknown(loc: tuple[str, ...], value: Any, source: Source) -> str:
    known = list(Settings.model_fields) if len(loc) == 1 else list(SECTIONS[loc[0]].model_fields)
    close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
    if source == "environment":
        hint = f" (did you mean {env_var('.'.join((*loc[:-1], close[0])))}?)" if close else ""
        return f"{env_var('.'.join(loc))}: unknown setting{hint}"
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    kind = "section" if len(loc) == 1 and isinstance(value, Mapping) else "key"
    name = f"[{loc[0]}]" if kind == "section" else _label(loc)
    return f"unknown {kind} {name}{hint}"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a section with keys below it, not a single value"
    if kind.startswith("string"):
        return "must be text, in quotes"
    if kind.startswith(("decimal", "float", "int")):
        return "must be a number, e.g. 19"
    if kind == "literal_error":
        return f"must be {error['ctx']['expected']}"
    return str(error["msg"])


def _problems(err: pydantic.ValidationError, layers: Layers) -> list[Problem]:
    problems = []
    secrets = _secret_values(layers)
    for error in err.errors(include_url=False, include_input=False):
        loc = tuple(str(part) for part in error["loc"])
        source: Source = "file"
        if not layers.file_only:
            source = next(
                (name for name in ("value", "environment") if _lookup(layers.get(name), loc)[0]),
                "file",
            )
        value = _lookup(layers.get(source), loc)[1]
        if error["type"] == "extra_forbidden":
            text = _unknown(loc, value, source)
        elif source == "environment":
            text = f"{env_var('.'.join(loc))}: {_describe(error)}"
        else:
            text = f"{_label(loc)}: {_describe(error)}"
        if source == "file":
            text = f"{layers.path}: {text}"
        problems.append(Problem(".".join(loc), source, redact(text, secrets)))
    return problems


def _secret_values(layers: Layers) -> list[str]:
    found = []
    for data in (layers.file, layers.environment, layers.value):
        for key in SECRET_KEYS:
            present, value = _lookup(data, tuple(key.split(".")))
            if present and value is not None:
                found.append(
                    value.get_secret_value() if isinstance(value, SecretStr) else str(value)
                )
    return found


def _protect(data: dict[str, Any]) -> dict[str, Any]:
    """Wrap key values in SecretStr so a recorded layer never shows a key."""
    out = {}
    for name, value in data.items():
        if isinstance(value, Mapping):
            value = {
                key: SecretStr(item)
                if f"{name}.{key}" in SECRET_KEYS and isinstance(item, str)
                else item
                for key, item in value.items()
            }
        out[name] = value
    return out


def _validated(layers: Layers) -> Settings:
    """The layers merged (value > environment > file) and validated; ConfigError names each
    problem's source."""
    merged = merge(merge(layers.file, layers.environment), layers.value)
    try:
        settings = Settings.model_validate(merged)
    except pydantic.ValidationError as err:
        raise InvalidSettingsError(_problems(err, layers)) from None
    settings._layers = layers
    return settings


def _validate_document(data: Mapping[str, Any], path: Path) -> Settings:
    """`data` as the content of the file at `path` alone: no environment, no other file."""
    return _validated(Layers(path, file=_protect(dict(data)), file_only=True))


def _nest(values: Mapping[str, Any], *, keep_none: bool) -> dict[str, Any]:
    """{"mite__api_key": x} and {"mite": {"api_key": x}} alike, as nested dicts."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None and not keep_none:
            continue
        if isinstance(value, Mapping):
            value = _nest(value, keep_none=keep_none)
        *parents, leaf = name.split("__")
        target = out
        for parent in parents:
            target = target.setdefault(parent, {})
        if isinstance(target.get(leaf), dict) and isinstance(value, dict):
            target[leaf] = merge(target[leaf], value)
        else:
            target[leaf] = value
    return out


# --- Settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingSetting:
    """A required setting that has no value, e.g. for `timebill check`."""

    key: str
    label: str

    @property
    def env(self) -> str:
        return env_var(self.key)

    def __str__(self) -> str:
        return f"{self.key} is not set (config file or {self.env})"


_REQUIRED = {
    "mite": (("account", "mite account name"), ("api_key", "mite API key")),
    "clockodo": (("email", "clockodo login e-mail"), ("api_key", "clockodo API key")),
    "billomat": (("billomat_id", "Billomat ID"), ("api_key", "Billomat API key")),
}


class Settings(BaseModel):
    """All of timebill's settings, validated. Build with `load_settings`; change values with
    `with_changes` (validated, remembered for saving), not `model_copy(update=)` (unvalidated,
    and `save_settings` would not see the change)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    tracker: Tracker = None
    """The time tracker entries come from: "mite" or "clockodo"."""
    mite: MiteSettings = Field(default_factory=MiteSettings)
    """The mite account, when tracker = "mite"."""
    clockodo: ClockodoSettings = Field(default_factory=ClockodoSettings)
    """The clockodo login, when tracker = "clockodo"."""
    billomat: BillomatSettings = Field(default_factory=BillomatSettings)
    """The Billomat account invoice drafts are created in."""
    invoice: InvoiceSettings = Field(default_factory=InvoiceSettings)
    """Defaults for new invoices."""
    ui: UiSettings = Field(default_factory=UiSettings)
    """How the terminal app looks and speaks."""

    _layers: Layers | None = pydantic.PrivateAttr(default=None)

    @property
    def layers(self) -> Layers:
        """Where the values came from (a Settings built by hand: all explicit values)."""
        if self._layers is None:
            return Layers(paths.config_file(), value=self.model_dump(exclude_unset=True))
        return self._layers

    @property
    def config_path(self) -> Path:
        """The config file these settings were read from."""
        return self.layers.path

    def origin(self, key: str) -> Source:
        """Where the value of a dotted key ("mite.api_key") came from."""
        loc = tuple(key.split("."))
        for name in ("value", "environment", "file"):
            if _lookup(self.layers.get(name), loc)[0]:
                return name  # type: ignore[return-value]
        return "default"

    def with_changes(self, changes: Mapping[str, Any]) -> Settings:
        """New settings with `changes` ({"mite": {"account": "x"}} or {"mite__account": "x"};
        None clears a key) applied as explicit values, e.g. what the user typed in the app.
        The file and the environment are read again."""
        values = merge(self.layers.value, _nest(changes, keep_none=True))
        return _load(self.config_path, values)

    def missing(self, *, tracker: bool = True, billomat: bool = True) -> list[MissingSetting]:
        """Required keys without a value: for the chosen tracker and/or Billomat."""
        found: list[MissingSetting] = []
        sections: list[str] = []
        if tracker:
            if self.tracker is None:
                found.append(MissingSetting("tracker", 'time tracker ("mite" or "clockodo")'))
            else:
                sections.append(self.tracker)
        if billomat:
            sections.append("billomat")
        for section in sections:
            model = getattr(self, section)
            for name, label in _REQUIRED[section]:
                if getattr(model, name) is None:
                    found.append(MissingSetting(f"{section}.{name}", label))
        if billomat and (self.billomat.app_id is None) != (self.billomat.app_secret is None):
            name = "app_id" if self.billomat.app_id is None else "app_secret"
            found.append(MissingSetting(f"billomat.{name}", f"Billomat {name} (needed as a pair)"))
        return found

    def file_values(self) -> dict[str, Any]:
        """What `save_settings` writes: the file's values and explicit ones, validated, with keys
        revealed; never values from the environment."""
        merged = merge(self.layers.file, self.layers.value)
        return file_document(_validate_document(merged, self.config_path))


# --- loading and saving -----------------------------------------------------------------------


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from `path` (default: `paths.config_file()`), the environment and `overrides`
    (CLI flags: `tracker="mite"`, `mite__api_key=...` or `mite={...}`; None means "not given")."""
    target = Path(path) if path is not None else paths.config_file()
    return _load(target, _nest(overrides, keep_none=False))


def _load(path: Path, values: dict[str, Any]) -> Settings:
    # The file is checked on its own first: a mistake in it is reported (with its path) even
    # where the environment or a flag shadows the key.
    file = read_config_file(path)
    if file:
        _validate_document(file, path)
    layers = Layers(
        path,
        file=_protect(file),
        environment=_protect(environment_layer(os.environ, Settings.model_fields, SECTIONS)),
        value=_protect(values),
    )
    return _validated(layers)


def save_settings(
    settings: Settings | Mapping[str, Any],
    path: Path | None = None,
    *,
    replace_invalid: bool = False,
) -> Path:
    """Write the file atomically (temp file in the same folder, 0600, fsync, rename) and return
    its path. A Settings writes `file_values()`; a mapping is taken as the file's whole content.

    An existing file that does not parse or validate is not overwritten (ConfigError) unless
    `replace_invalid`, which keeps it beside the new one as `<name>.invalid`."""
    if isinstance(settings, Settings):
        target = Path(path) if path is not None else settings.config_path
        document = settings.file_values()
    else:
        target = Path(path) if path is not None else paths.config_file()
        document = file_document(_validate_document(_nest(settings, keep_none=False), target))
    invalid = _existing_problem(target)
    if invalid is not None and not replace_invalid:
        raise ConfigError(
            f"{invalid}\n{target}: not saved, so that the file above is not overwritten: "
            "fix it, or move it away and save again."
        )
    write_config_file(target, document, keep_old=invalid is not None)
    return target


def _existing_problem(target: Path) -> str | None:
    try:
        data = read_config_file(target, check_mode=False)
        if data:
            _validate_document(data, target)
    except ConfigError as err:
        return err.message
    return None
