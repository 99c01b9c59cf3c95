"""``RunTasks``: a task list on one record as one edit command (apply, undo, refusals by rule id,
the journal's JSON) and ``plan_tasks`` (a dry run over records, none touched)."""

from __future__ import annotations

from pathlib import Path

from tui.core.batch.taskcmd import RunTasks, plan_tasks
from tui.core.editing.commands import EditContext, command_from_json
from tui.core.formats import open_source
from tui.core.formats.notation import record_lines
from tui.core.rules.profile import Profile

RULES = Path(__file__).parents[1] / "data" / "rules" / "records.txt"

TASKS = """
[[operation]]
action = "delete-field"
tag = "020"

[[operation]]
action = "add-field"
tag = "500"
subfields = [["a", "Granskad"]]
"""


def _records():
    return {e.control_number: e for e in open_source(RULES) if e.control_number}


def _ctx(rec):
    return EditContext(rec, Profile.from_name("full"), "Li", None)


def test_apply_undo_and_what_the_rules_refused():
    recs = _records()
    eplk = recs["eplk0001"]
    before = record_lines(eplk.marc)
    cmd = RunTasks(TASKS, "/somewhere/review.toml")
    cmd.apply(_ctx(eplk))
    after = record_lines(eplk.marc)
    assert cmd.changed and cmd.changed_by == [2]  # the 500 is added, the 020 is protected
    assert cmd.refused == {"EPL-PROTECT": 1}
    assert any(ln.startswith("020") for ln in after) and "500" in {ln[:3] for ln in after}
    assert cmd.describe() == "Task list review.toml: operation 2 changed the record; refused EPL-PROTECT 1"
    cmd.undo(_ctx(eplk))
    assert record_lines(eplk.marc) == before


def test_the_journal_json_carries_the_task_text_and_replays():
    recs = _records()
    cmd = RunTasks(TASKS, "review.toml")
    again = command_from_json(cmd.to_json())
    assert isinstance(again, RunTasks) and again.text == TASKS and again.path == "review.toml"
    rec = next(r for r in recs.values() if r.kind == "bib" and not r.marc.get_fields("042"))
    again.apply(_ctx(rec))
    assert again.changed and "500" in {ln[:3] for ln in record_lines(rec.marc)}


def test_a_bad_task_list_is_refused_naming_its_line():
    rec = next(iter(_records().values()))
    r = RunTasks('[[operation]]\naction = "nothing"\n', "bad.toml").check(_ctx(rec))
    assert r is not None and r.rule == "EDIT-VALUE" and "bad.toml:2" in str(r)


def test_plan_tasks_touches_no_record_and_counts_refusals():
    recs = list(_records().values())
    before = [record_lines(r.marc) for r in recs]
    plan = plan_tasks(list(enumerate(recs)), lambda: RunTasks(TASKS), lambda s, r: _ctx(r))
    assert [record_lines(r.marc) for r in recs] == before
    assert plan.slots and len(plan.changes) == len(plan.slots)
    assert plan.skipped["EPL-PROTECT"] >= 1 and plan.skipped["CHN-READONLY"] >= 1
