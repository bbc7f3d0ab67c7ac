"""The grading report: one offline HTML page about how the class did.

``grade`` writes ``OUT/report.html``: the score distribution overall and per question, the most
common wrong answers per question with their counts (which of the mistakes anticipated with
``wrong=`` occurred, and the ones nobody anticipated), the submissions that timed out, crashed or
could not be read, and the time each submission took. The figures are drawn by the course's own
plotly.js bundle, inlined, so the page works from a file, offline, anywhere.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._modes import PLOTLY_BUNDLE, STATIC_DIR
from .checks import Question, evaluate
from .results import Status, StudentResult
from .values import MISSING, Figure, Unsupported, decode

REPORT_FILE = "report.html"
PLOTLY_JS = STATIC_DIR / PLOTLY_BUNDLE  # the book's own copy: the report works offline too
COLOURS = {"full marks": "#1a7f37", "part marks": "#bf8700", "no marks": "#cf222e", "awaiting your mark": "#6e7781"}


def describe(value: Any, width: int = 80) -> str:
    """A short, plain description of a student's value, the same for the same answer."""
    if value is MISSING:
        return "not defined"
    if isinstance(value, Unsupported):
        return "left as `...`" if value.type_name == "ellipsis" else f"a {value.type_name} object"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Figure):
        return f"a figure ({', '.join(t['type'] for t in value.traces) or 'no traces'})"
    if isinstance(value, (set, frozenset)):
        text = "{" + ", ".join(sorted(map(repr, value))) + "}"
    elif type(value).__name__ == "DataFrame":
        return f"a table with columns {list(map(str, value.columns))} and {len(value)} rows"
    elif type(value).__name__ == "Series":
        return f"a Series of {len(value)} values"
    else:
        text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class WrongAnswer:
    """One row of a question's wrong-answer table: a variable, a wrong answer to it (described),
    how many students gave it, its ``kind`` (an ``anticipated`` one, listed with count 0 when
    nobody gave it, or ``not anticipated``, or ``no answer``), and the feedback they read."""

    variable: str
    answer: str
    count: int
    kind: str          # anticipated | not anticipated | no answer
    feedback: str = ""


def wrong_answers(question: Question, results: list[StudentResult]) -> list[WrongAnswer]:
    """Every wrong answer to ``question`` with how many students gave it, most common first; then
    the anticipated mistakes nobody made (count 0)."""
    counts: Counter = Counter()
    feedback: dict[tuple, str] = {}
    for r in results:
        if not r.values:  # nothing came back (unreadable, timed out, crashed): no answers to count
            continue
        seen = set()
        for check in question.public + question.hidden:
            outcome = evaluate(check, r.values)
            if outcome.passed:
                continue
            got = r.values.get(check["name"], MISSING)
            anticipated = next((k for k, fb in check.get("wrong", []) if fb == outcome.message), None)
            if got is MISSING or (isinstance(got, Unsupported) and got.type_name == "ellipsis"):
                key = (check["name"], describe(got), "no answer")
            elif anticipated is not None:
                key = (check["name"], describe(decode(anticipated)), "anticipated")
            else:
                key = (check["name"], describe(got), "not anticipated")
            feedback.setdefault(key, outcome.message)
            seen.add(key)
        counts.update(seen)
    rows = [WrongAnswer(v, a, n, k, feedback[(v, a, k)]) for (v, a, k), n in counts.most_common()]
    for check in question.public + question.hidden:
        for answer, fb in check.get("wrong", []):
            key = (check["name"], describe(decode(answer)), "anticipated")
            if key not in counts:
                rows.append(WrongAnswer(key[0], key[1], 0, "anticipated", fb))
                counts[key] = 0
    return rows


def _band(score: float, max_score: float, manual: bool) -> str:
    if manual:
        return "awaiting your mark"
    return "full marks" if score >= max_score else ("part marks" if score > 0 else "no marks")


