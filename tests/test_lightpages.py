"""Light pages: the theme's icons as inline SVG, and only the CSS rules the book can use."""

from __future__ import annotations

from pathlib import Path

import pydata_sphinx_theme

from after_stalinism.booktools.lightpages import icon_library, inline_icons, purge_css

FONTAWESOME = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
               / "scripts" / "fontawesome.js")


def test_icons_become_inline_svg_with_their_attributes():
    icons = icon_library(FONTAWESOME)
    for name in ("bars", "magnifying-glass", "sun", "moon", "circle-half-stroke", "download", "rocket", "expand"):
        assert ("fas", name) in icons, name
    page = ('<button><i class="theme-switch fa-solid fa-moon fa-lg" data-mode="dark"></i></button>'
            '<i class="fa-solid fa-nosuchicon"></i><span class="fa-solid fa-bars"></span>')
    out = inline_icons(page, icons)
    assert '<svg class="theme-switch fa-solid fa-moon fa-lg svg-inline--fa" data-mode="dark"' in out
    assert 'viewBox="0 0 384 512"' in out and "<path d=" in out and 'aria-hidden="true"' in out
    assert '<i class="fa-solid fa-nosuchicon"></i>' in out, "an icon it cannot draw is left alone"


def test_purge_keeps_rules_that_can_match_and_drops_the_rest():
    css = ("dl[class]:not(.option-list,.glossary) dt{margin:0}"
           ".used a,.unused b{color:red}"
           ".unused{color:blue}"
           "@media (min-width:960px){.used{display:flex}.unused{display:none}}"
           ".fa-bars:before{content:\"\\f0c9\"}"
           "@font-face{font-family:X;src:url(x.woff)}")
    out = purge_css(css, {"used"})
    assert "dl[class]:not(.option-list,.glossary) dt{margin:0}" in out, "classes inside :not() are not required"
    assert ".used a{color:red}" in out and ".unused" not in out
    assert "@media (min-width:960px){.used{display:flex}}" in out
    assert "fa-bars" not in out and "@font-face" in out
