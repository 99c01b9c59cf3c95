"""Task lists (``libris-tui batch``): each action and condition, refusals counted by rule id,
idempotent operations, a malformed task file named by file and line, a dry run that writes
nothing, and the fast path (records no operation can touch copied as bytes, on any number of
shards) giving exactly what parsing every record gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.cli import main
from tui.core.batch import engine, taskrun
from tui.core.batch.taskrun import Options, run_tasks
from tui.core.batch.tasks import TaskFileError, parse_tasks
from tui.core.formats import iso2709, open_source
from tui.core.formats.notation import record_lines
from tui.core.model.record import Field, Leader, Record, Subfield
from tui.core.rules.profile import LIMITED

RULES = Path(__file__).parents[1] / "data" / "rules" / "records.txt"


@pytest.fixture
def mrc(tmp_path) -> Path:
    """The rules' test records as ISO 2709 (e-plikt, ordinary, APIS-held, DIGI, channel, article)."""
    p = tmp_path / "records.mrc"
    with open(p, "wb") as fh:
        iso2709.write([e.marc for e in open_source(RULES)], fh)
    return p


def _run(tmp_path, toml: str, src: Path, **kw):
    tasks = parse_tasks(toml, "t.toml")
    out = tmp_path / "out.mrc"
    report = run_tasks(tasks, [str(src)], str(out), opts=Options(**kw), engine=kw.pop("engine", None))
    return report, {e.control_number: record_lines(e.marc) for e in open_source(out) if e.control_number}, out


def _lines(recs, cn):
    return recs[cn]


# -- the example of the issue, and each action -------------------------------------------------------


def test_the_example_form_replaces_a_subfield_with_groups(tmp_path, mrc):
    toml = """
[[operation]]
action = "replace-subfield"   # also add-field, delete-field, add-subfield, delete-subfield, ...
tag = "245"
code = "a"
pattern = "(Vanlig) bok"            # a Python regex; groups usable in replacement as \\1
replacement = "\\\\1 roman"
"""
    report, recs, _ = _run(tmp_path, toml, mrc)
    assert "245 1/0 #a Vanlig roman" in recs["ord0001"]
    assert report.changed == 1 and report.operations[0].changed == 1 and not report.refused


def test_add_field_when_eplikt_and_idempotent(tmp_path, mrc):
    toml = """
[[operation]]
action = "add-field"
tag = "500"
ind1 = " "
subfields = [["a", "Granskad"]]
[operation.when]
state = ["eplikt", "not-suppressed"]
"""
    report, recs, out = _run(tmp_path, toml, mrc)
    assert "500 -/- #a Granskad" in recs["eplk0001"] and "500 -/- #a Granskad" in recs["apis0001"]
    assert not any(ln.startswith("500") for ln in recs["ord0001"] + recs["art0001"] + recs["digi0001"])
    assert not report.refused  # the channel record is suppressed: the condition leaves it out
    again = run_tasks(parse_tasks(toml), [str(out)], str(tmp_path / "again.mrc"))
    assert again.changed == 0 and (tmp_path / "again.mrc").read_bytes() == out.read_bytes()


def test_delete_field_by_value_and_indicator(tmp_path, mrc):
    toml = """
[[operation]]
action = "delete-field"
tag = "856"
ind2 = "0"
pattern = "^http://"
"""
    report, recs, _ = _run(tmp_path, toml, mrc)
    assert not any(ln.startswith("856") for ln in recs["ord0001"])
    assert report.operations[0].changed == 1
    assert report.refused == {"CHN-READONLY": 1}  # the channel record's 856 4/0 with http://


def test_replace_field_keeps_its_place(tmp_path, mrc):
    toml = """
[[operation]]
action = "replace-field"
tag = "264"
new-ind2 = "4"
subfields = [["c", "2019"]]
[operation.when]
subfield = { tag = "001", value = "ord0001" }
"""
    report, recs, _ = _run(tmp_path, toml, mrc)
    lines = recs["ord0001"]
    assert lines.index("264 -/4 #c 2019") == 6 and report.changed == 1


def test_add_and_delete_subfield(tmp_path, mrc):
    toml = """
[[operation]]
action = "add-subfield"
tag = "650"
new-code = "x"
new-value = "historia"

[[operation]]
action = "delete-subfield"
tag = "245"
code = "b"
value = "en fallstudie"
"""
    report, recs, _ = _run(tmp_path, toml, mrc)
    assert "650 -/7 #a Pliktleverans #2 sao #x historia" in recs["eplk0001"]
    assert "245 1/0 #a Rapport om e-plikt #h [Elektronisk resurs]" in recs["eplk0001"]
    assert [c.changed for c in report.operations] == [1, 1]