def _figures(results: list[StudentResult], questions: list[Question]) -> dict[str, dict]:
    max_total = sum(q.points for q in questions)
    axis = {"gridcolor": "#d0d7de", "zeroline": False}
    base = {"margin": {"l": 60, "r": 20, "t": 20, "b": 50}, "height": 320, "plot_bgcolor": "white",
            "font": {"family": "system-ui, sans-serif", "size": 13}}
    figures = {"fig-totals": {"data": [{"type": "histogram", "x": [r.total for r in results],
                                        "xbins": {"start": -0.25, "end": max_total + 0.25, "size": 0.5},
                                        "marker": {"color": "#0969da"}, "name": "students",
                                        "hovertemplate": "total %{x}: %{y} students<extra></extra>"}],
                              "layout": {**base, "xaxis": {**axis, "range": [-0.5, max_total + 0.5],
                                                           "title": {"text": f"total score (out of {max_total:g})"}},
                                         "yaxis": {**axis, "title": {"text": "students"}}, "bargap": 0.1}}}
    bands = {name: [0] * len(questions) for name in COLOURS}
    for r in results:
        for i, res in enumerate(r.questions):
            bands[_band(res.score, res.max_score, res.manual)][i] += 1
    figures["fig-questions"] = {
        "data": [{"type": "bar", "name": name, "x": [q.name for q in questions], "y": counts,
                  "marker": {"color": COLOURS[name]}} for name, counts in bands.items() if any(counts)],
        "layout": {**base, "barmode": "stack", "xaxis": {**axis, "title": {"text": "question"}},
                   "yaxis": {**axis, "title": {"text": "students"}},
                   "legend": {"orientation": "h", "y": 1.12, "traceorder": "normal"}}}
    statuses = Counter(r.status for r in results)
    figures["fig-statuses"] = {
        "data": [{"type": "bar", "x": list(statuses), "y": list(statuses.values()), "marker": {"color": "#8250df"}}],
        "layout": {**base, "height": 260, "xaxis": {**axis, "title": {"text": "status"}},
                   "yaxis": {**axis, "title": {"text": "submissions"}}}}
    seconds = [round(r.seconds, 3) for r in results if r.seconds > 0]
    if seconds:
        figures["fig-seconds"] = {
            "data": [{"type": "histogram", "x": seconds, "marker": {"color": "#0969da"}, "nbinsx": 30}],
            "layout": {**base, "height": 260, "xaxis": {**axis, "title": {"text": "seconds to run the notebook"}},
                       "yaxis": {**axis, "title": {"text": "submissions"}}, "bargap": 0.05}}
    return figures


def _table(head: list[str], rows: list[list[Any]], caption: str) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>"
            + "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
            + f"</tr></thead><tbody>{cells}</tbody></table>")


def _figure(fig_id: str, caption: str) -> str:
    return (f'<figure aria-labelledby="{fig_id}-caption"><div id="{fig_id}" class="report-figure"></div>'
            f'<figcaption id="{fig_id}-caption">{html.escape(caption)}</figcaption></figure>')


