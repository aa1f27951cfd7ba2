"""The mapping and state cells of the month-end queue, coloured by the current theme."""

from __future__ import annotations

from rich.text import Text
from textual.dom import DOMNode
from timebill.core.billing.month_end import QueueRow
from timebill.tui.i18n import register, t
from timebill.tui.widgets.theme_colors import theme_color

STRINGS = {
    "queue.mapping.assigned": {"en": "✓ client", "de": "✓ Kunde"},
    "queue.mapping.missing": {"en": "✗ no client", "de": "✗ kein Kunde"},
    "queue.state.open": {"en": "open", "de": "offen"},
    "queue.state.reviewed": {"en": "✓ reviewed", "de": "✓ geprüft"},
    "queue.state.created": {"en": "✓ created", "de": "✓ angelegt"},
    "queue.created_detail": {
        "en": "Draft id {id}, number {number} (provisional): {url}",
        "de": "Entwurf ID {id}, Nummer {number} (vorläufig): {url}",
    },
    "queue.state.failed": {"en": "failed", "de": "gescheitert"},
    "queue.state.unassigned": {"en": "assign…", "de": "zuordnen…"},
    "queue.state.error": {"en": "cannot plan", "de": "nicht planbar"},
}
register(STRINGS)


def mapping_cell(node: DOMNode, row: QueueRow) -> Text:
    if row.kind == "unassigned":
        return Text(t("queue.mapping.missing"), style=theme_color(node, "warning", "yellow"))
    return Text(t("queue.mapping.assigned"), style="dim")


def state_cell(node: DOMNode, row: QueueRow) -> Text:
    if row.state == "created":
        return Text(t("queue.state.created"), style=f"bold {theme_color(node, 'success', 'green')}")
    if row.state in ("failed", "error"):
        return Text(
            t(f"queue.state.{row.state}"), style=f"bold {theme_color(node, 'error', 'red')}"
        )
    if row.state == "reviewed":
        return Text(t("queue.state.reviewed"), style=theme_color(node, "accent", "cyan"))
    if row.state == "unassigned":
        return Text(t("queue.state.unassigned"), style=theme_color(node, "warning", "yellow"))
    return Text(t("queue.state.open"))
