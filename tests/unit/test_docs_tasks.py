"""docs/tasks.md, the documentation of the task-list format, kept true to the code: every
``toml`` block of it is a task list ``parse_tasks`` reads; every action with every key it takes,
the field selection keys and every condition are described; the examples run through the real
``libris-tui batch`` on the page's sample file change the records as the page says; and every
command shown in a ``console`` block prints, on this code, just what the page shows."""

from __future__ import annotations

import io
import re
import shlex
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.core.batch import tasks as T
from tui.core.batch.tasks import ACTIONS, KINDS, STATES, parse_tasks
from tui.core.formats import open_source
from tui.core.formats.notation import record_lines

DOC = Path(__file__).parents[2] / "docs" / "tasks.md"
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.M | re.S)

#: the page's sample file (its last ``text`` block must be this very text)
SAMPLE = r"""=LDR  00000nam\a2200000\i\4500
=001  ord0001
=008  180101s2018\\\\sw\|||||\|||||||000\||swe
=020  \\$a978-91-000-0000-4
=040  \\$aLi
=100  1\$aBerg, Bo
=245  10$aColour in Swedish painting
=264  \1$aStockholm$bBokförlaget$c2018
=650  \7$aMålarkonts$2sao
=650  \7$aKonstihstoria$2sao
=950  \\$aHylla 3, lokal anmärkning

=LDR  00000nx\\a2200000un\4500
=001  ord0001-h
=004  ord0001
=852  \\$bLi$hMålning$zGammal anm.

=LDR  00000nam\a2200000\i\4500
=001  eplk0001
=008  200101s2020\\\\sw\|||||o|||||||000\||swe
=020  \\$a978-91-27-15637-1
=040  \\$aMimerProd
=042  \\$9EPLK
=245  10$aColour and light$h[Elektronisk resurs]
=264  \1$aStockholm$bMyndigheten$c2020
=506  \\$arestricted
=650  \7$aMålarkonts$2sao
=856  40$uhttps://myndigheten.se/
=950  \\$aInläst 2020

=LDR  00000nam\a2200000\i\4500
=001  sup0001
=008  190101s2019\\\\sw\|||||\|||||||000\||eng
=040  \\$aLi$erda
=245  10$aThe watercolour handbook
=599  \\$aSUPPRESSRECORD

=LDR  00000nai\a2200000\i\4500
=001  chan0001
=040  \\$aS
=042  \\$9EPLK
=245  10$aStatens medieråd, löpande$h[channel record]
=599  \\$aSUPPRESSRECORD
=950  \\$aKanal
"""

#: the examples, by the name the page runs them as (tasks/NAME.toml), each known by a line of its own
EXAMPLES = {
    "colour": 'replacement = "Color"',
    "subjects": 'name = "Målarkonts -> Målarkonst"',
    "rda": 'name = "336 text"',
    "eplikt": 'action = "uri-move"',
    "local": 'name = "9XX out"',
    "tidy": 'new-tag = "590"',
    "isbn": 'name = "ISBN without hyphens"',
}

#: the files behind the page's "Other messages"
BAD = {
    "bad-group.toml": '[[operation]]\naction = "replace-subfield"\ntag = "650"\npattern = "(Målar)konts"\nreplacement = \'\\2konst\'\n',
    "bad-state.toml": '[[operation]]\naction = "delete-field"\ntag = "9XX"\n[operation.when]\nstate = "not-eplik"\n',
    "bad-code.toml": '[[operation]]\naction = "add-subfield"\ntag = "040"\nnew-code = "E"\nnew-value = "rda"\n',
    "bad-toml.toml": '[[operation]\naction = "uri-move"\n',
    "no-code.toml": '[[operation]]\naction = "delete-subfield"\ntag = "650"\n',
}


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(_doc()) if kind == lang]


def _example(name: str) -> str:
    found = [b for b in _blocks("toml") if EXAMPLES[name] in b]
    assert len(found) == 1, f"the page has {len(found)} toml blocks with {EXAMPLES[name]!r}"
    return found[0]


