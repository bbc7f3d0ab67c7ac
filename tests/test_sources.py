"""Source traceability: every citation, every quotation of the four course sources and every data row
can be traced to a work the bibliography knows.

- Every `{cite}` key (any role: cite, cite:p, cite:t, ...) used in notebooks/, book/ and exercises/
  exists in book/references.bib.
- Every quotation attributed to one of the four source texts appears verbatim in it. The texts live
  outside the repository, in ROOT/../shared/sources (or $AFTER_STALINISM_SOURCES); where they are
  absent, as in a learner's clone, that test is skipped with the reason.
- Every row of every data table is matched by one of its table's `sources` entries in
  data/datapackage.json (by `path` = the row's `source_url`, or by `title` = the row's `source`),
  and every such entry names a `bib` key that exists in references.bib.

How a quotation is attributed: the lesson text is cut into blocks (paragraphs, list items, table
rows) and sentences (never inside a quotation). A quotation belongs to the citation after it in its
sentence, else the nearest citation before it in the sentence, else an author named in the sentence
("Lankov", "Lankov 2004", "Jeong", "One Free Korea"), else the same search over its block. Only
quotations that land on one of the four source keys are checked; quotations attributed to other
works are left alone (their texts are not in the course's sources).
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file

from after_stalinism.booktools.lab_markdown import is_references_cell
from conftest import ROOT

BIB = ROOT / "book" / "references.bib"
SOURCES_DIR = Path(os.environ.get("AFTER_STALINISM_SOURCES", ROOT.parent / "shared" / "sources"))
SOURCE_FILES = {  # bibliography key -> file name of the source text
    "lankov2006": "lankov-2006-natural-death-of-north-korean-stalinism.txt",
    "lankov2004": "lankov-2004-soft-landing-opportunity-or-illusion.txt",
    "jeong_second_economy": "jeong-second-economy-and-governance-structure.txt",
    "onefreekorea2015": "onefreekorea-2015-senior-cadres-flee-purges.txt",
}
AUTHORS = [  # (pattern naming an author in running text, keys it may refer to)
    (re.compile(r"\bLankov(?:'s)?\s*\(?(?:2004)\b"), {"lankov2004"}),
    (re.compile(r"\bLankov(?:'s)?\s*\(?(?:2006)\b"), {"lankov2006"}),
    (re.compile(r"\bLankov\b"), {"lankov2004", "lankov2006"}),
    (re.compile(r"\bJeong\b"), {"jeong_second_economy"}),
    (re.compile(r"\bOne ?Free ?Korea\b|\bOFK\b|\bStanton\b"), {"onefreekorea2015"}),
]
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
QUOTE_CHARS = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
QUOTATION = re.compile(r'"([^"]+?)"|\u201c([^\u201d]+?)\u201d')
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026|\[\s*\.+\s*\])\s*")


# ---- reading the course ---------------------------------------------------------------------
def text_files() -> list[Path]:
    """Every page whose text can cite: lessons, book pages and exercise notebooks (sources and releases)."""
    files = []
    for folder in ["notebooks", "book", "exercises"]:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".md", ".ipynb"} and ".ipynb_checkpoints" not in path.parts:
                files.append(path)
    return files


def markdown_of(path: Path, *, code: bool = False) -> list[str]:
    """The markdown cells of a notebook (and its code cells if asked), or a markdown file's text.

    A lesson's generated references cell (``lab_markdown``) is left out: it repeats references.bib,
    whose titles may hold quotation marks next to an author's name without quoting a source."""
    if path.suffix == ".md":
        return [path.read_text(encoding="utf-8")]
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if (c.cell_type == "markdown" and not is_references_cell(c))
            or (code and c.cell_type == "code")]


def bib_keys() -> set[str]:
    return set(parse_file(str(BIB), bib_format="bibtex").entries.keys())


# ---- citations --------------------------------------------------------------------------------
def cited_keys() -> list[tuple[str, str]]:
    found = []
    for path in text_files():
        for text in markdown_of(path, code=True):
            for match in CITE.finditer(text):
                for key in match.group(1).split(","):
                    found.append((str(path.relative_to(ROOT)), key.strip()))
    return found


