"""What a timebill draft carries in its Billomat `customfield`, so that anyone reading the
account (a `resume`, another install with its own journal, a late sweep) can tell whose draft it
is and which tracker entries it bills:

    timebill:<plan id>|<tracker account>|<count>|<entry id>,<entry id>,...|

The first part alone is the plan's marker (what older versions wrote, and what the lines added
to an existing draft carry as `<marker>#<n>`). How long a customfield may be is not documented
(UNCERTAIN): the count and the closing `|` let a reader notice a value cut short, and then the
last, possibly truncated, id is not trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from timebill.core.invoicing.models import MARKER_PREFIX

SEP = "|"


@dataclass(frozen=True)
class DraftTag:
    marker: str
    account: str = ""  # the tracker account, e.g. "mite:nordlicht" (entry ids are unique in it)
    entry_ids: frozenset[str] = frozenset()
    complete: bool = True  # False when the value was cut short


def draft_tag(marker: str, account: str, entry_ids: Iterable[str]) -> str:
    ids = list(dict.fromkeys(str(i) for i in entry_ids))
    return SEP.join((marker, account, str(len(ids)), ",".join(ids))) + SEP


def marker_of(customfield: str) -> str:
    """The marker part of a customfield: all of it, or what comes before the first `|`."""
    return (customfield or "").strip().split(SEP, 1)[0]


def read_tag(customfield: str) -> DraftTag | None:
    """The tag of a timebill draft, or None for anything else; never raises."""
    marker = marker_of(customfield)
    if not marker.startswith(MARKER_PREFIX):
        return None
    parts = customfield.strip().split(SEP, 3)
    if len(parts) < 4:
        return DraftTag(marker, parts[1] if len(parts) > 1 else "", complete=len(parts) == 1)
    _, account, count, ids = parts
    closed = ids.endswith(SEP)
    found = [i for i in ids.removesuffix(SEP).split(",") if i]
    complete = closed and count.isdigit() and int(count) == len(found)
    if not complete and found:
        found = found[:-1]  # the value was cut short: the last id may be a fragment
    return DraftTag(marker, account, frozenset(found), complete)
