"""TimeEntry objects without pydantic validation, for the adapters' hot path.

Profiled at 100,000 entries (benchmarks/profile_fetch.py), validating each entry cost ~8 µs
(~12 µs with two Decimals), and `TimeEntry.model_construct` is slower still (~22 µs: pydantic
2.x walks the fields in Python). The wire modules (mite_wire.EntryReader,
clockodo_wire.EntryReader) therefore produce every field with its exact type themselves: str,
int, bool, datetime.date, Decimal or None, and only the Literal values the model allows.
tests/test_fast_entry.py holds them to that: strict validation of what they built gives an
equal object, for the sandbox's whole world and for odd wire values.

What this module relies on is what `model_construct` itself does: an instance is its
`__dict__` (every field, in declaration order) plus three slots. It checks the field names on
every call: a field added to TimeEntry later takes its default (as with validation), a required
one the wire modules do not fill in raises TypeError, never an object without it.
"""

from __future__ import annotations

from typing import Any

from timebill.core.models import TimeEntry

_FIELDS = TimeEntry.model_fields
# Every field in declaration order (so dumps and reprs read as with validation), defaults filled.
_TEMPLATE: dict[str, Any] = {
    name: (None if info.is_required() else info.get_default(call_default_factory=True))
    for name, info in _FIELDS.items()
}
_NAMES = frozenset(_FIELDS)
_REQUIRED = frozenset(name for name, info in _FIELDS.items() if info.is_required())
# One set for all entries: each would otherwise carry its own (728 bytes, 70 MB for 100,000).
# Safe because TimeEntry is frozen: pydantic changes the set only on attribute assignment
# (refused) and in model_copy, which works on a copy of it.
_ALL_SET: set[str] = set(_FIELDS)
_new = object.__new__
_set = object.__setattr__


def time_entry(values: dict[str, Any]) -> TimeEntry:
    """A TimeEntry from `values`, which must already hold correctly typed values (not checked:
    see the module doc). Fields left out take their defaults. A dict with every field becomes
    the entry's own `__dict__`: the caller hands it over and must not change it afterwards."""
    if values.keys() == _NAMES:
        data = values
    else:
        keys = values.keys()
        if not keys <= _NAMES or not _REQUIRED <= keys:
            unknown = sorted(keys - _NAMES)
            missing = sorted(_REQUIRED - keys)
            raise TypeError(f"TimeEntry fields: unknown {unknown}, missing {missing}")
        data = {**_TEMPLATE, **values}
    entry = _new(TimeEntry)
    _set(entry, "__dict__", data)
    _set(entry, "__pydantic_fields_set__", _ALL_SET)
    _set(entry, "__pydantic_extra__", None)
    _set(entry, "__pydantic_private__", None)
    return entry


class SharedStrings(dict[str, str]):
    """`shared[text]`: one copy of each equal string across a listing's entries (a dict lookup,
    no Python call where the string was seen before). Only for exact `str` keys."""

    def __missing__(self, key: str) -> str:
        self[key] = key
        return key


class IntStrings(dict[int, str]):
    """`ids[number]`: the one `str(number)` of each id. Only for exact `int` keys (True == 1:
    a bool must never be looked up here)."""

    def __missing__(self, key: int) -> str:
        text = self[key] = str(key)
        return text
