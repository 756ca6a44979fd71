"""Parse pytest's JUnit XML report into plain dicts. Pure: bytes in, data out.

The report is untrusted: the project's tests ran to produce it and can print anything.
It is size-capped, and a document type declaration is refused before the parser sees
it (pytest never writes one; it is the only way to declare entities, so without it
there is nothing to expand, internal or external).

Node ids are rebuilt from the `xunit1` attributes pytest writes with
`-o junit_family=xunit1`: `file` (relative to the rootdir), `classname` (the dotted
module path plus classes) and `name`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

MAX_REPORT_BYTES = 16 * 1024 * 1024
MAX_MESSAGE_CHARS = 1000
MAX_TRACEBACK_CHARS = 2000
#: Tracebacks are given for this many problem tests; later ones have message and location.
MAX_TRACEBACKS = 50

#: pytest's summary line of a failure: "tests/test_calc.py:6: AssertionError".
_FAILURE_LINE = re.compile(r"^(?P<file>\S.*?):(?P<line>\d+): (?P<what>[A-Za-z_][\w.]*)$")
#: A frame line of a short traceback: "tests/test_calc.py:6: in test_sub".
_FRAME_LINE = re.compile(r"^(?P<file>\S.*?\.py):(?P<line>\d+): in ")
#: A syntax error's own line in a collection error: 'E     File "/abs/tests/test_x.py", line 3'.
_SYNTAX_LINE = re.compile(r'^E\s+File "(?P<file>[^"]+)", line (?P<line>\d+)')
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

OUTCOMES = ("passed", "failed", "error", "skipped")


class ReportError(Exception):
    """The report is missing, too large or not pytest's JUnit XML."""


def extract_report(stdout: bytes) -> bytes | None:
    """The XML document in pytest's stdout, or None when pytest wrote none.

    With `-p no:terminal` the report is all there is, but a project's conftest.py can
    print before capturing starts, so the document is looked for, not assumed.
    """
    start = stdout.find(b"<?xml")
    if start < 0:
        start = stdout.find(b"<testsuites")
    if start < 0:
        return None
    end = stdout.rfind(b"</testsuites>")
    if end < start:
        raise ReportError("pytest's JUnit report is cut short (no closing </testsuites>)")
    return stdout[start : end + len(b"</testsuites>")]


def parse_report(data: bytes) -> dict:
    """Totals and one entry per test case: node_id, outcome, duration, and the details.

    Failed and errored tests have `message` and `location` ({"file", "line"}, either
    may be null); skipped ones `skip_reason`. The first MAX_TRACEBACKS problems also
    carry `traceback`, the end of pytest's report of them.
    """
    if len(data) > MAX_REPORT_BYTES:
        raise ReportError(f"pytest's JUnit report is larger than {MAX_REPORT_BYTES} bytes")
    if _DOCTYPE.search(data):
        raise ReportError("pytest's JUnit report contains a document type declaration; refused")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        raise ReportError(f"pytest's JUnit report is not well-formed XML: {e}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ReportError(f"not a JUnit report: the root element is <{root.tag}>")
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests: list[dict] = []
    duration = 0.0
    tracebacks = 0
    for suite in suites:
        duration += _float(suite.get("time"))
        for case in suite.iter("testcase"):
            test = _test_case(case, with_traceback=tracebacks < MAX_TRACEBACKS)
            if "traceback" in test:
                tracebacks += 1
            tests.append(test)
    totals = {"tests": len(tests), **{o: 0 for o in OUTCOMES}, "duration": round(duration, 3)}
    for test in tests:
        totals[test["outcome"]] += 1
    return {"totals": totals, "tests": tests}


def node_id(file: str | None, classname: str, name: str) -> str:
    """Rebuild pytest's node id from the xunit1 attributes of a test case."""
    if not file:
        # Without `file` (another junit_family) the split between module and classes
        # is unknowable; this is pytest's mangled form.
        return f"{classname}::{name}" if classname else name
    module = file[:-3] if file.endswith(".py") else file
    module = module.replace("/", ".")
    if not classname and name == module:
        return file  # a collection error of the whole file
    classes = classname[len(module) :].lstrip(".") if classname.startswith(module) else ""
    return "::".join([file, *(classes.split(".") if classes else []), name])


def _test_case(case: ElementTree.Element, *, with_traceback: bool) -> dict:
    file = case.get("file")
    test: dict = {
        "node_id": node_id(file, case.get("classname", ""), case.get("name", "")),
        "outcome": "passed",
        "duration": round(_float(case.get("time")), 3),
    }
    failure = case.find("failure")
    error = case.find("error")
    skipped = case.find("skipped")
    problem = failure if failure is not None else error
    if problem is not None:
        test["outcome"] = "failed" if failure is not None else "error"
        text = problem.text or ""
        test["message"] = _message(problem.get("message") or "", text)
        if test["node_id"] == file:
            test["location"] = _collection_location(text, file)
        else:
            test["location"] = _location(text, file, case.get("line"))
        if with_traceback and text:
            test["traceback"] = text[-MAX_TRACEBACK_CHARS:]
    elif skipped is not None:
        test["outcome"] = "skipped"
        reason = (skipped.get("message") or "").strip()
        if skipped.get("type") == "pytest.xfail":
            reason = f"expected to fail: {reason}" if reason else "expected to fail"
        test["skip_reason"] = reason[:MAX_MESSAGE_CHARS]
    return test


def _message(attribute: str, text: str) -> str:
    first = attribute.strip().split("\n", 1)[0].strip()
    if first and first != "collection failure":
        return first[:MAX_MESSAGE_CHARS]
    # Collection errors say only "collection failure"; the exception is the last E line.
    errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    return (errors[-1] if errors else first or "(no message)")[:MAX_MESSAGE_CHARS]


def _location(text: str, file: str | None, line: str | None) -> dict:
    found = None
    for pattern in (_FAILURE_LINE, _FRAME_LINE):
        for text_line in text.splitlines():
            if text_line.startswith(("E ", "> ")):
                continue  # the exception's own text and source lines, not a frame
            match = pattern.match(text_line)
            if match:
                found = match
        if found:
            return {"file": found["file"], "line": int(found["line"])}
    # No frame in the report (a collection error): the test's own file and line (0-based).
    return {"file": file, "line": int(line) + 1 if line and line.isdigit() else None}


def _collection_location(text: str, file: str) -> dict:
    """Where a test file failed to import: its own line if the error names it, else none.

    The traceback's frames are pytest's and importlib's, not the project's.
    """
    for text_line in reversed(text.splitlines()):
        match = _SYNTAX_LINE.match(text_line)
        if match and (match["file"] == file or match["file"].endswith("/" + file)):
            return {"file": file, "line": int(match["line"])}
    return {"file": file, "line": None}


def _float(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0