def _section(title: str) -> str:
    text = _doc()
    at = text.index(title)
    end = text.find("\n## ", at + len(title))
    return text[at : end if end > 0 else len(text)]


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A folder as the page's commands run in: sample.mrk, tasks/NAME.toml, the malformed files."""
    (tmp_path / "tasks").mkdir()
    (tmp_path / "sample.mrk").write_text(SAMPLE, encoding="utf-8")
    for name in EXAMPLES:
        (tmp_path / "tasks" / f"{name}.toml").write_text(_example(name), encoding="utf-8")
    bad = [b for b in _blocks("text") if b.startswith("[[operation]]") and "replacment" in b]
    assert len(bad) == 1
    (tmp_path / "fix-titles.toml").write_text(bad[0], encoding="utf-8")
    for name, text in BAD.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _batch(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = main(["batch", *args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _batch_in_order(monkeypatch, *args: str) -> tuple[int, str]:
    """The command's stdout and stderr in one, in the order it wrote them (as a terminal shows them)."""
    both = io.StringIO()
    with monkeypatch.context() as m:
        m.setattr(sys, "stdout", both)
        m.setattr(sys, "stderr", both)
        rc = main(["batch", *args])
    return rc, both.getvalue()


def _records(path: Path) -> dict[str, list[str]]:
    """Each record's MARC lines but its leader (whose lengths ISO 2709 fills in), by 001."""
    return {
        e.control_number: [ln for ln in record_lines(e.marc) if not ln.startswith("000 ")]
        for e in open_source(path)
        if e.control_number
    }


def _differ(before: dict, after: dict) -> set[str]:
    return {cn for cn in before if before[cn] != after.get(cn)}


# -- the page against the code ------------------------------------------------------------------------


def test_every_toml_block_is_a_task_list():
    blocks = _blocks("toml")
    assert len(blocks) >= 9
    for k, text in enumerate(blocks, 1):
        tasks = parse_tasks(text, f"docs/tasks.md toml block {k}")  # a TaskFileError names the block
        assert tasks.operations
    for name in EXAMPLES:
        _example(name)
    issue = _example("colour")  # the form of issue 19, word for word
    assert 'action = "replace-subfield"' in issue and 'tag = "245"' in issue and 'code = "a"' in issue
    assert 'pattern = "Colour"' in issue


def test_every_action_key_and_condition_is_described():
    doc = _doc()
    rows = {ln.split("|")[1].strip(): ln for ln in doc.splitlines() if re.match(r"\| `[a-z-]+` \|", ln)}
    for action in ACTIONS:
        assert f"### `{action}`" in doc, f"no section for {action}"
        row = rows.get(f"`{action}`")
        assert row is not None, f"{action} is not in the table of actions"
        for key in T._KEYS[action]:
            assert f"`{key}`" in row, f"{action}: key {key} is not in its row"
        for key in T._REQUIRED.get(action, ()):
            assert f"**`{key}`**" in row, f"{action}: required key {key} is not marked required"
    selecting = _section("### Selecting fields")
    for key in T._SELECT_KEYS:
        assert f"`{key}`" in selecting, f"selection key {key}"
    conditions = _section("## Conditions")
    for key in T._WHEN_KEYS:
        assert f"| `{key}` |" in conditions, f"condition {key}"
    for key in T._SUBFIELD_KEYS:
        assert f"`{key}`" in conditions, f"subfield condition key {key}"
    for state in STATES:
        assert f'`"{state}"`' in conditions, f"state {state}"
    for kind in KINDS:
        assert f'`"{kind}"`' in conditions, f"kind {kind}"
    top = _section("## The file")
    assert "| `sigel` |" in top and "| `description` |" in top


def test_the_sample_file_is_the_pages():
    assert _blocks("text")[-1] == SAMPLE


def test_every_command_shown_prints_what_the_page_shows(folder, monkeypatch):
    commands = 0
    for block in _blocks("console"):
        steps = re.split(r"^\$ ", block, flags=re.M)
        assert steps[0] == "", "a console block starts with a command"
        rc = None
        for step in steps[1:]:
            command, _, shown = step.partition("\n")
            if command == "echo $?":
                assert shown == f"{rc}\n", f"status of the command before: {rc}, the page says {shown!r}"
                continue
            args = shlex.split(command)
            assert args[:2] == ["libris-tui", "batch"], command
            rc, both = _batch_in_order(monkeypatch, *args[2:])
            assert both == shown, f"$ {command}"
            commands += 1
    assert commands >= 9


def test_the_other_messages_are_real(folder, capsys):
    block = next(b for b in _blocks("text") if "bad-group.toml" in b)
    lines = block.splitlines()
    assert len(lines) == len(BAD)
    for line in lines:
        name = re.match(r"libris-tui: ([\w-]+\.toml):", line).group(1)
        rc, out, err = _batch(capsys, name, "sample.mrk", "--dry-run")
        assert rc == 2 and out == "" and err == line + "\n"


# -- the examples do what the page says ------------------------------------------------------------


def test_colour_to_color_in_245a(folder, capsys):
    rc, out, _ = _batch(capsys, "tasks/colour.toml", "sample.mrk", "-o", "out.mrk")
    assert rc == 0 and out == "wrote 5 records to out.mrk\n"
    before, after = _records(folder / "sample.mrk"), _records(folder / "out.mrk")
    assert "245 1/0 #a Color in Swedish painting" in after["ord0001"]
    assert "245 1/0 #a Color and light #h [Elektronisk resurs]" in after["eplk0001"]
    assert "245 1/0 #a The watercolour handbook" in after["sup0001"]  # case-sensitive: not this one
    assert _differ(before, after) == {"ord0001", "eplk0001"}
    for cn in ("ord0001", "eplk0001"):  # only the 245 changed
        assert [ln for ln in before[cn] if not ln.startswith("245")] == [
            ln for ln in after[cn] if not ln.startswith("245")
        ]


def test_subject_typos_with_numbered_and_named_groups(folder, capsys):
    rc, _, _ = _batch(capsys, "tasks/subjects.toml", "sample.mrk", "-o", "out.mrc")
    after = _records(folder / "out.mrc")
    assert rc == 0
    assert [ln for ln in after["ord0001"] if ln.startswith("650")] == [
        "650 -/7 #a Målarkonst #2 sao",
        "650 -/7 #a Konsthistoria #2 sao",
    ]
    assert "650 -/7 #a Målarkonst #2 sao" in after["eplk0001"]
    assert _differ(_records(folder / "sample.mrk"), after) == {"ord0001", "eplk0001"}


def test_rda_where_missing_and_only_once(folder, capsys):
    rc, _, err = _batch(capsys, "tasks/rda.toml", "sample.mrk", "-o", "out.mrc")
    assert rc == 0 and "refused" not in err  # not-channel: the channel record is left out, not refused
    after = _records(folder / "out.mrc")
    assert "040 -/- #a Li #e rda" in after["ord0001"] and "040 -/- #a MimerProd #e rda" in after["eplk0001"]
    assert "040 -/- #a Li #e rda" in after["sup0001"]  # it had its $e already
    for cn in ("ord0001", "eplk0001", "sup0001"):
        assert after[cn].count("336 -/- #a text #b txt #2 rdacontent") == 1
    assert after["chan0001"] == _records(folder / "sample.mrk")["chan0001"]
    rc, _, err = _batch(capsys, "tasks/rda.toml", "out.mrc", "-o", "again.mrc")
    assert rc == 0 and "in all: changed 0 records" in err
    assert (folder / "again.mrc").read_bytes() == (folder / "out.mrc").read_bytes()


def test_eplikt_uri_move_holding_and_sup_clear(folder, capsys):
    rc, out, _ = _batch(capsys, "tasks/eplikt.toml", "sample.mrk", "-o", "out.mrc")
    assert rc == 0 and out == "wrote 6 records to out.mrc\n"
    entries = list(open_source(folder / "out.mrc"))
    after = {e.control_number: record_lines(e.marc) for e in entries if e.control_number}
    assert "856 4/2 #u https://myndigheten.se/" in after["eplk0001"]
    assert not any(ln.startswith("856 4/0") for ln in after["eplk0001"])
    held = [e for e in entries if e.kind == "holdings" and e.linked_bib == "eplk0001"]
    assert len(held) == 1 and "852 -/- #b Li" in record_lines(held[0].marc)
    assert not any("SUPPRESSRECORD" in ln for ln in after["sup0001"])
    assert any("SUPPRESSRECORD" in ln for ln in after["chan0001"])  # not-channel: left as it was
    rc, _, err = _batch(capsys, "tasks/eplikt.toml", "out.mrc", "-o", "again.mrc")
    assert rc == 0 and "holding added" not in err  # HOLD-ADD: one holding per sigel and title
    assert (folder / "again.mrc").read_bytes() == (folder / "out.mrc").read_bytes()


def test_local_fields_out_only_where_not_eplikt(folder, capsys):
    rc, _, _ = _batch(capsys, "tasks/local.toml", "sample.mrk", "-o", "out.mrc")
    after = _records(folder / "out.mrc")
    assert rc == 0
    assert not any(ln.startswith("9") for ln in after["ord0001"])
    assert "950 -/- #a Inläst 2020" in after["eplk0001"] and "950 -/- #a Kanal" in after["chan0001"]
    assert _differ(_records(folder / "sample.mrk"), after) == {"ord0001"}


def test_tidy_indicator_renumbered_note_and_holdings(folder, capsys):
    rc, _, _ = _batch(capsys, "tasks/tidy.toml", "sample.mrk", "-o", "out.mrc")
    after = _records(folder / "out.mrc")
    assert rc == 0
    assert "245 1/4 #a The watercolour handbook" in after["sup0001"]
    assert "264 -/1 #a Stockholm #c 2018" in after["ord0001"]
    assert after["ord0001"].index("590 -/- #a Hylla 3, lokal anmärkning") == 9  # where the 950 was
    assert "852 -/- #b Li #h Målning" in after["ord0001-h"]
    assert "264 -/1 #a Stockholm #b Myndigheten #c 2020" in after["eplk0001"]  # not 040 $a Li
    assert _differ(_records(folder / "sample.mrk"), after) == {"ord0001", "ord0001-h", "sup0001"}


def test_refusals_are_counted_by_rule(folder, capsys):
    rc, _, err = _batch(capsys, "tasks/isbn.toml", "sample.mrk", "-o", "out.mrc")
    assert rc == 1
    assert "refused 2 by rule: CHN-READONLY 1, EPL-PROTECT 1" in err
    after = _records(folder / "out.mrc")
    assert "020 -/- #a 9789100000004" in after["ord0001"]
    assert "020 -/- #a 978-91-27-15637-1" in after["eplk0001"]  # EPL-PROTECT
    assert not any(ln.startswith("950") for ln in after["eplk0001"])  # local fields are not protected
    assert after["chan0001"] == _records(folder / "sample.mrk")["chan0001"]  # CHN-READONLY
