"""What a timebill draft carries in its customfield: its plan's marker and entry ids, read back
robustly (a value cut short, a foreign value, an older version's bare marker)."""

from __future__ import annotations

from timebill.core.billing.markers import draft_tag, marker_of, read_tag


def test_a_tag_names_the_plan_the_tracker_account_and_the_entries() -> None:
    value = draft_tag("timebill:abc", "mite:nordlicht", ["101", "102", "101"])
    assert value == "timebill:abc|mite:nordlicht|2|101,102|"
    tag = read_tag(value)
    assert tag is not None
    assert (tag.marker, tag.account, tag.entry_ids, tag.complete) == (
        "timebill:abc",
        "mite:nordlicht",
        {"101", "102"},
        True,
    )
    assert marker_of(value) == "timebill:abc"


def test_a_value_cut_short_does_not_trust_its_last_id() -> None:
    tag = read_tag("timebill:abc|mite:nordlicht|3|101,102,10")
    assert tag is not None and not tag.complete
    assert tag.entry_ids == {"101", "102"}


def test_bare_markers_and_foreign_values() -> None:
    old = read_tag("timebill:abc")
    assert old is not None and old.marker == "timebill:abc" and old.entry_ids == frozenset()
    assert read_tag("ext-4711") is None and read_tag("") is None
    assert marker_of("ext-4711") == "ext-4711" and marker_of("") == ""
