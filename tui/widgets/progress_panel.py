"""ProgressPanel: what is being done right now (one line of text) over a ProgressBar.

Hidden until `begin`; `update` sets the text and the steps (total None: the bar pulses, for a
step whose length nobody knows, such as a draft being created)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static


class ProgressPanel(Vertical):
    DEFAULT_CSS = """
    ProgressPanel { height: auto; display: none; padding: 0 1; }
    ProgressPanel.-active { display: block; }
    ProgressPanel > .progress-label { height: 1; }
    ProgressPanel > ProgressBar { height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(classes="progress-label", markup=False)
        yield ProgressBar(total=None, show_eta=False)

    def begin(self, text: str, total: int | None = None) -> None:
        self.add_class("-active")
        self.update(text, 0, total)

    def update(self, text: str, done: int = 0, total: int | None = None) -> None:
        self.query_one(".progress-label", Static).update(Text(text))
        bar = self.query_one(ProgressBar)
        bar.update(total=total, progress=done)

    def end(self) -> None:
        self.remove_class("-active")
