"""SelectTable: a row-cursor DataTable whose Enter is shown in the Footer with what it does
there ("Edit line", "Preview", ...). DataTable's own Enter binding is hidden, and being on the
focused widget it would hide a screen's Enter binding from the Footer as well."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.widgets import DataTable
from timebill.tui.i18n import t


class SelectTable(DataTable[Text]):
    def __init__(
        self,
        enter_label: str,
        *,
        id: str | None = None,
        classes: str | None = None,
        zebra_stripes: bool = True,
        show_header: bool = True,
    ) -> None:
        """`enter_label`: an i18n key ("key.…") or text for the Footer."""
        super().__init__(
            id=id,
            classes=classes,
            cursor_type="row",
            zebra_stripes=zebra_stripes,
            show_header=show_header,
        )
        label = t(enter_label) if enter_label.startswith("key.") else enter_label
        bindings = self._bindings.key_to_bindings
        bindings["enter"] = [
            replace(binding, description=label, show=True)
            if binding.action == "select_cursor"
            else binding
            for binding in bindings.get("enter", [])
        ]
