"""Headless commands behind `timebill <command>`. None of them imports textual."""
