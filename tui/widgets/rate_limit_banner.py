"""The line on top of the screen while a service's rate limit holds timebill back: what it waits
for, the countdown, and that ctrl+c cancels without losing anything. Fed by
`timebill.core.ratelimit` events, so core knows nothing of the app."""

from __future__ import annotations

from textual.widgets import Static
from timebill.core.ratelimit import RateLimitWait
from timebill.tui.i18n import register, t

STRINGS = {
    "ratelimit.waiting": {
        "en": "{title} rate limit: waiting {left} until {until} (ctrl+c cancels, nothing is lost)",
        "de": "{title}-Anfragelimit: warte {left} bis {until} (Strg+C bricht ab, nichts geht verloren)",
    },
    "ratelimit.done": {
        "en": "{title} rate limit: window open again, continuing.",
        "de": "{title}-Anfragelimit: wieder frei, es geht weiter.",
    },
    "ratelimit.cancelled": {
        "en": "{title} rate limit: wait cancelled; nothing was sent.",
        "de": "{title}-Anfragelimit: Warten abgebrochen; nichts wurde gesendet.",
    },
}
register(STRINGS)


def wait_text(event: RateLimitWait) -> str:
    if event.state == "waiting":
        return t(
            "ratelimit.waiting",
            title=event.title,
            left=event.clock_text(),
            until=event.until_text(),
        )
    return t(f"ratelimit.{event.state}", title=event.title)


class RateLimitBanner(Static):
    DEFAULT_CSS = """
    RateLimitBanner {
        dock: top;
        height: 1;
        padding: 0 1;
        background: $warning;
        color: $text;
    }
    """

    def show(self, event: RateLimitWait) -> None:
        self.update(wait_text(event))
