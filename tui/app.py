"""The terminal app: themes, language, the entries screen, help and the command palette.

The billing flow (assign, preview, create, done; month-end) lives in its own screens: the
entries screen posts what the user asked for and `bill_selection` / `month_end` hand it on to
`timebill.tui.flow` (imported when needed, so the app runs without it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState
from timebill.core.errors import ConfigError, TimebillError
from timebill.core.ratelimit import RateLimitWait, listen
from timebill.core.settings import paths
from timebill.core.settings.ui import UiChoice, first_look
from timebill.tui.i18n import detect_language, register, set_language, t
from timebill.tui.screens.entries import EntriesScreen, Loader
from timebill.tui.themes import install_themes, problems_message, resolve_theme
from timebill.tui.widgets.localize import localize_bindings
from timebill.tui.widgets.rate_limit_banner import RateLimitBanner, wait_text

if TYPE_CHECKING:
    from timebill.core.entry import TimeEntry
    from timebill.core.settings.model import Settings

# Reads and validates the settings (the CLI's loader: file, environment, secrets registered for
# redaction); the app calls it in a worker after its first frame.
SettingsLoader = Callable[[], "Settings"]

STRINGS = {
    "key.app.help": {"en": "Help", "de": "Hilfe"},
    "key.app.quit": {"en": "Quit", "de": "Beenden"},
    "key.app.palette": {"en": "Commands", "de": "Befehle"},
    "cmd.setup": {"en": "Setup: connections", "de": "Einrichtung: Verbindungen"},
    "cmd.setup_help": {
        "en": "Time tracker and Billomat accounts, API keys, default VAT",
        "de": "Zeiterfassung und Billomat-Konto, API-Schlüssel, Standard-USt.",
    },
    "cmd.reload": {"en": "Entries: reload", "de": "Einträge: neu laden"},
    "cmd.reload_help": {
        "en": "Load the period's entries again from the time tracker",
        "de": "Die Einträge des Zeitraums neu aus der Zeiterfassung laden",
    },
    "cmd.theme": {"en": "Theme: switch", "de": "Theme: wechseln"},
    "cmd.theme_help": {
        "en": "Choose the colour theme (saved in the config)",
        "de": "Farbschema wählen (wird in der Konfiguration gespeichert)",
    },
    "cmd.resume": {"en": "Invoices: resume unfinished", "de": "Rechnungen: Unfertige fortsetzen"},
    "cmd.resume_help": {
        "en": "Finish invoices that were interrupted (draft created, entries not yet marked)",
        "de": "Unterbrochene Rechnungen abschließen (Entwurf da, Einträge noch nicht markiert)",
    },
    "cmd.unfinished": {"en": "Invoices: unfinished", "de": "Rechnungen: unfertige"},
    "cmd.unfinished_help": {
        "en": "List interrupted invoices; resume them, or abandon one (delete or keep its draft)",
        "de": "Unterbrochene Rechnungen auflisten; fortsetzen oder eine aufgeben (Entwurf löschen oder behalten)",
    },
    "cmd.unbilled": {"en": "Invoices: unbilled overview", "de": "Rechnungen: offene Übersicht"},
    "cmd.unbilled_help": {
        "en": "Open hours and amounts per customer over the last months, as bars",
        "de": "Offene Stunden und Beträge je Kunde der letzten Monate, als Balken",
    },
    "cmd.history": {"en": "Invoices: history", "de": "Rechnungen: Verlauf"},
    "cmd.history_help": {
        "en": "Drafts timebill made, their state in Billomat; take an entry off a draft",
        "de": "Von timebill angelegte Entwürfe, ihr Status in Billomat; Eintrag herausnehmen",
    },
    "cmd.help": {"en": "Help: keys", "de": "Hilfe: Tasten"},
    "cmd.help_help": {"en": "Show every key", "de": "Alle Tasten anzeigen"},
    "cmd.quit": {"en": "Quit", "de": "Beenden"},
    "cmd.quit_help": {"en": "Leave timebill", "de": "timebill verlassen"},
    "app.not_set_up": {
        "en": "timebill is not set up yet: open the setup (ctrl+p, Setup: connections).",
        "de": "timebill ist noch nicht eingerichtet: Einrichtung öffnen (Strg+P).",
    },
    "app.theme_not_saved": {"en": "Theme not saved", "de": "Theme nicht gespeichert"},
    "app.resume_none": {
        "en": "No unfinished invoices.",
        "de": "Keine unfertigen Rechnungen.",
    },
    "app.resume_title": {"en": "Unfinished invoices", "de": "Unfertige Rechnungen"},
    "app.resume_done": {
        "en": "{done} finished, {open} still open.",
        "de": "{done} abgeschlossen, {open} noch offen.",
    },
    "app.resume_failed": {
        "en": "Resuming invoices failed",
        "de": "Fortsetzen der Rechnungen fehlgeschlagen",
    },
    "app.unexpected": {
        "en": "Something went wrong",
        "de": "Etwas ist schiefgegangen",
    },
    "app.unexpected_text": {
        "en": "{kind}: {message}",
        "de": "{kind}: {message}",
    },
    "app.quit.title": {"en": "Quit timebill?", "de": "timebill beenden?"},
    "app.quit.yes": {"en": "quit", "de": "beenden"},
    "app.quit.lost": {
        "en": "Quitting now loses:",
        "de": "Beim Beenden geht verloren:",
    },
    "app.palette.placeholder": {
        "en": "Search for commands…",
        "de": "Befehle suchen…",
    },
    "app.settings_pending": {
        "en": "Reading the settings, one moment…",
        "de": "Einstellungen werden gelesen, einen Moment…",
    },
    "app.resume_busy": {
        "en": "Resuming invoices is already running.",
        "de": "Rechnungen werden bereits fortgesetzt.",
    },
}
register(STRINGS)


class TimebillApp(App[None]):
    TITLE = "timebill"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "key.app.help", id="app.help"),
        Binding("ctrl+q", "quit", "key.app.quit", id="app.quit", show=False, priority=True),
        # Only while a rate-limit wait runs (else skipped): cancels it, nothing is sent.
        Binding("ctrl+c", "cancel_rate_limit_wait", show=False, priority=True),
        Binding("q", "quit", "key.app.quit", id="app.quit_q", show=False),
        Binding(
            "ctrl+p",
            "command_palette",
            "key.app.palette",
            id="app.palette",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        settings: Settings | SettingsLoader | None,
        config_path: Path | None = None,
        *,
        today: dt.date | None = None,
        period: tuple[dt.date, dt.date] | None = None,
        preset: str = "last-month",
        loader: Loader | None = None,
    ) -> None:
        # Given a loader, the settings are read after the first frame (see on_ready); until then
        # the language and theme come from a first look at the file and the environment.
        self._settings_loader = settings if callable(settings) else None
        ready = None if callable(settings) else settings
        look = UiChoice()
        if ready is not None:
            look = UiChoice(ready.ui.language, ready.ui.theme)
        elif self._settings_loader is not None:
            look = first_look(config_path or paths.config_file())
        set_language(detect_language(look.language))
        super().__init__()
        localize_bindings(self)
        self.settings = ready
        self.config_path = config_path
        self.today = today or dt.date.today()
        self.period = period
        self.preset = preset
        self.loader = loader
        self.theme_problems = install_themes(self, paths.themes_dir())
        self.theme, self.theme_warning = resolve_theme(self, look.theme)
        self._saved_theme = self.theme
        # entry id -> (plan id, invoice id, number): the draft each billed entry is on (journal).
        self.entry_invoices: dict[str, tuple[str, str, str]] = {}
        self._waiting_task: asyncio.Task[Any] | None = None
        # A settings error found after the first frame: the app ends and `run_app` raises it,
        # so the command line reports it as it reports every other settings error (and an
        # unexpected one as the traceback it is).
        self.startup_error: Exception | None = None
        # Set once the settings given as a loader are read (or failed to be).
        self.settings_settled = asyncio.Event()
        if self._settings_loader is None:
            self.settings_settled.set()

    # -- start -------------------------------------------------------------------------------
    @property
    def settings_pending(self) -> bool:
        """The settings are still being read (the first seconds after start)."""
        return self._settings_loader is not None

    @property
    def needs_setup(self) -> bool:
        if self.settings_pending:
            return False
        return self.settings is None or bool(self.settings.missing())

    def _entries_screen(self) -> EntriesScreen:
        return EntriesScreen(
            self.loader or self._load_from_tracker,
            today=self.today,
            account=self._account(),
            preset=self.preset,
            period=self.period,
            auto_load=not self.needs_setup and not self.settings_pending,
            waiting=self.settings_pending,
        )

    def get_default_screen(self) -> Screen[Any]:
        # The entries screen is the default screen itself: pushing it over Textual's empty
        # default cost the first frame a second screen.
        return self._entries_screen()

    def on_mount(self) -> None:
        problems = list(self.theme_problems)
        if problems:
            self.notify(
                problems_message(problems),
                title=t("themes.broken_title"),
                severity="warning",
                timeout=15,
                markup=False,
            )
        if self.theme_warning and not self.settings_pending:
            self.notify(self.theme_warning, severity="warning", markup=False)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._rate_limit_listening = listen(self._rate_limit_wait)
        self._rate_limit_listening.__enter__()
        if self.needs_setup:
            self.action_open_setup()

    def on_ready(self) -> None:
        # Textual sends Ready once the first frame is drawn: only after it (and the refresh
        # that follows) the settings are read and validated, and the modules that billing
        # needs are loaded, in a thread (whose imports would hold the GIL while the frame is
        # still being written).
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        if not gc.isenabled():
            # Paused for the start (timebill.tui.main): what the start built stays, so it is
            # moved out of the collector's way rather than walked by every full collection.
            gc.freeze()
            gc.enable()
        if self._settings_loader is not None:
            self.read_settings(self._settings_loader)

    @work(thread=True, exclusive=True, group="settings", exit_on_error=False)
    def read_settings(self, load: SettingsLoader) -> None:
        try:
            settings = load()
            # Loaded here, off the event loop, before the entries need them.
            import timebill.core.connect  # noqa: F401
        except Exception as err:  # any failure ends the app: never a start that waits forever
            self.call_from_thread(self._settings_failed, err)
            return
        self.call_from_thread(self._settings_read, settings)

    def _settings_failed(self, error: Exception) -> None:
        self._settings_loader = None
        self.startup_error = error
        self.settings_settled.set()
        self.exit(return_code=1)

    def _settings_read(self, settings: Settings) -> None:
        self._settings_loader = None
        self.settings = settings
        if settings.ui.theme != self.theme and self.get_theme(settings.ui.theme) is not None:
            self.theme = self._saved_theme = settings.ui.theme
        elif self.theme_warning:
            self.notify(self.theme_warning, severity="warning", markup=False)
        screen = self.entries_screen
        if screen is not None:
            screen.account = self._account()
            if self.needs_setup:
                screen.not_connected()
            else:
                screen.reload()
        if self.needs_setup:
            self.action_open_setup()
        self.settings_settled.set()

    def usable_settings(self) -> Settings | None:
        """The settings for a command, or None after telling the user why there are none yet."""
        if self.settings_pending:
            self.notify(t("app.settings_pending"), markup=False)
            return None
        if self.settings is None or self.needs_setup:
            self.notify(t("app.not_set_up"), severity="warning", markup=False)
            return None
        return self.settings

    # -- rate-limit waits (timebill.core.ratelimit) -----------------------------------------
    def _rate_limit_wait(self, event: RateLimitWait) -> None:
        if self._thread_id != threading.get_ident():
            self.call_from_thread(self._rate_limit_wait, event)
            return
        banners = self.screen.query(RateLimitBanner)
        if event.state == "waiting":
            # The task that waits: ctrl+c cancels it before its request goes out again.
            self._waiting_task = asyncio.current_task()
            if banners:
                banners.first().show(event)
            else:
                banner = RateLimitBanner(id="rate-limit-wait")
                banner.show(event)
                self.screen.mount(banner)
            return
        self._waiting_task = None
        banners.remove()
        self.notify(
            wait_text(event),
            severity="warning" if event.state == "cancelled" else "information",
            markup=False,
        )

    def action_cancel_rate_limit_wait(self) -> None:
        task = self._waiting_task
        if task is None or task.done():
            raise SkipAction  # no wait: ctrl+c does what it does elsewhere (copy, help)
        task.cancel()

    def on_unmount(self) -> None:
        listening = getattr(self, "_rate_limit_listening", None)
        if listening is not None:
            listening.__exit__(None, None, None)
        # The entries screen hides loaded rows from the garbage collector (QuietGC freezes
        # them); give everything back when the app ends, so nothing of it outlives the app
        # (tests run many apps in one process).
        gc.unfreeze()

    def _account(self) -> str:
        if self.settings is None or self.settings.tracker is None:
            return ""
        from timebill.core.connect import tracker_account

        try:
            return tracker_account(self.settings)
        except ConfigError:
            return ""

    async def _load_from_tracker(
        self, start: dt.date, end: dt.date
    ) -> tuple[list[TimeEntry], Collection[str]]:
        from timebill.core.connect import open_journal, open_source, tracker_account

        settings = self.settings
        if settings is None:
            raise ConfigError(t("app.not_set_up"))
        async with open_source(settings) as source:
            entries = await source.entries(start, end)
        account = tracker_account(settings)

        def in_progress() -> set[str]:
            # SQLite may wait for another timebill's write lock: never on the event loop.
            with open_journal(settings) as journal:
                self.entry_invoices = journal.entry_invoices(account)
                return journal.in_progress(account)

        return entries, await asyncio.to_thread(in_progress)

    @property
    def entries_screen(self) -> EntriesScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, EntriesScreen):
                return screen
        return None

    def reload_entries(self) -> None:
        """Load the entries again, e.g. after an invoice marked some billed."""
        screen = self.entries_screen
        if screen is not None:
            screen.reload()

    # -- setup -------------------------------------------------------------------------------
    def action_open_setup(self) -> None:
        # Imported on first use: the first screen does not wait for the setup form.
        from timebill.tui.screens.setup import SetupScreen

        if self.settings_pending:
            self.notify(t("app.settings_pending"), markup=False)
            return
        config_path = self.config_path or (
            self.settings.config_path if self.settings is not None else paths.config_file()
        )
        self.push_screen(SetupScreen(self.settings, config_path), self._setup_done)

    def _setup_done(self, settings: Settings | None) -> None:
        if settings is None:
            return
        self.settings = settings
        screen = self.entries_screen
        if screen is not None:
            screen.account = self._account()
            if not self.needs_setup:
                screen.reload()

    # -- themes ------------------------------------------------------------------------------
    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == self._saved_theme or self.settings is None:
            return
        self._saved_theme = theme.name
        self.save_theme(theme.name)

    @work(thread=True, exclusive=True, group="save-theme", exit_on_error=False)
    def save_theme(self, name: str) -> None:
        from timebill.core.settings.model import save_settings

        settings = self.settings
        if settings is None:
            return
        try:
            # with_changes + save_settings writes the file's values and explicit ones, never a
            # value that came from a TIMEBILL_* variable.
            changed = settings.with_changes({"ui": {"theme": name}})
            save_settings(changed, self.config_path)
        except ConfigError as err:
            self.call_from_thread(
                self.notify,
                str(err),
                title=t("app.theme_not_saved"),
                severity="error",
                markup=False,
            )
            return
        self.call_from_thread(setattr, self, "settings", changed)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The app's own workers report their expected failures themselves; anything else that
        # escapes them (a bug) must still reach the user instead of vanishing.
        if event.worker.node is self and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                t("app.unexpected_text", kind=type(error).__name__, message=str(error)),
                title=t("app.unexpected"),
                severity="error",
                timeout=15,
                markup=False,
            )

    # -- commands ----------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield SystemCommand(t("cmd.setup"), t("cmd.setup_help"), self.action_open_setup)
        yield SystemCommand(t("cmd.reload"), t("cmd.reload_help"), self.reload_entries)
        yield SystemCommand(t("cmd.theme"), t("cmd.theme_help"), self.action_change_theme)
        yield SystemCommand(t("cmd.resume"), t("cmd.resume_help"), self.action_resume_invoices)
        yield SystemCommand(
            t("cmd.unfinished"), t("cmd.unfinished_help"), self.action_open_unfinished
        )
        yield SystemCommand(t("cmd.unbilled"), t("cmd.unbilled_help"), self.action_open_unbilled)
        yield SystemCommand(t("cmd.history"), t("cmd.history_help"), self.action_open_history)
        yield SystemCommand(t("cmd.help"), t("cmd.help_help"), self.action_help)
        yield SystemCommand(t("cmd.quit"), t("cmd.quit_help"), self.action_quit)

    def action_command_palette(self) -> None:
        # Textual's own prompt is English only.
        if self.use_command_palette and not CommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(
                CommandPalette(id="--command-palette", placeholder=t("app.palette.placeholder"))
            )

    def work_at_risk(self) -> list[str]:
        """What quitting now would lose, from every screen on the stack (`work_at_risk()` of
        each screen that has one: assignments chosen, edited lines, reviewed drafts, a create
        under way)."""
        lost: list[str] = []
        for screen in self.screen_stack:
            check = getattr(screen, "work_at_risk", None)
            reason = check() if callable(check) else None
            if reason:
                lost.append(reason)
        return lost

    async def action_quit(self) -> None:
        from timebill.tui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return  # only Enter answers a question
        lost = self.work_at_risk()
        if not lost:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        lines = [t("app.quit.lost"), *(f"• {reason}" for reason in lost)]
        self.push_screen(ConfirmScreen(t("app.quit.title"), lines, t("app.quit.yes")), answered)

    def action_open_unbilled(self) -> None:
        from timebill.tui.screens.unbilled import UnbilledScreen

        if self.usable_settings() is not None and not isinstance(self.screen, UnbilledScreen):
            self.push_screen(
                UnbilledScreen(self.loader or self._load_from_tracker, today=self.today)
            )

    def action_open_history(self) -> None:
        from timebill.tui.screens.history import HistoryScreen

        settings = self.usable_settings()
        if settings is not None and not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(settings))

    def action_open_unfinished(self) -> None:
        from timebill.tui.screens.unfinished import UnfinishedScreen

        settings = self.usable_settings()
        if settings is not None and not isinstance(self.screen, UnfinishedScreen):
            self.push_screen(UnfinishedScreen(settings))

    def show_entry_invoice(self, entry_id: str) -> bool:
        """Open the draft a billed entry is on (and show its address); False if none is known."""
        from timebill.tui.screens.history import show_link

        found = self.entry_invoices.get(entry_id)
        if found is None:
            return False
        show_link(self, self.settings, found[1], found[2])
        return True

    def action_help(self) -> None:
        from timebill.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_resume_invoices(self) -> None:
        if self.settings_pending:
            self.notify(t("app.settings_pending"), markup=False)
            return
        if any(w.group == "resume" and w.is_running for w in self.workers):
            self.notify(t("app.resume_busy"), markup=False)
            return
        self.resume_invoices()

    @work(group="resume", exit_on_error=False)
    async def resume_invoices(self) -> None:
        # Never exclusive: cancelling a create or a marking half-way leaves its outcome unknown.
        from timebill.core.billing.service import BillingService

        settings = self.settings
        try:
            if settings is None:
                raise ConfigError(t("app.not_set_up"))
            with BillingService.open(settings) as service:
                async with service.connect() as (source, billomat):
                    results = []
                    if service.unfinished():
                        results = await service.resume(source=source, billomat=billomat)
                    # Every resume looks for late copies of drafts and lines, as the CLI's does.
                    swept = await service.sweep(billomat)
        except TimebillError as err:
            self.notify(
                str(err), title=t("app.resume_failed"), severity="error", timeout=12, markup=False
            )
            return
        from timebill.tui.swept import notify_swept

        notify_swept(self, swept)
        if not results:
            self.notify(t("app.resume_none"), markup=False)
            return
        done = sum(1 for r in results if r.state == "done")
        lines = [t("app.resume_done", done=done, open=len(results) - done)]
        lines += [r.message for r in results if r.message]
        self.notify(
            "\n".join(lines),
            title=t("app.resume_title"),
            severity="information" if done == len(results) else "warning",
            timeout=12,
            markup=False,
        )
        self.reload_entries()

    # -- the billing flow (other screens) ----------------------------------------------------
    async def on_entries_screen_bill_requested(self, message: EntriesScreen.BillRequested) -> None:
        await self.bill_selection(message.entries)

    async def on_entries_screen_month_end_requested(
        self, message: EntriesScreen.MonthEndRequested
    ) -> None:
        await self.month_end(message.start, message.end)

    def action_bill_selection(self) -> None:
        screen = self.entries_screen
        if screen is not None:
            screen.action_bill()

    async def bill_selection(self, entries: list[TimeEntry]) -> None:
        """Assign -> preview -> create -> done for `entries` (timebill.tui.flow runs it in a worker and
        posts BillingDone, on which the entries screen reloads)."""
        from timebill.tui import flow

        settings = self.usable_settings()
        if settings is not None:
            await flow.bill_selection(self, entries, settings=settings)

    async def month_end(self, start: dt.date, end: dt.date) -> None:
        """The month-end queue for the period."""
        from timebill.tui import flow

        settings = self.usable_settings()
        if settings is not None:
            await flow.month_end(self, start, end, settings=settings)


def run_app(settings: Settings | SettingsLoader | None, config_path: Path | None = None) -> int:
    """Run the app; a settings error found after its first frame is raised here, once the
    terminal is back, for the command line to report."""
    app = TimebillApp(settings, config_path)
    app.run()
    if app.startup_error is not None:
        raise app.startup_error
    return 0
