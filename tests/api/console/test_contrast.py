"""The console's colours for text pass WCAG 2.1 AA (4.5:1) on the white of its panels and the grey of
its background: read from the style sheet itself, so a new colour cannot slip in below the bar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLE_SHEET = Path(__file__).resolve().parents[3] / "api" / "console" / "static" / "console.css"
VARIABLE = re.compile(r"--(?P<name>[a-z]+):\s*(?P<colour>#[0-9a-fA-F]{6})")
TEXT_COLOURS = ("ink", "muted", "brand", "bad", "good", "warn")
AA_NORMAL_TEXT = 4.5


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _palette() -> dict[str, str]:
    return {match["name"]: match["colour"] for match in VARIABLE.finditer(STYLE_SHEET.read_text(encoding="utf-8"))}


def test_the_contrast_formula_matches_known_pairs() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", TEXT_COLOURS)
@pytest.mark.parametrize("ground", ["paper", "ground"])
def test_text_colours_pass_aa_on_the_console_backgrounds(name: str, ground: str) -> None:
    palette = _palette()
    assert contrast(palette[name], palette[ground]) >= AA_NORMAL_TEXT, f"--{name} on --{ground}"


def test_the_header_text_passes_aa_on_the_brand_colour() -> None:
    assert contrast("#ffffff", _palette()["brand"]) >= AA_NORMAL_TEXT