def test_set_indicator(tmp_path, mrc):
    # a value MARC 21 defines (100 second indicator is undefined: 0 there is a MARC-INDICATOR error)
    report, recs, _ = _run(
        tmp_path, '[[operation]]\naction = "set-indicator"\ntag = "100"\nposition = 1\nnew-value = "0"\n', mrc
    )
    assert "100 0/- #a Berg, Bo" in recs["ord0001"] and report.changed == 2


def test_uri_move_hold_add_sup_clear(tmp_path, mrc):
    toml = """
sigel = "Li"
[[operation]]
action = "uri-move"
[[operation]]
action = "hold-add"
[operation.when]
state = "eplikt"
[[operation]]
action = "sup-clear"
"""
    report, recs, out = _run(tmp_path, toml, mrc)
    assert "856 4/2 #u https://myndigheten.se/" in recs["eplk0001"]
    assert not any("SUPPRESSRECORD" in ln for ln in recs["art0001"])
    held = [e for e in open_source(out) if e.kind == "holdings" and e.linked_bib == "eplk0001"]
    assert len(held) == 1 and any("852 -/- #b Li" in ln for ln in record_lines(held[0].marc))
    assert report.holdings_added == 3  # eplk0001, apis0001, art0001
    assert report.refused["CHN-READONLY"] >= 1  # the channel record: hold-add and sup-clear refused
    again = run_tasks(parse_tasks(toml), [str(out)], str(tmp_path / "again.mrc"))
    assert again.holdings_added == 0 and again.changed == 0  # HOLD-ADD: one holding per sigel and title


def test_hold_add_embedded(tmp_path, mrc):
    report, recs, _ = _run(
        tmp_path,
        '[[operation]]\naction = "hold-add"\nsigel = "Li"\n[operation.when]\nsubfield = {tag="001", value="ord0001"}\n',
        mrc,
        holdings="embedded",
    )
    assert "852 -/- #b Li #5 Li" in recs["ord0001"] or any("#5 Li" in ln for ln in recs["ord0001"])


# -- refusals by rule --------------------------------------------------------------------------------


def test_refusals_are_counted_by_rule(tmp_path, mrc):
    toml = """
[[operation]]
name = "drop ISBNs"
action = "delete-field"
tag = "020"

[[operation]]
action = "delete-field"
tag = "042"

[[operation]]
action = "replace-subfield"
tag = "*"
pattern = "statensmedierad"
replacement = "smr"
"""
    report, recs, _ = _run(tmp_path, toml, mrc)
    first, second, third = report.operations
    assert first.refused == {"EPL-PROTECT": 2} and first.changed == 1  # the ordinary record loses its 020
    assert second.refused["EPL-DETECT"] == 2 and second.refused["CHN-READONLY"] == 1
    assert third.refused == {"CHN-READONLY": 2} and third.changed == 0
    assert report.refused["EPL-PROTECT"] == 2
    assert any(ln.startswith("020") for ln in recs["eplk0001"])


def test_limited_participation_refuses_edits_but_adds_holdings(tmp_path, mrc):
    toml = '[[operation]]\naction = "add-field"\ntag = "500"\nsubfields = "$a x"\n[[operation]]\naction = "hold-add"\nsigel = "Li"\n'
    report, _, _ = _run(tmp_path, toml, mrc, profile=LIMITED, sigel="Li")
    assert report.operations[0].refused["PROFILE-LIMITED"] == 5 and report.operations[0].changed == 0
    assert report.operations[1].changed == 5