def build_report(results: list[StudentResult], questions: list[Question], title: str) -> str:
    """The report page as one HTML string (plotly.js inlined)."""
    ignored = [r for r in results if r.status is Status.IGNORED]
    results = [r for r in results if r.status is not Status.IGNORED]
    n = len(results)
    max_total = sum(q.points for q in questions)
    totals = sorted(r.total for r in results)
    mean = sum(totals) / n if n else 0
    median = (totals[(n - 1) // 2] + totals[n // 2]) / 2 if n else 0
    parts = [f"<h1>Grading report: {html.escape(title)}</h1>",
             f"<p>{n} submissions; mean total {mean:.2f} and median {median:g} out of {max_total:g}.</p>",
             "<h2>Scores</h2>", _figure("fig-totals", "Distribution of total scores"),
             _figure("fig-questions", "Students with full, part or no marks on each question")]
    rows = []
    for i, q in enumerate(questions):
        scores = [r.questions[i] for r in results]
        bands = Counter(_band(s.score, s.max_score, s.manual) for s in scores)
        rows.append([q.name, q.prompt, f"{q.points:g}", f"{sum(s.score for s in scores) / max(n, 1):.2f}",
                     bands["full marks"], bands["part marks"], bands["no marks"], bands["awaiting your mark"]])
    parts.append(_table(["question", "prompt", "points", "mean", "full marks", "part marks", "no marks",
                         "awaiting your mark"], rows, "Scores per question"))
    parts.append("<h2>Wrong answers</h2><p>Per question, the answers that failed a check, with how many students "
                 "gave each: <em>anticipated</em> mistakes have their own feedback (<code>wrong=</code> in the "
                 "source notebook), <em>not anticipated</em> ones may deserve some; anticipated mistakes nobody "
                 "made are listed with 0.</p>")
    for q in questions:
        if q.manual:
            parts.append(f"<h3>{html.escape(q.name)}: {html.escape(q.prompt)}</h3><p>Marked by hand: see "
                         "<a href='marking_sheet.html'>the marking sheet</a>.</p>")
            continue
        found = wrong_answers(q, results)
        shown = [w for w in found if w.count][:10] + [w for w in found if not w.count]
        parts.append(f"<h3>{html.escape(q.name)}: {html.escape(q.prompt)}</h3>")
        parts.append(_table(["variable", "answer", "students", "kind", "feedback given"],
                            [[w.variable, w.answer, w.count, w.kind, w.feedback] for w in shown],
                            f"Wrong answers to {q.name}") if shown else "<p>No wrong answers.</p>")
    statuses = Counter(r.status for r in results)
    parts += ["<h2>Submissions that did not run cleanly</h2>", _figure("fig-statuses", "Submissions by status"),
              _table(["status", "submissions"], [[s, c] for s, c in statuses.most_common()], "Statuses")]
    trouble = [[r.student, r.status, (r.errors or [""])[0]] for r in results
               if r.status is not Status.OK or r.errors]
    parts.append(_table(["student", "status", "first problem"], trouble,
                        "Students whose notebook had problems, or whose submission was refused")
                 if trouble else "<p>Every notebook ran without an error.</p>")
    if ignored:
        parts.append(_table(["entry", "why"], [[r.student, (r.errors or [""])[0]] for r in ignored],
                            "Entries of the submissions folder that are not submissions (ignored)"))
    ran = sorted((r for r in results if r.seconds > 0), key=lambda r: -r.seconds)
    parts.append("<h2>Time per submission</h2>")
    if ran:
        parts += [_figure("fig-seconds", "Seconds each submission took to run"),
                  _table(["student", "seconds", "status"],
                         [[r.student, f"{r.seconds:.2f}", r.status] for r in ran[:10]],
                         "The slowest submissions")]
    else:
        parts.append("<p>No submission ran.</p>")
    figures = json.dumps(_figures(results, questions), allow_nan=False).replace("</", "<\\/")
    plotly_js = PLOTLY_JS.read_text(encoding="utf-8")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grading report: {html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 64rem; margin: 1rem auto; padding: 0 1rem; color: #1f2328; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; width: 100%; }}
caption {{ text-align: left; font-weight: 600; padding: .25rem 0; }}
th, td {{ border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }}
figure {{ margin: 0 0 1rem; }} figcaption {{ color: #57606a; }}
</style>
<script>{plotly_js}</script>
</head><body><main>
{''.join(parts)}
</main>
<script type="application/json" id="report-figures">{figures}</script>
<script>
const figures = JSON.parse(document.getElementById("report-figures").textContent);
for (const [id, fig] of Object.entries(figures)) {{
  Plotly.newPlot(id, fig.data, fig.layout, {{displaylogo: false, responsive: true}});
}}
</script>
</body></html>
"""


def write_report(results: list[StudentResult], questions: list[Question], out: Path, title: str) -> Path:
    """Write ``OUT/report.html`` (``build_report``; ``title``: the set's name) and return its path."""
    path = Path(out) / REPORT_FILE
    path.write_text(build_report(results, questions, title), encoding="utf-8", errors="backslashreplace")
    return path
