"""Themes: the shipped TOML files, user themes, broken files reported together, the choice saved
to the config (never an environment value with it), and NO_COLOR."""

from __future__ import annotations

from pathlib import Path

import pytest
from entries_env import SIZE, Notifications, isolate, make_app, screen_lines, write_config
from textual.theme import BUILTIN_THEMES
from timebill.core.sandbox import SandboxServer
from timebill.core.settings import paths
from timebill.core.settings.model import load_settings, read_config_file
from timebill.tui.themes import (
    SHIPPED_THEMES_DIR,
    ThemeFileError,
    load_theme_file,
    load_themes,
)

SHIPPED = ("timebill-dark", "timebill-light", "timebill-high-contrast")


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return isolate(monkeypatch, tmp_path)


def user_theme(name: str, text: str) -> Path:
    folder = paths.themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_themes_are_valid_and_complete():
    loaded = load_themes([SHIPPED_THEMES_DIR])
    assert loaded.problems == []
    assert set(loaded.themes) == set(SHIPPED)
    assert loaded.themes["timebill-light"].dark is False
    contrast = loaded.themes["timebill-high-contrast"]
    assert (contrast.background, contrast.foreground) == ("#000000", "#FFFFFF")


def test_a_broken_theme_file_names_the_file_and_the_field(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nprimary = "notacolour"\nsparkle = true\n')
    with pytest.raises(Exception) as caught:
        load_theme_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "primary" in message and "sparkle" in message


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ('primary = "#0077be"\n', "name", "missing"),
        ('name = "my theme"\nprimary = "#0077be"\n', "name", "letters, digits"),
        ('name = "a"\nprimary = 7\n', "primary", "must be text"),
        ('name = "a"\nprimary = "#0077be"\ndark = "yes"\n', "dark", "true or false"),
        ('name = "a"\nprimary = "#0077be"\ntext_alpha = 1.5\n', "text_alpha", "between 0 and 1"),
        ('name = "a"\nprimary = "#0077be"\nvariables = "x"\n', "variables", "table of texts"),
        ('name = "a"\nprimary = "#0077be"\n[variables]\nBad = "red"\n', "variables", "'Bad'"),
    ],
)
def test_each_mistake_in_a_theme_file_is_named(
    tmp_path: Path, text: str, field: str, problem: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ThemeFileError) as caught:
        load_theme_file(path)
    assert f"{field}: " in str(caught.value) and problem in str(caught.value)


def test_a_theme_file_with_every_field_becomes_that_theme(tmp_path: Path) -> None:
    path = tmp_path / "full.toml"
    path.write_text(
        'name = "full"\nprimary = "#0077be"\nsecondary = "#111111"\naccent = "#222222"\n'
        'foreground = "#eeeeee"\nbackground = "#000000"\nsurface = "#101010"\n'
        'panel = "#202020"\nboost = "#303030"\nsuccess = "#00ff00"\nwarning = "#ffff00"\n'
        'error = "#ff0000"\ndark = false\nluminosity_spread = 0.2\ntext_alpha = 1\n'
        '[variables]\nblock-cursor-text-style = "bold"\nborder = "$primary 40%"\n',
        encoding="utf-8",
    )
    theme = load_theme_file(path)
    assert (theme.name, theme.primary, theme.error, theme.dark) == (
        "full",
        "#0077be",
        "#ff0000",
        False,
    )
    assert (theme.luminosity_spread, theme.text_alpha) == (0.2, 1.0)
    assert theme.variables == {"block-cursor-text-style": "bold", "border": "$primary 40%"}


async def test_themes_are_registered_and_broken_ones_reported_in_one_notification(
    sandbox: SandboxServer, config: Path
):
    user_theme("ocean.toml", 'name = "ocean"\nprimary = "#0077be"\nbackground = "#001f3f"\n')
    user_theme("broken.toml", "name = [\n")
    user_theme("colour.toml", 'name = "colour"\nprimary = "#12345"\n')
    user_theme(
        "variables.toml", 'name = "vars"\nprimary = "#0077be"\n[variables]\nborder = "blue-ish"\n'
    )
    builtin_before = dict(BUILTIN_THEMES)
    settings = write_config(sandbox, config, ui={"theme": "ocean"})
    notes = Notifications()
    app = make_app(settings, config)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await pilot.pause()
        assert app.theme == "ocean"
        assert set(SHIPPED) <= set(app.available_themes)
        assert "textual-dark" in app.available_themes
        warnings = [n for n in notes.items if n.severity == "warning"]
        assert len(warnings) == 1
        (warning,) = warnings
        for name in ("broken.toml", "colour.toml", "variables.toml"):
            assert name in warning.message
        assert "ocean.toml" not in warning.message
    assert BUILTIN_THEMES == builtin_before  # Textual's own list is left alone


async def test_an_unknown_theme_falls_back_to_the_default(sandbox: SandboxServer, config: Path):
    settings = write_config(sandbox, config, ui={"theme": "gone"})
    notes = Notifications()
    app = make_app(settings, config)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await pilot.pause()
        assert app.theme == "timebill-dark"
        assert any('"gone"' in n.message for n in notes.items)


async def test_switching_the_theme_saves_it_without_environment_values(
    sandbox: SandboxServer, config: Path, monkeypatch: pytest.MonkeyPatch
):
    write_config(sandbox, config)
    # The Billomat key comes from the environment only: it must never be written to the file.
    document = read_config_file(config)
    billomat_key = document["billomat"].pop("api_key")
    from timebill.core.settings.config_file import write_config_file

    write_config_file(config, document)
    monkeypatch.setenv("TIMEBILL_BILLOMAT__API_KEY", billomat_key)
    settings = load_settings(config)
    assert settings.missing() == []

    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+p", *"Theme: switch")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"timebill-high-contrast")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "timebill-high-contrast"
        await app.workers.wait_for_complete()
    saved = read_config_file(config)
    assert saved["ui"]["theme"] == "timebill-high-contrast"
    assert "api_key" not in saved["billomat"]
    assert billomat_key not in config.read_text()
    assert load_settings(config).ui.theme == "timebill-high-contrast"


async def test_no_color_renders_without_colour(
    sandbox: SandboxServer, config: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = write_config(sandbox, config)
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(settings, config)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.no_color
        colours = set()
        for strip in app.screen._compositor.render_strips():
            for segment in strip:
                style = segment.style
                for colour in (style.color, style.bgcolor) if style else ():
                    if colour is not None and colour.triplet is not None:
                        colours.add(tuple(colour.triplet))
        assert colours, "the screen was drawn"
        assert all(r == g == b for r, g, b in colours), "only shades of grey"
        assert any("Date" in line for line in screen_lines(app))
