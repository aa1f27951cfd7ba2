"""The config file on disk: reading it (refusing one other users can read, since it holds API
keys) and writing it atomically with private permissions.

Only bytes and TOML live here; what the keys mean and how the file is layered with the
environment is `timebill.core.settings.model`.
"""

from __future__ import annotations

import os
import shlex
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from timebill.core.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

HEADER = "# timebill settings. This file holds API keys: keep it private (mode 0600).\n\n"


def read_config_file(path: Path, *, check_mode: bool = True) -> dict[str, Any]:
    """The file's raw TOML content ({} if it does not exist). Refuses a file other users can
    read (POSIX), since it holds API keys."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file: {err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: is not a file; TIMEBILL_CONFIG must name the config file")
    if check_mode and os.name == "posix" and info.st_mode & 0o077:
        raise ConfigError(
            f"{path}: other users can read this file (mode {stat.S_IMODE(info.st_mode):04o}) and "
            f"it holds API keys, so timebill will not use it. Fix: chmod 600 {shlex.quote(str(path))}"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
        return tomllib.loads(text, parse_float=Decimal)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except RecursionError:
        # tomllib recurses per nesting level: thousands of [[[... end in a RecursionError.
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file: {err.strerror}") from None


def file_document(settings: BaseModel) -> dict[str, Any]:
    """What the file holds for validated `settings`: only the keys that were set, API keys
    revealed, numbers as plain decimals (7.70 becomes 7.7; never 2e+1, which tomli_w would
    write for a bare normalize())."""
    # Imported here: reading the file happens before the app's first frame, writing never does.
    from pydantic import SecretStr

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, Decimal):
            return Decimal(format(value.normalize(), "f"))
        return value

    # The dump says which keys are set; the values are read from the model, where keys are still
    # SecretStr (and so can be revealed for the file).
    data = settings.model_dump(exclude_unset=True, exclude_none=True)
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            section = getattr(settings, name)
            value = {key: plain(getattr(section, key)) for key in value}
            if not value:
                continue
        else:
            value = plain(value)
        out[name] = value
    return out


def write_config_file(target: Path, document: Mapping[str, Any], *, keep_old: bool = False) -> None:
    """Write `document` as TOML to `target` atomically (temp file in the same folder, 0600,
    fsync, rename; missing folders are made 0700). `keep_old` first moves an existing file to
    `<name>.invalid`."""
    payload = HEADER + tomli_w.dumps(document)
    _write_private(target, payload.encode("utf-8"), keep_old=keep_old)


def _make_private_dirs(folder: Path) -> None:
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o700, exist_ok=True)
        # mkdir's mode is reduced by the umask; the folder must still be 0700.
        os.chmod(directory, 0o700)


def _write_private(target: Path, payload: bytes, *, keep_old: bool) -> None:
    folder = target.parent
    try:
        _make_private_dirs(folder)
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise ConfigError(f"{target}: cannot save the config file: {err.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.chmod(temp_name, 0o600)
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if keep_old:
            backup = target.with_name(target.name + ".invalid")
            os.replace(target, backup)
            os.chmod(backup, 0o600)
        os.replace(temp_name, target)
    except OSError as err:
        Path(temp_name).unlink(missing_ok=True)
        raise ConfigError(f"{target}: cannot save the config file: {err.strerror}") from None
    if os.name == "posix":
        # The rename is only durable once the folder's entry is on disk too.
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