# -- the task file -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, line, words",
    [
        (
            '[[operation]]\naction = "replace-subfield"\ntag = "245"\npattern = "("\nreplacement = "x"\n',
            4,
            "not a valid regular expression",
        ),
        ('[[operation]]\naction = "delete-feild"\ntag = "245"\n', 2, "did you mean 'delete-field'"),
        (
            '[[operation]]\naction = "add-field"\ntag = "500"\nsubfields = [["a", "x"]]\n\n[[operation]]\naction = "replace-subfield"\ntag = "245"\npattern = "a"\nreplacment = "b"\n',
            10,
            "did you mean 'replacement'",
        ),
        ('[[operation]]\naction = "delete-field"\n', 1, "needs 'tag'"),
        ('[[operation]]\naction = "delete-field"\ntag = "24"\n', 3, "is not a tag"),
        ('[[operation]]\naction = "sup-clear"\n[operation.when]\nstate = "eplik"\n', 4, "did you mean 'eplikt'"),
        (
            '[[operation]]\naction = "replace-subfield"\ntag = "245"\npattern = "(a)"\nreplacement = "\\\\2"\n',
            5,
            "invalid group reference 2",
        ),
        ('[[operation]]\naction = "add-field"\ntag = "001"\nsubfields = [["a", "x"]]\n', 3, "control field"),
        ('[[operation]\naction = "sup-clear"\n', 1, "not valid TOML"),
        ('action = "sup-clear"\n', 1, "unknown top-level key 'action'"),
        ("", None, "no operations"),
    ],
)
def test_a_malformed_task_file_says_where_and_what(text, line, words):
    with pytest.raises(TaskFileError) as exc:
        parse_tasks(text, "tasks.toml")
    assert exc.value.line == line, str(exc.value)
    assert words in str(exc.value)
    assert str(exc.value).startswith(f"tasks.toml:{line}: " if line else "tasks.toml: ")


def test_the_cli_names_the_file_and_line_and_exits_2(tmp_path, mrc, capsys):
    t = tmp_path / "t.toml"
    t.write_text('[[operation]]\naction = "delete-field"\ntag = "2x"\n')
    assert main(["batch", str(t), str(mrc), "-o", str(tmp_path / "o.mrc")]) == 2
    err = capsys.readouterr().err
    assert f"{t}:3: operation 1: 'tag'" in err and "Traceback" not in err
    assert not (tmp_path / "o.mrc").exists()


def test_dry_run_shows_the_change_and_writes_nothing(tmp_path, mrc, capsys):
    t = tmp_path / "t.toml"
    t.write_text('[[operation]]\naction = "uri-move"\n')
    before = set(tmp_path.iterdir())
    assert main(["batch", str(t), str(mrc), "--dry-run"]) == 0
    cap = capsys.readouterr()
    assert "- 856 4/0 #u https://myndigheten.se/" in cap.out and "+ 856 4/2 #u https://myndigheten.se/" in cap.out
    assert "(Move restricted URIs 856[1] to 856 second indicator 2 (URI-MOVE))" in cap.out
    assert "1 uri-move: would change 1 record" in cap.err
    assert set(tmp_path.iterdir()) == before


