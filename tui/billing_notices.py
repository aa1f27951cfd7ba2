"""What the user is told while and after creating drafts: the month-end batch's progress
(timebill.core.billing.month_end.QueueProgress) and, for each create
(timebill.core.billing.outcomes.Created), a notification's title, message and severity.
Shared by the preview and the Month-end screen."""

from __future__ import annotations

from timebill.core.billing.month_end import QueueProgress
from timebill.core.billing.outcomes import Created
from timebill.core.text import clean, one_line
from timebill.tui.i18n import register, t

STRINGS = {
    "create.held_title": {
        "en": "Another session is billing these entries",
        "de": "Eine andere Sitzung rechnet diese Einträge ab",
    },
    "create.held": {
        "en": "{count} of the entries are already on an invoice or being billed. Nothing was created: go back and reload the entries.",
        "de": "{count} der Einträge stehen schon auf einer Rechnung oder werden gerade abgerechnet. Nichts wurde angelegt: zurückgehen und die Einträge neu laden.",
    },
    "create.failed_title": {
        "en": "Creating the draft failed",
        "de": "Der Entwurf konnte nicht angelegt werden",
    },
    "create.failed": {
        "en": "{error}\nRun “resume unfinished invoices” (command palette) or `timebill resume` to finish it.",
        "de": "{error}\nMit „Unfertige Rechnungen fortsetzen“ (Befehlspalette) oder `timebill resume` abschließen.",
    },
    "create.refused_title": {"en": "Nothing was created", "de": "Nichts wurde angelegt"},
    "create.open_setup": {
        "en": "Open the setup and check the keys.",
        "de": "Öffnen Sie die Einrichtung und prüfen Sie die Schlüssel.",
    },
    "create.try_again": {"en": "Try again in a moment.", "de": "Gleich noch einmal versuchen."},
    "create.other_draft": {
        "en": "Choose another draft (d) or a new one.",
        "de": "Einen anderen Entwurf (d) oder einen neuen wählen.",
    },
    "create.changed_title": {
        "en": "Entries changed since the preview",
        "de": "Einträge seit der Vorschau geändert",
    },
    "create.changed": {
        "en": "Nothing was billed. Reload (r on the entries) and plan again:",
        "de": "Nichts wurde abgerechnet. Neu laden (r bei den Einträgen) und neu planen:",
    },
    "create.changed_more": {"en": "… and {count} more", "de": "… und {count} weitere"},
    "create.unfinished_title": {
        "en": "The draft exists, some entries are not marked",
        "de": "Der Entwurf existiert, einige Einträge sind nicht markiert",
    },
    "create.abandoned_title": {"en": "The plan was dropped", "de": "Der Plan wurde verworfen"},
    "queue.creating": {
        "en": "{n} of {count}: creating the draft for {name}…",
        "de": "{n} von {count}: Entwurf für {name} wird angelegt…",
    },
    "queue.marking": {
        "en": "{n} of {count}: {name}: marking entries billed {done} of {total}",
        "de": "{n} von {count}: {name}: Einträge markieren {done} von {total}",
    },
}
register(STRINGS)


def notice(created: Created) -> tuple[str, str, str]:
    """(title, message, severity) for a notification; ("", "", "") when all went well."""
    error = clean(created.error)
    if created.kind == "held":
        return t("create.held_title"), t("create.held", count=created.held), "error"
    if created.kind == "failed":
        return t("create.failed_title"), t("create.failed", error=error), "error"
    if created.kind == "refused":
        hint = t("create.open_setup") if created.auth else t("create.try_again")
        return t("create.refused_title"), f"{error}\n{hint}", "error"
    if created.kind == "target":
        return t("create.refused_title"), f"{error}\n{t('create.other_draft')}", "error"
    if created.kind == "abandoned":
        return t("create.abandoned_title"), error, "error"
    if created.kind == "unfinished":
        return t("create.unfinished_title"), error, "warning"
    if created.kind == "changed":
        shown = [clean(str(change)) for change in created.changes[:8]]
        if len(created.changes) > 8:
            shown.append(t("create.changed_more", count=len(created.changes) - 8))
        return t("create.changed_title"), "\n".join([t("create.changed"), *shown]), "error"
    return "", "", ""


def progress_text(where: QueueProgress) -> str:
    name = one_line(where.name, 30)
    if where.stage == "marking":
        return t(
            "queue.marking",
            n=where.number,
            count=where.count,
            name=name,
            done=where.done,
            total=where.total,
        )
    return t("queue.creating", n=where.number, count=where.count, name=name)
