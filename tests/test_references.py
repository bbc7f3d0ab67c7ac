"""Only sources a scholar would cite: no pirated copy, content farm or summary site anywhere.

The deny-list below names hosts that republish other people's work without leave (pirated books,
document-sharing sites), summarise it (summary sites, Wikipedia rewrites) or copy news reports
(content farms, aggregators of reprints). A work first seen on such a host is cited by its
publisher, an archive, a library record or the original news report, or by its full citation
without a URL; the bibliography note may say where it was seen, without naming the host.

The scan covers every place a source can be named: book/references.bib, data/*.csv,
data/datapackage.json, the lessons, the book pages and the exercise notebooks. A host matches
with or without "www.", as any subdomain, and whether or not it appears inside a URL (a note
that says "docslib copy" points readers to the same place as a link).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT

DENIED_HOSTS = {
    # pirated books and document-sharing sites
    "100vampirenovels.net", "docslib.org", "9dok.net", "vdocuments.mx", "vdocuments.site",
    "vdocument.in", "pdfslide.us", "dokumen.pub", "ebin.pub", "vdoc.pub", "studylib.net",
    "ininet.org", "paperzz.com", "novelonlinefull.com", "topnovel.cc", "theallfreenovel.com",
    # summary sites and encyclopedia rewrites
    "wikisum.wiki", "newssummedup.com", "howlingpixel.com", "piglix.com",
    # content farms and reprint aggregators
    "urdupoint.com", "downthenews.com", "thenewsontime.com", "tekdeeps.com", "lidtime.com",
    "celebcafe.org",
    # celebrity and trivia pages
    "deadorkicking.com",
}

SCANNED = [
    ROOT / "book" / "references.bib",
    ROOT / "data" / "datapackage.json",
    *sorted((ROOT / "data").glob("*.csv")),
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
    *sorted((ROOT / "book").glob("*.md")),
    *sorted((ROOT / "book").glob("*.ipynb")),
    *sorted((ROOT / "exercises").glob("*.ipynb")),
    *sorted((ROOT / "instructor" / "exercises").glob("*.ipynb")),
]


def _host_pattern(hosts: set[str]) -> re.Pattern:
    """A host, as a whole name or a subdomain of it, not as part of a longer name."""
    names = "|".join(re.escape(h) for h in sorted(hosts, key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])(?:[\w-]+\.)*(?:{names})(?![\w-])", re.IGNORECASE)


DENIED = _host_pattern(DENIED_HOSTS)


def denied_hosts_in(text: str) -> list[str]:
    """The denied hosts named in a text, in order of appearance."""
    return [m.group(0).lower() for m in DENIED.finditer(text)]


@pytest.mark.parametrize("text, found", [
    ("url = {https://docslib.org/doc/206926/kim-dae-jung}", ["docslib.org"]),
    ("see http://www.urdupoint.com/en/world/x.html", ["www.urdupoint.com"]),
    ("(a wikisum.wiki summary)", ["wikisum.wiki"]),
    ("Yonhap via ThenewsOnTime.com, 2021", ["thenewsontime.com"]),
    ("https://ww2.100vampirenovels.net/pdf-novels/x", ["ww2.100vampirenovels.net"]),
    ("https://www.piie.com/blogs/north-korea-witness-transformation/famine-deaths-again", []),
    ("https://notdocslib.org/x and docslib.organic", []),
    ("the Daily NK report, seen in a reprint the course does not link", []),
])
def test_the_scanner_finds_denied_hosts_and_only_them(text, found):
    assert denied_hosts_in(text) == found


def test_every_scanned_place_exists():
    assert ROOT / "book" / "references.bib" in SCANNED
    assert all(path.exists() for path in SCANNED)
    assert sum(path.suffix == ".csv" for path in SCANNED) >= 5
    assert sum(path.parent.name == "notebooks" for path in SCANNED) >= 5


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_is_on_a_denied_host(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [f"line {n}: {host}" for n, line in enumerate(lines, 1) for host in denied_hosts_in(line)]
    assert not found, (f"{path.relative_to(ROOT)} names hosts on the deny-list (cite the publisher, an archive, "
                       "a library record or the original report instead):\n" + "\n".join(found))
