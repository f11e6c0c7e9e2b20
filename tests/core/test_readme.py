"""The README stays true to the code: every setting is documented, the front door is there."""

from __future__ import annotations

from pathlib import Path

from services.core.config import ENV_PREFIX, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [
        ENV_PREFIX + name.upper()
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in README
    ]
    assert missing == []


def test_readme_names_the_two_front_door_commands() -> None:
    assert "make run" in README and "make test" in README
