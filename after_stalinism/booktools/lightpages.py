"""Keep the book's pages light: the theme's icons without its 1.5 MB icon script, and no unused CSS.

pydata-sphinx-theme (under sphinx-book-theme) loads Font Awesome's whole JavaScript library
(1.49 MB) on every page to draw about fifteen icons, and offers no option to leave it out. After
the HTML build, :func:`lighten` therefore

* replaces each ``<i class="fa-solid fa-NAME">`` (or ``<span ...>``) with the icon's inline SVG, taken from the
  vendored Font Awesome script itself (same drawing, no download), and drops the script;
* keeps only the rules of the theme's stylesheets whose classes occur somewhere in the book's pages
  or scripts (Bootstrap's utility classes are most of its 400 kB);
* subsets the icon font the stylesheet still uses for admonition icons to the glyphs it names
  (``fontTools``), and points the stylesheet at the subset;
* loads the search index only on the search page (the other pages' search box opens that page).
"""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache
from pathlib import Path

import tinycss2

FONTAWESOME_JS = "_static/scripts/fontawesome.js"
THEME_CSS = "_static/styles/pydata-sphinx-theme.css"
# Stylesheets every page loads that are mostly rules for markup the book does not use.
PURGED_CSS = (THEME_CSS, "_static/sphinx-design.min.css", "_static/mystnb.*.css")
WEBFONTS = "_static/vendor/fontawesome/webfonts"
STYLE_PREFIX = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
                "fa-brands": "fab", "fab": "fab"}
ICON_TAG = re.compile(r'<(?P<tag>i|span) class="([^"]*\bfa-[^"]*)"([^>]*)>\s*</(?P=tag)>')
FA_SCRIPT = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
SEARCH_SCRIPTS = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|'
                            r'searchindex\.js)"></script>')
# Font Awesome's own sizing for inline SVG icons (from its svg-core stylesheet).
ICON_CSS = (".svg-inline--fa{display:inline-block;height:1em;overflow:visible;vertical-align:-.125em;"
            "fill:currentColor}.svg-inline--fa.fa-lg{font-size:1.25em;vertical-align:-.2em}")


