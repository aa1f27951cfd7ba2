"""Settings and paths: what a user sees when the config file is right, wrong, or shadowed by the
environment. Every test works in tmp_path; the real home is never read or written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import traceback
from decimal import Decimal
from pathlib import Path, PureWindowsPath

import pytest
from timebill.core.errors import ConfigError
from timebill.core.settings import paths
from timebill.core.settings.model import (
    InvalidSettingsError,
    env_var,
    load_settings,
    save_settings,
)
from timebill.core.settings.ui import UiChoice, first_look

MITE_KEY = "mk-0123456789abcdef"
BILLOMAT_KEY = "bk-fedcba9876543210"
ENV_KEY = "ek-5a5a5a5a5a5a5a5a"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TIMEBILL_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TIMEBILL_CONFIG", str(tmp_path / "cfg" / "config.toml"))
    monkeypatch.setenv("TIMEBILL_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "config.toml"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


FULL = f"""
tracker = "mite"

[mite]
account = "nordlicht"
api_key = "{MITE_KEY}"

[billomat]
billomat_id = "nordlicht"
api_key = "{BILLOMAT_KEY}"

[invoice]
default_vat = 7.7

[ui]
language = "de"
"""


# --- paths ------------------------------------------------------------------------------------


def test_platform_dirs_follow_each_platforms_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/home/anna")
    assert paths.platform_config_dir("linux") == Path("/home/anna/.config/timebill")
    assert paths.platform_data_dir("freebsd13") == Path("/home/anna/.local/share/timebill")
    assert paths.platform_log_dir("linux") == Path("/home/anna/.local/state/timebill")
    mac = Path("/home/anna/Library/Application Support/timebill")
    assert paths.platform_config_dir("darwin") == mac
    assert paths.platform_data_dir("darwin") == mac
    assert paths.platform_log_dir("darwin") == Path("/home/anna/Library/Logs/timebill")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/x/conf")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert paths.platform_config_dir("linux") == Path("/x/conf/timebill")
    assert paths.platform_data_dir("linux") == Path("/home/anna/.local/share/timebill")
    # Windows' known folders, as platformdirs lets another platform stand in for them.
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", "C:\\Users\\anna\\AppData\\Roaming")
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", "C:\\Users\\anna\\AppData\\Local")
    win = PureWindowsPath("C:/Users/anna/AppData")
    assert PureWindowsPath(paths.platform_config_dir("win32")) == win / "Roaming" / "timebill"
    assert PureWindowsPath(paths.platform_data_dir("win32")) == win / "Local" / "timebill"
    assert PureWindowsPath(paths.platform_log_dir("win32")) == win / "Local" / "timebill"


def test_locate_lists_every_path_under_the_overrides(tmp_path: Path) -> None:
    found = paths.locations()
    assert found["config file"] == tmp_path / "cfg" / "config.toml"
    assert found["themes dir"] == tmp_path / "cfg" / "themes"
    assert found["journal"] == tmp_path / "data" / "journal.sqlite3"
    assert found["log file"].parent == tmp_path / "data"
    assert all(str(path).startswith(str(tmp_path)) for path in found.values())


# --- loading, layering, saving ----------------------------------------------------------------


def test_missing_file_gives_defaults_and_says_what_is_needed(config: Path) -> None:
    settings = load_settings()
    assert settings.config_path == config
    assert settings.invoice.default_vat == Decimal("19")
    assert settings.ui.theme == "timebill-dark"
    assert [str(item) for item in settings.missing()] == [
        "tracker is not set (config file or TIMEBILL_TRACKER)",
        "billomat.billomat_id is not set (config file or TIMEBILL_BILLOMAT__BILLOMAT_ID)",
        "billomat.api_key is not set (config file or TIMEBILL_BILLOMAT__API_KEY)",
    ]
    assert not config.exists()


def test_save_then_load_round_trips_with_private_modes(tmp_path: Path, config: Path) -> None:
    original = load_settings(config).with_changes(
        {
            "tracker": "clockodo",
            "clockodo": {"email": "anna@example.com", "api_key": MITE_KEY},
            "billomat__billomat_id": "nordlicht",
            "billomat__api_key": BILLOMAT_KEY,
            "invoice": {"default_vat": Decimal("7.7")},
        }
    )
    old_umask = os.umask(0o022)
    try:
        assert save_settings(original) == config
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # no temp file left
    loaded = load_settings(config)
    assert loaded == original
    assert loaded.missing() == []
    # Only what was set is written: defaults stay defaults.
    assert "[ui]" not in config.read_text() and "default_vat = 7.7" in config.read_text()


def test_environment_beats_file_and_explicit_value_beats_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, FULL)
    monkeypatch.setenv("TIMEBILL_MITE__API_KEY", ENV_KEY)
    monkeypatch.setenv("TIMEBILL_BILLOMAT__BILLOMAT_ID", "envid")
    monkeypatch.setenv("TIMEBILL_INVOICE__DEFAULT_VAT", "19.5")
    settings = load_settings()
    assert settings.mite.api_key is not None and settings.mite.api_key.get_secret_value() == ENV_KEY
    assert settings.mite.account == "nordlicht"  # the rest of [mite] still comes from the file
    assert settings.billomat.billomat_id == "envid"
    assert settings.invoice.default_vat == Decimal("19.5")
    assert settings.origin("mite.api_key") == "environment"
    assert settings.origin("mite.account") == "file"
    assert settings.origin("ui.theme") == "default"

    flagged = load_settings(config, billomat__billomat_id="flag", tracker=None)
    assert flagged.billomat.billomat_id == "flag"
    assert flagged.tracker == "mite"  # None means "flag not given"
    assert flagged.origin("billomat.billomat_id") == "value"


def test_blank_values_count_as_missing_and_blank_env_vars_are_ignored(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, f'tracker = "mite"\n[mite]\naccount = "  "\napi_key = "{MITE_KEY}"\n')
    monkeypatch.setenv("TIMEBILL_MITE__API_KEY", "   ")
    settings = load_settings()
    assert settings.mite.account is None
    assert settings.mite.api_key is not None
    assert settings.mite.api_key.get_secret_value() == MITE_KEY
    assert [item.key for item in settings.missing(billomat=False)] == ["mite.account"]


def test_save_never_writes_a_key_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, 'tracker = "mite"\n[mite]\naccount = "nordlicht"\n')
    monkeypatch.setenv("TIMEBILL_MITE__API_KEY", ENV_KEY)
    monkeypatch.setenv("TIMEBILL_BILLOMAT__API_KEY", BILLOMAT_KEY)
    settings = load_settings().with_changes({"billomat": {"billomat_id": "nordlicht"}})
    save_settings(settings)
    text = config.read_text()
    assert ENV_KEY not in text and BILLOMAT_KEY not in text and "api_key" not in text
    assert 'billomat_id = "nordlicht"' in text and 'account = "nordlicht"' in text
    # A file value shadowed by the environment survives a save untouched.
    write(config, f'[mite]\napi_key = "{MITE_KEY}"\n')
    save_settings(load_settings().with_changes({"tracker": "mite"}))
    assert f'api_key = "{MITE_KEY}"' in config.read_text()
    assert ENV_KEY not in config.read_text()


def test_with_changes_none_clears_a_key(config: Path) -> None:
    write(config, FULL)
    save_settings(load_settings().with_changes({"mite": {"api_key": None}}))
    reloaded = load_settings()
    assert reloaded.mite.api_key is None
    assert [str(item) for item in reloaded.missing()] == [
        "mite.api_key is not set (config file or TIMEBILL_MITE__API_KEY)"
    ]


def test_billomat_rate_limit_wait_defaults_to_a_whole_window(config: Path) -> None:
    assert load_settings(config).billomat.max_rate_limit_wait == 900
    assert (
        load_settings(config, billomat__max_rate_limit_wait="120").billomat.max_rate_limit_wait
        == 120
    )


def test_sandbox_http_base_url_is_allowed_but_remote_http_is_not(config: Path) -> None:
    settings = load_settings(config, mite__base_url="http://127.0.0.1:8080/mite/")
    assert settings.mite.base_url == "http://127.0.0.1:8080/mite"
    with pytest.raises(ConfigError) as caught:
        load_settings(config, mite__base_url="http://mite.example.com")
    assert str(caught.value) == (
        "[mite] base_url: must start with https:// (plain http:// is only allowed to 127.0.0.1, "
        "::1 or localhost: the API key would travel unencrypted)"
    )


# --- invalid files ----------------------------------------------------------------------------

INVALID = [
    ('[mite]\nacount = "x"\n', 'unknown key [mite] acount (did you mean "account"?)'),
    ('[mitee]\naccount = "x"\n', 'unknown section [mitee] (did you mean "mite"?)'),
    ('tracker = "harvest"\n', 'tracker: must be "mite" or "clockodo" (got "harvest")'),
    (
        '[invoice]\ndefault_vat = "19,5"\n',
        '[invoice] default_vat: "19,5" has a decimal comma: use a dot, as in 19.5',
    ),
    (
        "[invoice]\ndefault_vat = -5\n",
        "[invoice] default_vat: must be a percentage between 0 and 100, e.g. 19 (got -5)",
    ),
    (
        "[invoice]\ndefault_vat = 1000\n",
        "[invoice] default_vat: must be a percentage between 0 and 100, e.g. 19 (got 1000)",
    ),
    (
        '[mite]\naccount = "https://nordlicht.mite.de"\n',
        '[mite] account: enter just the account name, e.g. "nordlicht" from '
        "https://nordlicht.mite.de",
    ),
    (
        '[mite]\naccount = "nordlicht/de"\n',
        '[mite] account: enter just the account name, e.g. "nordlicht" from '
        "https://nordlicht.mite.de",
    ),
    (
        '[billomat]\nbillomat_id = "https://nordlicht.billomat.net/"\n',
        '[billomat] billomat_id: enter just the ID, e.g. "nordlicht" from '
        "https://nordlicht.billomat.net",
    ),
    (
        '[clockodo]\nemail = "anna"\n',
        "[clockodo] email: must be the e-mail address you log in to clockodo with, "
        "e.g. anna@example.com",
    ),
    ("[mite]\napi_key = 12345\n", "[mite] api_key: must be text, in quotes"),
    (
        "[billomat]\nmax_rate_limit_wait = 7200\n",
        '[billomat] max_rate_limit_wait: must be between 0 and 3600 seconds, e.g. 900 (got "7200")',
    ),
    (
        '[billomat]\nmax_rate_limit_wait = "fifteen"\n',
        "[billomat] max_rate_limit_wait: must be a whole number of seconds, e.g. 900 "
        '(got "fifteen")',
    ),
    (
        'tracker = "mite"\n[mite]\naccount = "x"\napi_key = "abc\n',
        "not valid TOML: Illegal character '\\n' (at line 4, column 15)",
    ),
]


@pytest.mark.parametrize(("content", "expected"), INVALID)
def test_invalid_file_names_the_key_and_stays_unchanged(
    config: Path, content: str, expected: str
) -> None:
    write(config, content)
    before = config.read_bytes()
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == f"{config}: {expected}"
    # Saving over it is refused too, so a typo never costs the rest of the file.
    with pytest.raises(ConfigError) as refused:
        save_settings({"tracker": "mite"}, config)
    assert str(refused.value).startswith(f"{config}: {expected}\n{config}: not saved")
    assert config.read_bytes() == before
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_replace_invalid_keeps_the_broken_file_beside_the_new_one(config: Path) -> None:
    write(config, "tracker = \n")
    save_settings({"tracker": "mite"}, config, replace_invalid=True)
    assert load_settings().tracker == "mite"
    backup = config.with_name("config.toml.invalid")
    assert backup.read_text() == "tracker = \n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_all_problems_are_reported_at_once(config: Path) -> None:
    write(config, 'tracker = "jira"\n[invoice]\ndefault_vat = 150\n')
    with pytest.raises(InvalidSettingsError) as caught:
        load_settings()
    assert [(p.key, p.source) for p in caught.value.problems] == [
        ("tracker", "file"),
        ("invoice.default_vat", "file"),
    ]
    assert all(line.startswith(f"{config}: ") for line in str(caught.value).splitlines())


def test_mistakes_in_the_environment_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBILL_MITE__ACOUNT", "nordlicht")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "TIMEBILL_MITE__ACOUNT: unknown setting (did you mean TIMEBILL_MITE__ACCOUNT?)"
    )
    monkeypatch.delenv("TIMEBILL_MITE__ACOUNT")
    monkeypatch.setenv("TIMEBILL_INVOICE__DEFAULT_VAT", "19,5")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        'TIMEBILL_INVOICE__DEFAULT_VAT: "19,5" has a decimal comma: use a dot, as in 19.5'
    )
    assert env_var("billomat.billomat_id") == "TIMEBILL_BILLOMAT__BILLOMAT_ID"


def test_a_whole_section_from_the_environment_as_json(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, FULL)
    monkeypatch.setenv("TIMEBILL_MITE", '{"account": "jsonacct"}')
    monkeypatch.setenv("TIMEBILL_MITE__API_KEY", ENV_KEY)  # a single key beats the section's
    settings = load_settings()
    assert settings.mite.account == "jsonacct"
    assert settings.mite.api_key is not None and settings.mite.api_key.get_secret_value() == ENV_KEY
    assert settings.origin("mite.account") == "environment"
    monkeypatch.setenv("TIMEBILL_MITE", ENV_KEY)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "TIMEBILL_MITE: not valid: set single keys (e.g. TIMEBILL_MITE__ACCOUNT), "
        "or give a whole section as a JSON object"
    )


def test_file_readable_by_others_is_refused_with_the_fix(config: Path) -> None:
    write(config, FULL, mode=0o644)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{config}: other users can read this file (mode 0644)")
    assert message.endswith(f"Fix: chmod 600 {config}")
    os.chmod(config, 0o600)
    assert load_settings().mite.account == "nordlicht"


# --- keys stay secret -------------------------------------------------------------------------


def test_keys_never_appear_in_repr_or_messages(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(config, FULL)
    monkeypatch.setenv("TIMEBILL_CLOCKODO__API_KEY", ENV_KEY)
    settings = load_settings()
    shown = [repr(settings), str(settings), settings.model_dump_json(), repr(settings.mite)]
    shown += [str(item) for item in settings.missing()]
    for secret in (MITE_KEY, BILLOMAT_KEY, ENV_KEY):
        assert all(secret not in text for text in shown)

    errors: list[BaseException] = []
    bad_inputs = [
        {"mite": {"api_key": 12345, "account": MITE_KEY + ".mite.de"}},
        {"billomat": {"api_key": BILLOMAT_KEY, "base_url": f"https://x:{BILLOMAT_KEY}@h"}},
        {"tracker": MITE_KEY, "mite": {"api_key": MITE_KEY}},
        {"invoice": {"default_vat": MITE_KEY}},
        {"mite": {MITE_KEY: "x", "api_key": MITE_KEY}},
    ]
    for bad in bad_inputs:
        with pytest.raises(ConfigError) as caught:
            settings.with_changes(bad)
        errors.append(caught.value)
    write(config, f'[mite]\napi_key = "{MITE_KEY}"\naccount = "{MITE_KEY}/"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    errors.append(caught.value)
    for error in errors:
        text = "".join(traceback.format_exception(error)) + repr(error)
        for secret in (MITE_KEY, BILLOMAT_KEY, ENV_KEY):
            assert secret not in text


def test_a_key_pasted_into_the_wrong_field_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBILL_TRACKER", "0123456789abcdef")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == 'TIMEBILL_TRACKER: must be "mite" or "clockodo"'


def test_loading_settings_does_not_load_httpx() -> None:
    """`timebill --help`, `locate` and the settings screen stay fast: settings validate base URLs
    and redact keys without the HTTP stack (checked in a fresh interpreter)."""
    script = (
        "import sys\n"
        "import timebill.core.settings.model\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# -- the first look: the app's language and theme before the settings are validated ---------


def test_first_look_reads_language_and_theme_and_the_environment_wins(config: Path) -> None:
    write(config, '[ui]\nlanguage = "DE"\ntheme = "timebill-light"\n')
    assert first_look(config, {}) == UiChoice("de", "timebill-light")
    assert first_look(config, {"TIMEBILL_UI__THEME": "ocean"}) == UiChoice("de", "ocean")
    assert first_look(config, {"timebill_ui": '{"language": "en"}'}).language == "en"
    # As load_settings reads them: the same values the validated settings will hold.
    assert load_settings(config).ui.language == "de"


@pytest.mark.parametrize(
    ("text", "mode", "environ"),
    [
        ("[ui\n", 0o600, {}),  # not TOML
        ('[ui]\nlanguage = "fr"\ntheme = 7\n', 0o600, {}),  # values the settings refuse
        ('[ui]\nlanguage = "de"\n', 0o644, {}),  # readable by others: refused by the loader
        ('ui = "de"\n', 0o600, {"TIMEBILL_UI": "{not json"}),
    ],
)
def test_first_look_falls_back_quietly_where_the_settings_will_complain(
    config: Path, text: str, mode: int, environ: dict[str, str]
) -> None:
    write(config, text, mode)
    assert first_look(config, environ) == UiChoice()


def test_first_look_without_a_file_is_the_default(config: Path) -> None:
    assert first_look(config, {}) == UiChoice("auto", None)