def test_every_cited_key_is_in_the_bibliography():
    known = bib_keys()
    cited = cited_keys()
    assert len(cited) > 50, "the citation scanner found almost nothing: is the role syntax still {cite:p}`key`?"
    missing = sorted({f"{where}: {key}" for where, key in cited if key not in known})
    assert not missing, "cited but not in book/references.bib:\n" + "\n".join(missing)


def test_the_four_sources_are_in_the_bibliography():
    assert set(SOURCE_FILES) <= bib_keys()


# ---- quotations -------------------------------------------------------------------------------
@dataclass
class Quotation:
    where: str
    text: str
    keys: set[str]


def _blank(text: str, pattern: re.Pattern) -> str:
    """Replace each match by spaces of the same length, keeping every other offset."""
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def _blocks(text: str) -> list[str]:
    """Paragraphs, list items and table rows: the units within which a citation can attribute a quote."""
    text = re.sub(r"```[^\n]*\n", "\n\n", text)  # directive fences start and end blocks
    blocks = []
    for para in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in para.split("\n"):
            if re.match(r"\s*(?:[-*+]|\d+\.)\s+|\s*\|", line) and current:
                blocks.append("\n".join(current))
                current = []
            current.append(line)
        blocks.append("\n".join(current))
    return [b for b in blocks if b.strip()]


ROLE = re.compile(r"\{[a-z:]+\}`([^`<]*?)\s*(?:<[^`]*>)?`")


def _readable(block: str) -> str:
    """The block as a reader sees it, offsets kept: a role shows its text, inline code shows nothing."""
    shown = ROLE.sub(lambda m: m.group(1).ljust(len(m.group(0))), block)
    return _blank(shown, re.compile(r"`[^`]*`"))


def _quotes(block: str) -> list[tuple[int, int, str]]:
    plain = _readable(block)
    return [(m.start(), m.end(), m.group(1) or m.group(2)) for m in QUOTATION.finditer(plain)]


def _sentences(block: str, quotes) -> list[tuple[int, int]]:
    inside = [(s, e) for s, e, _ in quotes]
    cuts = [m.end() for m in re.finditer(r"[.!?:;]\s+(?=[A-Z(*{\"\u201c])", block)
            if not any(s < m.start() < e for s, e in inside)]
    bounds = [0, *cuts, len(block)]
    return list(zip(bounds, bounds[1:]))


def _markers(block: str) -> list[tuple[int, int, set[str], bool]]:
    """(start, end, keys, is_citation) for every citation role and author name in a block."""
    marks = [(m.start(), m.end(), {k.strip() for k in m.group(1).split(",")}, True) for m in CITE.finditer(block)]
    plain = _blank(block, re.compile(r"`[^`]*`"))
    taken: list[tuple[int, int]] = []
    for pattern, keys in AUTHORS:
        for m in pattern.finditer(plain):
            if not any(s <= m.start() < e for s, e in taken):
                taken.append((m.start(), m.end()))
                marks.append((m.start(), m.end(), keys, False))
    return marks


def _attribute(start: int, end: int, markers, lo: int, hi: int) -> set[str] | None:
    inside = [m for m in markers if lo <= m[0] < hi]
    cites = [m for m in inside if m[3]]
    after = sorted((m for m in cites if m[0] >= end), key=lambda m: m[0])
    before = sorted((m for m in cites if m[1] <= start), key=lambda m: -m[1])
    names = sorted((m for m in inside if not m[3]), key=lambda m: min(abs(m[0] - end), abs(start - m[1])))
    for group in (after, before, names):
        if group:
            return group[0][2]
    return None


def attributed_quotations() -> list[Quotation]:
    found = []
    for path in text_files():
        for text in markdown_of(path):
            for block in _blocks(text):
                quotes = _quotes(block)
                if not quotes:
                    continue
                markers = _markers(block)
                sentences = _sentences(block, quotes)
                for start, end, quote in quotes:
                    lo, hi = next(((a, b) for a, b in sentences if a <= start < b), (0, len(block)))
                    keys = _attribute(start, end, markers, lo, hi) or _attribute(start, end, markers, 0, len(block))
                    if keys and keys & set(SOURCE_FILES):
                        found.append(Quotation(str(path.relative_to(ROOT)), quote, keys & set(SOURCE_FILES)))
    return found