@lru_cache(maxsize=4)
def icon_library(script: Path) -> dict[tuple[str, str], tuple[int, int, str]]:
    """Every icon in the vendored Font Awesome script: (style, name) -> (width, height, SVG path)."""
    text = script.read_text(encoding="utf-8")
    icons: dict[tuple[str, str], tuple[int, int, str]] = {}
    pattern = re.compile(r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+","([^"]+)"\]')
    start = 0
    # Each style's icons are defined just before the call that registers them: d("fas", icons).
    for match in re.finditer(r'd\("(fa[brs])",', text):
        for icon in pattern.finditer(text, start, match.start()):
            name = icon.group(1) or icon.group(2)
            icons.setdefault((match.group(1), name), (int(icon.group(3)), int(icon.group(4)), icon.group(5)))
        start = match.end()
    return icons


def inline_icons(page: str, icons: dict) -> str:
    """``page`` with its Font Awesome ``<i>`` tags drawn as inline SVG (unknown icons are kept)."""
    def svg(match: re.Match) -> str:
        """One ``<i>`` icon tag as an inline SVG of its glyph, or the tag unchanged if the glyph is unknown."""
        classes = match.group(2).split()
        style = next((STYLE_PREFIX[c] for c in classes if c in STYLE_PREFIX), "fas")
        name = next((c[3:] for c in classes if c.startswith("fa-") and c not in STYLE_PREFIX and c[3:] not in
                     ("lg", "fw", "sm", "xs", "2x")), None)
        if (style, name) not in icons:
            return match.group(0)
        width, height, path = icons[(style, name)]
        return (f'<svg class="{htmllib.escape(" ".join(classes))} svg-inline--fa"{match.group(3)} '
                f'aria-hidden="true" focusable="false" viewBox="0 0 {width} {height}">'
                f'<path d="{path}"></path></svg>')
    return ICON_TAG.sub(svg, page)


def _selector_kept(selector: str, used: set[str]) -> bool:
    # Classes inside :not(), :is(), :where() or :has() need not be present for the rule to match.
    required = re.sub(r":(?:not|is|where|has)\([^()]*(?:\([^()]*\)[^()]*)*\)", "", selector)
    classes = re.findall(r"\.(-?[_a-zA-Z][\w-]*)", required)
    if any(c.startswith("fa") and ("before" in selector or c not in ("fa-lg",)) for c in classes):
        return False  # Font Awesome's class rules: the icons are inline SVG now
    return all(c in used for c in classes)


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at its top-level commas (not those inside ``:not(a, b)``)."""
    parts, depth, current = [], 0, ""
    for char in prelude:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def purge_css(css: str, used: set[str]) -> str:
    """``css`` without the style rules none of whose selectors can match (a class never used)."""
    def keep(rules) -> list[str]:
        """The serialised ``rules`` that can match, recursing into ``@media`` and ``@supports`` blocks."""
        out = []
        for rule in rules:
            if rule.type == "qualified-rule":
                selectors = _split_selectors(tinycss2.serialize(rule.prelude))
                kept = [s for s in selectors if _selector_kept(s, used)]
                if kept:
                    out.append(",".join(kept) + "{" + tinycss2.serialize(rule.content) + "}")
            elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports") and rule.content:
                inner = keep(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
                if inner:
                    out.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
            elif rule.type in ("at-rule",):
                out.append(tinycss2.serialize([rule]))
        return out

    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return "".join(keep(rules))


def used_classes(outdir: Path) -> set[str]:
    """Every token that could be a class name in the book's pages and scripts (a generous set)."""
    used: set[str] = set()
    for page in outdir.rglob("*.html"):
        for attr in re.findall(r'class="([^"]*)"', page.read_text(encoding="utf-8")):
            used.update(attr.split())
    for script in (outdir / "_static").rglob("*.js"):
        if script.name not in ("fontawesome.js", "plotly-cartesian.min.js"):
            used.update(re.findall(r"[\w-]+", script.read_text(encoding="utf-8", errors="replace")))
    return used


def subset_icon_fonts(css: str, webfonts: Path) -> str:
    """Subset the icon fonts to the glyphs ``css`` names; return ``css`` pointing at the subsets."""
    from fontTools import subset

    codepoints = {ord(c) for c in css if 0xE000 <= ord(c) <= 0xF8FF}
    codepoints |= {int(h, 16) for h in re.findall(r"\\(f[0-9a-f]{3}|e[0-9a-f]{3})\b", css)}
    for name in ("fa-solid-900", "fa-regular-400", "fa-brands-400"):
        source = webfonts / f"{name}.ttf"
        if not source.exists():
            continue
        options = subset.Options()
        options.flavor = "woff"  # zlib-compressed; woff2 would need brotli
        options.layout_features = []
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(font)
        subset.save_font(font, str(webfonts / f"{name}.subset.woff"), options)
        css = re.sub(rf'url\(\.\./vendor/fontawesome/webfonts/{name}\.woff2\) format\("woff2"\),'
                     rf'url\(\.\./vendor/fontawesome/webfonts/{name}\.ttf\) format\("truetype"\)',
                     f'url(../vendor/fontawesome/webfonts/{name}.subset.woff) format("woff")', css)
    return css


def lighten(outdir: Path) -> None:
    """Make every page of the built HTML book in ``outdir`` light (see the module docstring)."""
    script = outdir / FONTAWESOME_JS
    icons = icon_library(script) if script.exists() else {}
    for page in outdir.rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        if icons:
            text = FA_SCRIPT.sub("", inline_icons(text, icons))
        if page.name != "search.html":
            text = SEARCH_SCRIPTS.sub("", text)
        if text != original:
            page.write_text(text, encoding="utf-8")
    used = used_classes(outdir)
    for pattern in PURGED_CSS:
        for sheet in outdir.glob(pattern):
            css = purge_css(sheet.read_text(encoding="utf-8"), used)
            if sheet == outdir / THEME_CSS:
                css = subset_icon_fonts(css, outdir / WEBFONTS)
                css = css if css.endswith(ICON_CSS) else css + ICON_CSS
            sheet.write_text(css, encoding="utf-8")
