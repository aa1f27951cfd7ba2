"""One copy of each equal value across a listing's entries.

A listing repeats a few dozen ids, names, notes and amounts across thousands of entries;
sharing them keeps 100,000 entries small in memory (benchmarks/bench_memory.py). Both wire
readers (mite_wire.EntryReader, clockodo_wire.EntryReader) keep one `SharedValues` per listing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


class SharedStrings(dict[str, str]):
    """`shared[text]`: one copy of each equal string (a dict lookup, no Python call where the
    string was seen before). Only for exact `str` keys."""

    def __missing__(self, key: str) -> str:
        self[key] = key
        return key


class IntStrings(dict[int, str]):
    """`ids[number]`: the one `str(number)` of each id. Only for exact `int` keys (True == 1:
    a bool must never be looked up here)."""

    def __missing__(self, key: int) -> str:
        text = self[key] = str(key)
        return text


class SharedValues:
    """The shared texts, ids and amounts of one listing. The readers look the usual types up
    inline (`texts[value] if type(value) is str else text(value)`): a call per field costs more
    than the lookup."""

    def __init__(self, amount: Callable[[Any], Decimal | None]) -> None:
        self.texts = SharedStrings()
        self.ids = IntStrings()
        self._amount = amount
        self._amounts: dict[float, Decimal | None] = {}

    def text(self, value: Any) -> str | None:
        if type(value) is str:
            return self.texts[value]
        return None if value is None else self.texts[str(value)]

    def ref(self, value: Any) -> str | None:
        """An id as text; an empty one is no id."""
        if type(value) is int:
            return self.ids[value]
        return None if value is None or value == "" else self.text(value)

    def money(self, value: Any) -> Decimal | None:
        """`amount(value)`, computed once per number: rates and revenues repeat across entries,
        and str(float) + Decimal cost a microsecond each time. Ints and floats share the cache
        (equal numbers, equal amounts)."""
        if type(value) is not int and type(value) is not float:
            return self._amount(value)
        try:
            return self._amounts[value]
        except KeyError:
            amount = self._amounts[value] = self._amount(value)
            return amount
