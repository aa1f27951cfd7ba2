"""The settings' sources as plain dicts: the TIMEBILL_* environment read into nested tables, and
how layers merge. No pydantic here: the app reads its language and theme with these before its
first frame (timebill.core.settings.ui); validation is timebill.core.settings.model's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from timebill.core.errors import ConfigError

ENV_PREFIX = "TIMEBILL_"


def environment_layer(
    environ: Mapping[str, str], names: Collection[str], sections: Collection[str]
) -> dict[str, Any]:
    """The TIMEBILL_* variables that name a setting, as nested dicts: TIMEBILL_MITE__API_KEY
    is [mite] api_key, TIMEBILL_MITE may hold the whole section as a JSON object. Names are
    case-insensitive; blank values are ignored; TIMEBILL_CONFIG, _DATA_DIR and _LOG are not
    settings and stay out. `names`: the top-level settings, `sections`: those that are tables."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.upper().startswith(ENV_PREFIX) or not raw.strip():
            continue
        section, nested, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if section not in names:
            continue
        if nested:
            if section in sections:
                out[section] = merge(out.get(section, {}), {key: raw})
        elif section in sections:
            out[section] = merge(_json_section(name, raw), out.get(section, {}))
        else:
            out[section] = raw
    return _prune_blank(out)


def _json_section(name: str, raw: str) -> dict[str, Any]:
    import json  # only here: whole-section variables are rare, the first frame reads the rest

    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        # The message names the variable, never its value (it may be a pasted key).
        raise ConfigError(
            f"{name}: not valid: set single keys (e.g. TIMEBILL_MITE__ACCOUNT), "
            "or give a whole section as a JSON object"
        )
    return value


def _prune_blank(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in data.items():
        if isinstance(value, Mapping):
            value = _prune_blank(dict(value))
            if not value:
                continue
        elif isinstance(value, str) and not value.strip():
            continue
        out[name] = value
    return out


def merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """`update` over `base`, table by table."""
    out = dict(base)
    for name, value in update.items():
        if isinstance(out.get(name), Mapping) and isinstance(value, Mapping):
            out[name] = merge(out[name], value)
        else:
            out[name] = value
    return out
