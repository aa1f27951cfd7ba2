"""The two lines under the entries list: the highlighted entry in full, and the selection's
count, hours and amount beside how many entries are shown."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, Static
from timebill.tui.i18n import register, t
from timebill.tui.widgets import numbers
from timebill.tui.widgets.entry_rows import EntryRow, Selection

STRINGS = {
    "status.shown": {"en": "{shown} of {total} entries", "de": "{shown} von {total} Einträgen"},
    "status.selected": {
        "en": "{count} selected · {hours} h · {amount}",
        "de": "{count} ausgewählt · {hours} Std. · {amount}",
    },
    "status.hidden": {"en": " ({n} hidden)", "de": " ({n} ausgeblendet)"},
    "status.nothing_selected": {
        "en": "Nothing selected (space, a)",
        "de": "Nichts ausgewählt (Leertaste, a)",
    },
}
register(STRINGS)


def detail_text(row: EntryRow | None, draft: str = "") -> Text:
    """The entry on two lines (names, then the note), as plain text: the columns cut them.
    `draft` (the invoice a billed entry is on) leads the second line, before the note."""
    if row is None:
        return Text("")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(row.customer or "–", style="bold")
    for part in (row.project, row.service, row.user):
        if part:
            text.append(" · ")
            text.append(part)
    text.append("\n")
    if draft:
        text.append(draft + " · ", style="bold")
    text.append(row.note or "–", style="italic")
    return text


class EntryDetail(Static):
    """The highlighted entry in full."""

    DEFAULT_CSS = """
    EntryDetail {
        height: 2;
        padding: 0 1;
        background: $panel;
        color: $foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def show(self, row: EntryRow | None, draft: str = "") -> None:
        self.update(detail_text(row, draft))


class EntryStatus(Horizontal):
    """Selection totals on the left, shown/loaded counts (and the account) on the right."""

    DEFAULT_CSS = """
    EntryStatus {
        height: 1;
        background: $panel;
        & > #selection-status { width: 1fr; padding: 0 1; color: $accent; text-style: bold; }
        & > #count-status {
            width: auto;
            padding: 0 1;
            color: $text-muted;
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
    }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="selection-status")
        yield Label(id="count-status")

    def show(
        self, selection: Selection, *, hidden: int, shown: int, total: int, account: str
    ) -> None:
        if len(selection):
            text = t(
                "status.selected",
                count=numbers.count(len(selection)),
                hours=numbers.hours(selection.minutes, grouping=True),
                amount=numbers.amount(selection.amount, grouping=True),
            )
            if hidden:
                text += t("status.hidden", n=numbers.count(hidden))
        else:
            text = t("status.nothing_selected")
        self.query_one("#selection-status", Label).update(Text(text))
        counts = t("status.shown", shown=numbers.count(shown), total=numbers.count(total))
        if account:
            counts += f" · {account}"
        self.query_one("#count-status", Label).update(Text(counts))
        self._left = text
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        # The selection is what the user acts on: it keeps its whole text, and the counts and
        # the account (a long clockodo e-mail) give way with an ellipsis.
        left = getattr(self, "_left", "")
        room = self.size.width - len(left) - 4
        self.query_one("#count-status", Label).styles.max_width = max(room, 8)