def normalise(text: str) -> str:
    """One form for quote marks, emphasis, footnote marks, page-break hyphens and whitespace."""
    text = re.sub(r"<sup>.*?</sup>|\$\^\{.*?\}\$", "", text)
    text = re.sub(r"(\w)-\s*\n\s*\n\s*(\w)", r"\1\2", text)  # words split over a page break
    text = re.sub(r"[*_]", "", text)
    text = re.sub(f"[{QUOTE_CHARS}]", "'", text)
    text = re.sub(r"[.,](?=')", "", text)  # 'as "Stalinist."' quoted as 'as "Stalinist".'
    return re.sub(r"\s+", " ", text).strip()


def found_in(quote: str, source: str) -> bool:
    """True if the quote's pieces (split at ellipses) appear in the source, in order.

    Letter case is not compared: a quotation may start a sentence with a capital, or quote a
    title's words in lower case; every word and its order must match.
    """
    position, source = 0, source.casefold()
    for piece in ELLIPSIS.split(normalise(quote).casefold()):
        piece = piece.strip(" .,;:")
        if not piece:
            continue
        hit = source.find(piece, position)
        if hit < 0:
            return False
        position = hit + len(piece)
    return True


def test_quotation_detector_attributes_by_sentence_and_block():
    block = ('Lankov wrote that "reform from above" failed; Noland writes "a different thing" {cite:p}`noland2013`. '
             'Jeong calls it "freedom by necessity" {cite:p}`jeong_second_economy`.')
    markers, quotes = _markers(block), _quotes(block)
    sentences = _sentences(block, quotes)
    got = []
    for start, end, quote in quotes:
        lo, hi = next((a, b) for a, b in sentences if a <= start < b)
        got.append((quote, _attribute(start, end, markers, lo, hi)))
    assert got == [("reform from above", {"lankov2004", "lankov2006"}), ("a different thing", {"noland2013"}),
                   ("freedom by necessity", {"jeong_second_economy"})]
    assert found_in("as illustrated by the saying 'food is power', ... the center",
                    normalise('Formerly, as illustrated by the saying "food is power", the center'))
    assert not found_in("the party will never lose", normalise("the party will lose"))


@pytest.fixture(scope="module")
def source_texts() -> dict[str, str]:
    if not SOURCES_DIR.is_dir():
        pytest.skip(f"the course's source texts are not here ({SOURCES_DIR}); they are kept outside the "
                    "repository, so a learner's clone cannot check quotations against them")
    return {key: normalise((SOURCES_DIR / name).read_text(encoding="utf-8")) for key, name in SOURCE_FILES.items()}


def test_every_quotation_of_a_source_is_verbatim(source_texts):
    quotations = attributed_quotations()
    assert len(quotations) > 100, "the quotation detector found almost nothing: check its attribution rules"
    wrong = [f'{q.where}: "{q.text}" is not in {" or ".join(sorted(SOURCE_FILES[k] for k in q.keys))}'
             for q in quotations if not any(found_in(q.text, source_texts[k]) for k in q.keys)]
    assert not wrong, f"{len(wrong)} quotation(s) not found verbatim in their source:\n" + "\n".join(wrong)


# ---- data rows --------------------------------------------------------------------------------
def _package() -> dict:
    return json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("resource", _package()["resources"], ids=lambda r: r["name"])
def test_every_data_row_has_a_source_the_bibliography_knows(resource):
    known = bib_keys()
    sources = resource.get("sources", [])
    unknown = [s.get("title", "?") for s in sources
               if not s.get("bib") or not set(_as_list(s["bib"])) <= known]
    assert not unknown, (f"{resource['name']}: these `sources` entries in data/datapackage.json name no bib key "
                         f"of book/references.bib (add \"bib\": \"key\"): {unknown}")
    by_path = {s["path"] for s in sources if s.get("path")}
    by_title = {s["title"] for s in sources}
    with open(ROOT / "data" / resource["path"], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    orphans = [f"row {n}: {row.get('source')!r} ({row.get('source_url') or 'no url'})"
               for n, row in enumerate(rows, start=2)
               if not ((row.get("source_url") and row["source_url"] in by_path) or row.get("source") in by_title)]
    assert not orphans, (f"{resource['name']}: rows whose source is not among the table's `sources` "
                         "(match by path = source_url, or title = source):\n" + "\n".join(orphans))
