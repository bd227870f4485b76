"""The gradebook (``grades.csv``), a feedback page per submission (HTML, for the
student) and a JSON result per submission (for programs).

Everything is deterministic: rows sorted by submission, points with two decimals, no
times or temporary paths, so grading the same files twice gives identical files.
"""

import csv
import hashlib
import html
import io
import json
import pathlib

from seqbook.course.submissions import safe_name

CASE_PREVIEW = 240  # characters of a failure message in the gradebook's message column


def points(value):
    return f"{value:.2f}"


def cut(text, limit=CASE_PREVIEW):
    """``text`` cut to ``limit`` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def where_cell(error):
    """How a student finds a cell: "the cell of rnn_cell_forward (under “Exercise 1 ...”)"."""
    owners = error.get("exercises") or []
    what = (f"the cell of {', '.join(owners)}" if owners else "an answer cell")
    heading = error.get("heading")
    return what + (f" (under “{heading}”)" if heading else "")


def problems_summary(result):
    """One line naming each exercise that lost points and why (the grader's notes and
    the first failed check's message), then each cell that raised an error."""
    problems = []
    for name, exercise in result.exercises.items():
        if exercise["score"] >= exercise["possible"]:
            continue
        failed = [case["message"] for case in exercise["cases"] if not case["passed"]]
        reasons = [*exercise.get("notes", []), *failed[:1]] or ["lost points"]
        problems.append(f"{name}: " + " ".join(cut(reason) for reason in reasons))
    for error in result.cell_errors:  # also when no points were lost: the instructor sees it
        problems.append(f"{where_cell(error)}: {cut(error['error'])}")
    return "; ".join([*result.flags, *problems])


def report_name(result):
    """A unique, ASCII file name (without suffix) for a submission's reports."""
    digest = hashlib.sha256(result.label.encode()).hexdigest()[:8]
    return f"{safe_name(result.label)}-{digest}"


def exercise_columns(results, chapters):
    """(chapter, exercise) of every exercise column, in chapter and exercise order: the
    chapters the submissions belong to (all chapters graded if none was recognised)."""
    used = sorted({result.chapter for result in results if result.chapter}) or sorted(chapters)
    return [(chapter, exercise) for chapter in used for exercise in chapters[chapter].exercises]


def write_csv(results, chapters, path):
    columns = exercise_columns(results, chapters)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "student", "chapter", "status",
                     *(f"{chapter}/{exercise}" for chapter, exercise in columns),
                     "total", "possible", "message", "feedback"])
    for result in sorted(results, key=lambda result: result.label):
        scores = [points(result.exercises[exercise]["score"])
                  if result.chapter == chapter and exercise in result.exercises else ""
                  for chapter, exercise in columns]
        writer.writerow([result.label, result.student, result.chapter, result.status, *scores,
                         points(result.total), points(result.possible), result.message,
                         f"feedback/{report_name(result)}.html"])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def as_json(result):
    return {
        "submission": result.label, "student": result.student, "chapter": result.chapter,
        "status": result.status, "message": result.message,
        "total": result.total, "possible": result.possible,
        "exercises": [{key: exercise[key] for key in ("exercise", "score", "possible",
                                                      "cases", "notes")}
                      for exercise in result.exercises.values()],
        "cell_errors": [{key: error.get(key, "") for key in ("cell", "exercises", "heading",
                                                             "error")}
                        for error in result.cell_errors],
        "output": result.output, "output_characters": result.output_characters,
    }


STYLE = """body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 .8em;
line-height:1.4;overflow-wrap:anywhere}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;
vertical-align:top}.passed{color:#1a7f37}.failed{color:#b42318}pre{white-space:pre-wrap;
background:#f6f6f6;padding:.5em}"""


def feedback_html(result):
    """A page a student can read: status, points per exercise, what failed and why."""
    e = html.escape
    shown = result.file_name or result.label
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta "
             "name='viewport' content='width=device-width, initial-scale=1'><title>Feedback: "
             f"{e(shown)}</title><style>{STYLE}</style></head><body>",
             f"<h1>Feedback on {e(shown)}</h1>",
             f"<p>Chapter: <b>{e(result.chapter or 'not recognised')}</b>. Status: "
             f"<b>{e(result.status)}</b>. Points: <b>{points(result.total)} of "
             f"{points(result.possible)}</b>.</p>"]
    if result.message and not result.exercises:
        parts.append(f"<p class='failed'>{e(result.message)}</p>")
    elif result.status not in ("graded",) and result.message:
        parts.append(f"<p>{e(result.message)}</p>")
    for flag in result.flags:
        parts.append(f"<p class='failed'>{e(flag)}</p>")
    if result.exercises:
        parts.append("<table><tr><th>exercise</th><th>points</th><th>result</th></tr>")
        for name, exercise in result.exercises.items():
            rows = []
            for note in exercise.get("notes", []):
                rows.append(f"<li class='failed'>{e(note)}</li>")
            for case in exercise["cases"]:
                kind = "hidden check" if case["hidden"] else "public check"
                if case["passed"]:
                    rows.append(f"<li class='passed'>{kind}: passed</li>")
                else:
                    rows.append(f"<li class='failed'>{kind}: failed<br>"
                                f"{e(case['message'])}</li>")
            parts.append(f"<tr><td><code>{e(name)}</code></td><td>{points(exercise['score'])}"
                         f" / {points(exercise['possible'])}</td><td><ul>{''.join(rows)}"
                         "</ul></td></tr>")
        parts.append("</table>")
    if result.cell_errors:
        parts.append("<h2>Cells that raised an error</h2><ul>")
        for error in result.cell_errors:
            parts.append(f"<li>{e(where_cell(error))}: <code>{e(error['error'])}</code></li>")
        parts.append("</ul>")
    if result.output_characters:
        parts.append(f"<h2>Printed output</h2><p>{result.output_characters} characters; the "
                     f"first {len(result.output)} are shown.</p><pre>{e(result.output)}</pre>")
    parts.append("<p>Only the exercise cells are run when grading, after the lab's set-up "
                 "cell: an answer may use the lab's imports, its own cell and the other "
                 "exercise functions.</p></body></html>")
    return "\n".join(parts) + "\n"


def write_all(results, chapters, out_dir):
    """Write grades.csv, feedback/*.html and results/*.json into ``out_dir``."""
    out_dir = pathlib.Path(out_dir)
    (out_dir / "feedback").mkdir(parents=True, exist_ok=True)
    (out_dir / "results").mkdir(parents=True, exist_ok=True)
    for result in results:
        name = report_name(result)
        (out_dir / "feedback" / f"{name}.html").write_text(feedback_html(result),
                                                           encoding="utf-8")
        (out_dir / "results" / f"{name}.json").write_text(
            json.dumps(as_json(result), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8")
    write_csv(results, chapters, out_dir / "grades.csv")


def summary(results, out_dir):
    """The one-line summary ``seqbook grade`` prints."""
    graded = [r for r in results if r.status in ("graded", "superseded")]
    failed = [r for r in results if r.status not in ("graded", "superseded")]
    superseded = sum(r.status == "superseded" for r in results)
    line = f"graded {len(graded)} of {len(results)} submissions"
    if superseded:
        line += f" ({superseded} superseded by a newer one from the same student)"
    if failed:
        counts = {}
        for result in failed:
            counts[result.status] = counts.get(result.status, 0) + 1
        line += f"; {len(failed)} could not be graded (" + ", ".join(
            f"{count} {status}" for status, count in sorted(counts.items())) + ")"
    return line + f"; gradebook: {pathlib.Path(out_dir) / 'grades.csv'}"
