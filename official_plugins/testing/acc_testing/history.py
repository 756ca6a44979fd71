"""Run history: each test's last outcome, and what changed in the latest run. Pure.

Two kv entries (JSON): `history` maps every test seen to [run number, outcome] of the
last run that included it; `latest-run` is the latest run's tests, each with its
outcome now and the outcome it had the time before. A run of a subset updates only
the tests it ran, so "before" is always the test's previous run, whatever ran between.

The kv namespace is the plugin's, not the project's: runs on different projects share
one history, told apart only by node id.
"""

from __future__ import annotations

HISTORY_KEY = "history"
LATEST_KEY = "latest-run"
FORMAT = 1
#: Tests remembered; the ones not run for longest are forgotten first.
MAX_TRACKED_TESTS = 20_000

FAILING = ("failed", "error")


def record_run(history: dict | None, tests: list[dict]) -> tuple[dict, dict]:
    """The new history and latest-run entries after a run with these test results."""
    if not isinstance(history, dict) or history.get("format") != FORMAT:
        history = {"format": FORMAT, "runs": 0, "outcomes": {}}
    run = int(history.get("runs", 0)) + 1
    outcomes: dict = dict(history.get("outcomes", {}))
    latest_tests: dict = {}
    for test in tests:
        node = test["node_id"]
        before = outcomes.get(node)
        entry = {
            "outcome": test["outcome"],
            "before": before[1] if before else None,
            "before_run": before[0] if before else None,
        }
        if test["outcome"] in FAILING:
            entry["message"] = test.get("message")
            entry["location"] = test.get("location")
        latest_tests[node] = entry
        outcomes[node] = [run, test["outcome"]]
    if len(outcomes) > MAX_TRACKED_TESTS:
        keep = sorted(outcomes.items(), key=lambda item: item[1][0], reverse=True)[:MAX_TRACKED_TESTS]
        outcomes = dict(keep)
    return (
        {"format": FORMAT, "runs": run, "outcomes": outcomes},
        {"format": FORMAT, "run": run, "tests": latest_tests},
    )


def compare(latest: dict | None) -> dict:
    """What the latest run changed: regressions, fixes, still failing, new failures."""
    result: dict = {"latest_run": None, "regressions": [], "fixed": [], "still_failing": [], "new_failures": []}
    if not isinstance(latest, dict) or latest.get("format") != FORMAT:
        result["note"] = "no test run is recorded yet: use the run command first"
        return result
    result["latest_run"] = latest["run"]
    for node, entry in sorted(latest["tests"].items()):
        now, before = entry["outcome"], entry["before"]
        item = {"node_id": node, "now": now, "before": before, "before_run": entry["before_run"]}
        if now in FAILING:
            item["message"] = entry.get("message")
            item["location"] = entry.get("location")
            if before == "passed":
                result["regressions"].append(item)
            elif before in FAILING:
                result["still_failing"].append(item)
            elif before is None:
                result["new_failures"].append(item)
        elif now == "passed" and before in FAILING:
            result["fixed"].append(item)
    return result
