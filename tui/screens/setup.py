"""Connection setup: the time tracker (mite or clockodo), Billomat and the default VAT rate.

The form becomes settings through `Settings.with_changes` (timebill.tui.screens.setup_form), so every
value is checked by the settings module and its message is shown at the field it is about.
"Test" asks each service in its own worker and shows that service's answer beside it, writing
nothing. "Save" writes only a form that is valid as a whole. Values that come from TIMEBILL_*
variables are shown read-only and never written (save_settings leaves them out).

Dismisses with the saved settings, read back from the file, or None when cancelled.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker
from timebill.core.connect import open_billomat, open_source
from timebill.core.errors import ConfigError, TimebillError
from timebill.core.models import SERVICE_TITLES
from timebill.core.secrets import redact, reveal
from timebill.core.settings.model import (
    SECRET_KEYS,
    TRACKERS,
    Settings,
    env_var,
    load_settings,
    save_settings,
)
from timebill.core.text import one_line
from timebill.tui.i18n import register, t
from timebill.tui.screens.setup_form import (
    BY_KEY,
    FIELDS,
    Field,
    FormCheck,
    account_text,
    check_form,
    failure_text,
    from_environment,
    initial_value,
)
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.worker_errors import notify_failure

STRINGS = {
    "setup.title": {"en": "Connections", "de": "Verbindungen"},
    "setup.demo_hint": {
        "en": "No account at hand? `timebill demo` shows the whole app against a local sandbox.",
        "de": "Noch kein Zugang? `timebill demo` zeigt die ganze App mit einer lokalen Sandbox.",
    },
    "setup.intro": {
        "en": "Where time entries come from and invoice drafts go. Saved to {path}, readable only by you.",
        "de": "Woher die Zeiteinträge kommen und wohin die Rechnungsentwürfe gehen. Gespeichert in {path}, nur für Sie lesbar.",
    },
    "setup.invoices": {"en": "Invoices", "de": "Rechnungen"},
    "setup.field.tracker": {"en": "Time tracker", "de": "Zeiterfassung"},
    "setup.field.mite.account": {"en": "Account", "de": "Account"},
    "setup.field.mite.api_key": {"en": "API key", "de": "API-Schlüssel"},
    "setup.field.clockodo.email": {"en": "E-mail", "de": "E-Mail"},
    "setup.field.clockodo.api_key": {"en": "API key", "de": "API-Schlüssel"},
    "setup.field.billomat.billomat_id": {"en": "Billomat ID", "de": "Billomat-ID"},
    "setup.field.billomat.api_key": {"en": "API key", "de": "API-Schlüssel"},
    "setup.field.billomat.app_id": {"en": "App ID", "de": "App-ID"},
    "setup.field.billomat.app_secret": {"en": "App secret", "de": "App-Secret"},
    "setup.field.invoice.default_vat": {"en": "Default VAT %", "de": "Standard-USt. %"},
    "setup.placeholder.mite.account": {
        "en": "e.g. nordlicht for nordlicht.mite.de",
        "de": "z. B. nordlicht für nordlicht.mite.de",
    },
    "setup.placeholder.mite.api_key": {
        "en": "your mite API key",
        "de": "Ihr mite-API-Schlüssel",
    },
    "setup.placeholder.clockodo.email": {
        "en": "the e-mail you log in with",
        "de": "Ihre Login-E-Mail-Adresse",
    },
    "setup.placeholder.clockodo.api_key": {
        "en": "your clockodo API key",
        "de": "Ihr clockodo-API-Schlüssel",
    },
    "setup.placeholder.billomat.billomat_id": {
        "en": "e.g. nordlicht for nordlicht.billomat.net",
        "de": "z. B. nordlicht für nordlicht.billomat.net",
    },
    "setup.placeholder.billomat.api_key": {
        "en": "your Billomat API key",
        "de": "Ihr Billomat-API-Schlüssel",
    },
    "setup.placeholder.billomat.app_id": {"en": "optional", "de": "optional"},
    "setup.placeholder.billomat.app_secret": {
        "en": "optional, with App ID",
        "de": "optional, mit App-ID",
    },
    "setup.placeholder.invoice.default_vat": {"en": "e.g. 19", "de": "z. B. 19"},
    "setup.from_env": {
        "en": "Set by {var}: change it there (not saved here).",
        "de": "Gesetzt durch {var}: dort ändern (wird hier nicht gespeichert).",
    },
    "setup.address": {"en": "API address: {url}", "de": "API-Adresse: {url}"},
    "setup.address_env": {"en": "(from {var})", "de": "(aus {var})"},
    "setup.untested": {"en": "not tested yet", "de": "noch nicht geprüft"},
    "setup.fix_fields": {
        "en": "not tested: fix the marked fields",
        "de": "nicht geprüft: markierte Felder korrigieren",
    },
    "setup.error.bug": {
        "en": "the test failed unexpectedly (see the notification)",
        "de": "die Prüfung ist unerwartet fehlgeschlagen (siehe Meldung)",
    },
    "setup.not_saved": {"en": "Settings not saved", "de": "Einstellungen nicht gespeichert"},
    "setup.not_saved_hint": {
        "en": "Fix the marked fields, then save again.",
        "de": "Markierte Felder korrigieren, dann erneut speichern.",
    },
    "setup.saved": {
        "en": "Settings saved to {path}.",
        "de": "Einstellungen gespeichert in {path}.",
    },
    "setup.button.test": {"en": "Test ^t", "de": "Prüfen ^t"},
    "setup.button.save": {"en": "Save ^s", "de": "Speichern ^s"},
    "setup.button.reveal": {"en": "Show keys ^r", "de": "Schlüssel zeigen ^r"},
    "setup.button.hide": {"en": "Hide keys ^r", "de": "Schlüssel verbergen ^r"},
    "setup.button.cancel": {"en": "Cancel esc", "de": "Abbrechen esc"},
    "key.setup.test": {"en": "Test", "de": "Prüfen"},
    "key.setup.save": {"en": "Save", "de": "Speichern"},
    "key.setup.reveal": {"en": "Show/hide keys", "de": "Schlüssel zeigen/verbergen"},
    "key.setup.cancel": {"en": "Cancel", "de": "Abbrechen"},
}
register(STRINGS)


class SetupScreen(Screen[Settings | None]):
    CSS_PATH = "setup.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "test", "key.setup.test", id="setup.test", priority=True),
        Binding("ctrl+s", "save", "key.setup.save", id="setup.save", priority=True),
        Binding("ctrl+r", "reveal", "key.setup.reveal", id="setup.reveal", priority=True),
        Binding("escape", "cancel", "key.setup.cancel", id="setup.cancel"),
    ]

    class Saved(Message):
        """The settings were written to `path`; `settings` is what the file now says."""

        def __init__(self, settings: Settings, path: Path) -> None:
            super().__init__()
            self.settings = settings
            self.path = path

    def __init__(self, settings: Settings | None, config_path: Path) -> None:
        super().__init__()
        localize_bindings(self)
        self.config_path = Path(config_path)
        self.base: Settings | None = settings
        self.load_problem: str | None = None
        if self.base is None:
            try:
                self.base = load_settings(self.config_path)
            except ConfigError as err:
                # The file (or a TIMEBILL_* variable) is broken: the form starts empty and the
                # problem stays on top; saving reports it rather than overwriting the file.
                self.load_problem = err.message
        tracker = self.base.tracker if self.base is not None else None
        # Most people start with mite; a first start without a choice would only cost a keypress.
        self.tracker: str = tracker or "mite"
        self.revealed = False
        self.saving = False
        # Bumped whenever a service's fields change or a new test starts: an answer to an older
        # question is not shown.
        self.generation = dict.fromkeys(SERVICE_TITLES, 0)

    # -- building the form ---------------------------------------------------------------------
    def _from_env(self, key: str) -> bool:
        return from_environment(self.base, key)

    def _field(self, field: Field) -> ComposeResult:
        from_env = self._from_env(field.key)
        with Horizontal(classes="setup-row"):
            yield Label(t(f"setup.field.{field.key}"), classes="setup-label")
            yield Input(
                initial_value(self.base, field.key),
                placeholder=t(f"setup.placeholder.{field.key}"),
                password=field.secret,
                compact=True,
                disabled=from_env,
                id=field.id,
            )
        if from_env:
            yield Static(
                Text(t("setup.from_env", var=env_var(field.key))),
                id=f"{field.id}-hint",
                classes="setup-hint",
            )
        yield Static(id=f"{field.id}-error", classes="setup-error", markup=False)

    def _heading(self, section: str) -> ComposeResult:
        with Horizontal(classes="setup-heading"):
            yield Label(SERVICE_TITLES[section], classes="setup-service")
            yield Static(Text(t("setup.untested")), id=f"{section}-status", classes="setup-status")
        base_url = getattr(self.base, section).base_url if self.base is not None else None
        if base_url:
            key = f"{section}.base_url"
            text = t("setup.address", url=one_line(base_url))
            if self._from_env(key):
                text += " " + t("setup.address_env", var=env_var(key))
            yield Static(Text(text), id=f"{section}-address", classes="setup-hint")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup-form"):
            yield Static(Text(t("setup.title")), id="setup-title")
            intro = t("setup.intro", path=str(self.config_path))
            if not self.config_path.exists():  # first start: the way to look around first
                intro += "\n" + t("setup.demo_hint")
            yield Static(Text(intro), id="setup-intro")
            yield Static(id="setup-problems", markup=False)
            with Horizontal(classes="setup-row", id="setup-tracker-row"):
                yield Label(t("setup.field.tracker"), classes="setup-label")
                with RadioSet(id="setup-tracker", disabled=self._from_env("tracker")):
                    for name in TRACKERS:
                        yield RadioButton(
                            SERVICE_TITLES[name],
                            value=name == self.tracker,
                            id=f"setup-tracker-{name}",
                        )
            if self._from_env("tracker"):
                yield Static(
                    Text(t("setup.from_env", var=env_var("tracker"))),
                    id="tracker-hint",
                    classes="setup-hint",
                )
            yield Static(id="tracker-error", classes="setup-error", markup=False)
            for section in ("mite", "clockodo", "billomat"):
                with Vertical(id=f"setup-{section}", classes="setup-section"):
                    yield from self._heading(section)
                    for field in FIELDS[section]:
                        yield from self._field(field)
            with Vertical(id="setup-invoice", classes="setup-section"):
                with Horizontal(classes="setup-heading"):
                    yield Label(t("setup.invoices"), classes="setup-service")
                yield from self._field(FIELDS["invoice"][0])
        with Horizontal(id="setup-buttons"):
            yield Button(t("setup.button.test"), id="setup-test", compact=True)
            yield Button(t("setup.button.save"), id="setup-save", compact=True, variant="primary")
            yield Button(t("setup.button.reveal"), id="setup-reveal", compact=True)
            yield Button(t("setup.button.cancel"), id="setup-cancel", compact=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_tracker()
        if self.load_problem:
            self._banner([self.load_problem])
        for field in self._visible_fields():
            widget = self._input(field)
            if not widget.disabled and not widget.value and not field.optional:
                widget.focus()
                return
        self.query_one(RadioSet).focus()

    # -- small helpers -------------------------------------------------------------------------
    def _input(self, field: Field) -> Input:
        return self.query_one(f"#{field.id}", Input)

    def _status(self, service: str) -> Static:
        return self.query_one(f"#{service}-status", Static)

    def _visible_fields(self) -> list[Field]:
        return [*FIELDS[self.tracker], *FIELDS["billomat"], *FIELDS["invoice"]]

    def _show_tracker(self) -> None:
        for name in TRACKERS:
            self.query_one(f"#setup-{name}").display = name == self.tracker

    def _secrets(self) -> list[str]:
        found = [self._input(BY_KEY[key]).value for key in SECRET_KEYS]
        if self.base is not None:
            found += [
                reveal(self.base.mite.api_key or ""),
                reveal(self.base.clockodo.api_key or ""),
                reveal(self.base.billomat.api_key or ""),
                reveal(self.base.billomat.app_secret or ""),
            ]
        return [secret for secret in found if secret]

    def _banner(self, lines: list[str]) -> None:
        banner = self.query_one("#setup-problems", Static)
        text = "\n".join(redact(line, self._secrets()) for line in lines)
        banner.update(Text(text))
        banner.set_class(bool(lines), "-shown")

    def _mark(self, key: str, message: str | None) -> None:
        if key == "tracker":
            error = self.query_one("#tracker-error", Static)
        else:
            field = BY_KEY[key]
            error = self.query_one(f"#{field.id}-error", Static)
            self._input(field).set_class(bool(message), "-invalid")
        error.update(Text(message or ""))
        error.set_class(bool(message), "-shown")

    def _clear_marks(self, keys: list[str]) -> None:
        for key in keys:
            self._mark(key, None)

    def _set_status(self, service: str, text: str, state: str | None) -> None:
        status = self._status(service)
        status.loading = False
        mark = {"ok": "✓ ", "error": "✗ "}.get(state or "", "")
        status.update(Text(mark + redact(text, self._secrets())))
        status.set_class(state == "ok", "-ok")
        status.set_class(state == "error", "-error")

    # -- from the form to settings -------------------------------------------------------------
    def _check_form(self, sections: list[str], *, tracker: bool, billomat: bool) -> FormCheck:
        """Settings with the form's values for `sections` (and the tracker choice if `tracker`);
        what is wrong is marked at its field, the rest is left to the caller."""
        keys = ["tracker"] if tracker else []
        keys += [field.key for section in sections for field in FIELDS[section]]
        self._clear_marks(keys)
        if self.base is None:
            return FormCheck(other=[self.load_problem or ""])
        values = {
            field.key: self._input(field).value
            for section in sections
            for field in FIELDS[section]
            if not self._from_env(field.key)
        }
        check = check_form(
            self.base,
            values,
            tracker=self.tracker if tracker and not self._from_env("tracker") else None,
            sections=sections,
            check_tracker=tracker,
            check_billomat=billomat,
        )
        for key, message in check.fields.items():
            self._mark(key, message)
        return check

    def _focus_first_invalid(self) -> None:
        for field in self._visible_fields():
            widget = self._input(field)
            if widget.has_class("-invalid") and not widget.disabled:
                widget.focus()
                return

    # -- events --------------------------------------------------------------------------------
    @on(RadioSet.Changed, "#setup-tracker")
    def _tracker_chosen(self, event: RadioSet.Changed) -> None:
        chosen = (event.pressed.id or "").removeprefix("setup-tracker-")
        if chosen in TRACKERS and chosen != self.tracker:
            self.tracker = chosen
            self._show_tracker()
            self._mark("tracker", None)

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        key = next((f.key for f in BY_KEY.values() if f.id == event.input.id), None)
        if key is None:
            return
        self._mark(key, None)
        service = key.split(".")[0]
        if service in SERVICE_TITLES and self.is_mounted:
            self.generation[service] += 1
            self.workers.cancel_group(self, f"setup-test-{service}")
            self._set_status(service, t("setup.untested"), None)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").removeprefix("setup-")
        if action in ("test", "save", "reveal", "cancel"):
            await self.run_action(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and self.saving:
            return None
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        for key in SECRET_KEYS:
            self._input(BY_KEY[key]).password = not self.revealed
        label = "setup.button.hide" if self.revealed else "setup.button.reveal"
        self.query_one("#setup-reveal", Button).label = t(label)

    def action_test(self) -> None:
        """Ask the chosen tracker and Billomat, each on its own: one failing (or slow) does not
        hold up the other's answer."""
        other: list[str] = []
        for service, sections, tracker in (
            (self.tracker, [self.tracker], True),
            ("billomat", ["billomat"], False),
        ):
            self.generation[service] += 1
            self.workers.cancel_group(self, f"setup-test-{service}")
            check = self._check_form(sections, tracker=tracker, billomat=not tracker)
            other += check.other
            if check.settings is None:
                self._set_status(service, t("setup.fix_fields"), "error")
                continue
            self._status(service).loading = True
            self.run_worker(
                self._check(service, check.settings, self.generation[service]),
                group=f"setup-test-{service}",
                exclusive=True,
                exit_on_error=False,
            )
        self._banner(other)
        self._focus_first_invalid()

    async def _check(self, service: str, settings: Settings, generation: int) -> None:
        opener = open_billomat if service == "billomat" else open_source
        try:
            async with opener(settings) as client:
                account = await client.verify()
        except TimebillError as err:
            text, state = failure_text(service, err), "error"
        else:
            text, state = account_text(account), "ok"
        if generation == self.generation[service]:
            self._set_status(service, text, state)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if notify_failure(self, event):
            group = event.worker.group
            if group.startswith("setup-test-"):
                self._set_status(group.removeprefix("setup-test-"), t("setup.error.bug"), "error")
            elif group == "setup-save":
                self.saving = False
                self.refresh_bindings()

    def action_save(self) -> None:
        if self.saving:
            return
        check = self._check_form([self.tracker, "billomat", "invoice"], tracker=True, billomat=True)
        self._banner(check.other)
        if check.settings is None:
            self._focus_first_invalid()
            self.notify(t("setup.not_saved_hint"), title=t("setup.not_saved"), severity="error")
            return
        self.saving = True
        self.refresh_bindings()
        self.run_worker(self._save(check.settings), group="setup-save", exit_on_error=False)

    async def _save(self, candidate: Settings) -> None:
        def write() -> tuple[Settings, Path]:
            path = save_settings(candidate, self.config_path)
            # Read back through the candidate: the new file, the environment, and the explicit
            # values the app was started with (the demo's, which must keep beating TIMEBILL_*).
            return candidate.with_changes({}), path

        try:
            settings, path = await asyncio.to_thread(write)
        except ConfigError as err:
            self.saving = False
            self.refresh_bindings()
            self._banner([err.message])
            self.notify(
                redact(err.message, self._secrets()),
                title=t("setup.not_saved"),
                severity="error",
                markup=False,
            )
            return
        self.post_message(self.Saved(settings, path))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.notify(t("setup.saved", path=str(message.path)), markup=False)
        self.dismiss(message.settings)