def test_the_cli_writes_and_never_overwrites_its_input(tmp_path, mrc, capsys):
    t = tmp_path / "t.toml"
    t.write_text('[[operation]]\naction = "uri-move"\n')
    assert main(["batch", str(t), str(mrc), "-o", str(mrc)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert main(["batch", str(t), str(mrc), "-o", str(tmp_path / "o.xml")]) == 0
    assert "wrote 7 records" in capsys.readouterr().out
    assert len(list(open_source(tmp_path / "o.xml"))) == 7


# -- the fast path is the slow path ------------------------------------------------------------------

OPS = [
    '[[operation]]\naction = "replace-subfield"\ntag = "245"\ncode = "a"\npattern = "Titel (\\\\d)"\nreplacement = "Title \\\\1"\n',
    '[[operation]]\naction = "replace-subfield"\ntag = "6XX"\npattern = "(?i)klimat"\nreplacement = "Klimat"\n',
    '[[operation]]\naction = "uri-move"\n',
    '[[operation]]\naction = "sup-clear"\n',
    '[[operation]]\naction = "delete-field"\ntag = "856"\npattern = "^http://"\n',
    '[[operation]]\naction = "add-field"\ntag = "500"\nsubfields = "$a Granskad"\n[operation.when]\nsubfield = { tag = "042", code = "9", value = "DIGI" }\n',
    '[[operation]]\naction = "delete-subfield"\ntag = "650"\ncode = "a"\nvalue = "miljö"\n',
    '[[operation]]\naction = "hold-add"\nsigel = "Li"\n[operation.when]\nstate = "suppressed"\n',
    '[[operation]]\naction = "add-subfield"\ntag = "245"\nnew-code = "c"\nnew-value = "x"\n[operation.when]\nhas = "599"\n',
]


def _record(i: int, kind: int) -> bytes:
    r = Record()
    r.leader = Leader("00000nam a2200000 i 4500" if kind != 7 else "00000nam  2200000 i 4500")
    fields = [Field(tag="001", data=f"r{i}")]
    if kind in (1, 2, 3):
        fields.append(
            Field(tag="042", indicators=[" ", " "], subfields=[Subfield("9", "EPLK" if kind != 3 else "DIGI")])
        )
    h = "[channel record]" if kind == 4 else "[Elektronisk resurs]"
    fields.append(
        Field(tag="245", indicators=["1", "0"], subfields=[Subfield("a", f"Titel {i % 10}"), Subfield("h", h)])
    )
    fields.append(
        Field(tag="506", indicators=[" ", " "], subfields=[Subfield("a", "restricted" if kind in (1, 4) else "gratis")])
    )
    if kind in (2, 5):
        fields.append(Field(tag="599", indicators=[" ", " "], subfields=[Subfield("a", "SUPPRESSRECORD")]))
    fields.append(
        Field(tag="650", indicators=[" ", "7"], subfields=[Subfield("a", ["miljö", "KLIMAT", "språk"][i % 3])])
    )
    fields.append(
        Field(
            tag="856",
            indicators=["4", "0"],
            subfields=[Subfield("u", ("http://" if i % 4 else "https://") + f"x.se/{i}")],
        )
    )
    r.fields = fields
    return iso2709.record_bytes(r)


@st.composite
def batch_files(draw):
    n = draw(st.integers(1, 40))
    kinds = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    data = [_record(i, k) for i, k in enumerate(kinds)]
    if draw(st.booleans()):  # an unreadable one among them
        at = draw(st.integers(0, n - 1))
        data[at] = b"%05d" % (len(data[at]) + 3) + data[at][5:]
    return b"".join(data)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(batch_files(), st.lists(st.sampled_from(OPS), min_size=1, max_size=5), st.integers(1, 4), st.integers(1, 3000))
def test_copying_untouched_records_as_bytes_changes_nothing(tmp_path, monkeypatch, data, ops, workers, smallest):
    p = tmp_path / "in.mrc"
    p.write_bytes(data)
    tasks = parse_tasks("\n".join(ops))
    monkeypatch.setattr(taskrun, "SHARD_MIN_BYTES", smallest)
    split = engine.InlineEngine()
    split.workers = workers  # planned in shards, done here one after the other
    fast = run_tasks(tasks, [str(p)], str(tmp_path / "fast.mrc"), engine=split, overwrite=True)
    with monkeypatch.context() as m:
        m.setattr(taskrun._Needles, "candidates", lambda self, window, slots: None)  # parse every record
        slow = run_tasks(tasks, [str(p)], str(tmp_path / "slow.mrc"), engine=engine.InlineEngine(), overwrite=True)
    assert (tmp_path / "fast.mrc").read_bytes() == (tmp_path / "slow.mrc").read_bytes()
    assert (fast.changed, fast.refused, fast.records, fast.broken, fast.holdings_added) == (
        slow.changed,
        slow.refused,
        slow.records,
        slow.broken,
        slow.holdings_added,
    )
    assert [(c.changed, c.refused) for c in fast.operations] == [(c.changed, c.refused) for c in slow.operations]
    assert fast.parsed <= slow.parsed


def test_local_processes_write_what_this_process_writes(tmp_path, monkeypatch):
    if not engine.can_fork():
        pytest.skip("cannot fork here")
    p = tmp_path / "in.mrc"
    p.write_bytes(b"".join(_record(i, i % 8) for i in range(2000)))
    tasks = parse_tasks("\n".join(OPS))
    monkeypatch.setattr(taskrun, "SHARD_MIN_BYTES", 10_000)
    one = run_tasks(tasks, [str(p)], str(tmp_path / "one.mrc"), engine=engine.InlineEngine())
    two = run_tasks(tasks, [str(p)], str(tmp_path / "two.mrc"), engine=engine.LocalEngine(2))
    assert (tmp_path / "one.mrc").read_bytes() == (tmp_path / "two.mrc").read_bytes()
    assert one.refused == two.refused and one.changed == two.changed > 0


def test_other_formats_run_record_by_record(tmp_path, mrc):
    xml = tmp_path / "in.xml"
    buf = io.BytesIO()
    from tui.core.formats import marcxml

    marcxml.write([e.marc for e in open_source(mrc)], buf)
    xml.write_bytes(buf.getvalue())
    tasks = parse_tasks('[[operation]]\naction = "uri-move"\n')
    report = run_tasks(tasks, [str(xml)], str(tmp_path / "out.mrc"))
    assert report.changed == 1
    recs = {e.control_number: record_lines(e.marc) for e in open_source(tmp_path / "out.mrc")}
    assert "856 4/2 #u https://myndigheten.se/" in recs["eplk0001"]
