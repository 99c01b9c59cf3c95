"""FirstSeen: the validator's "first record with this key" tables in flat arrays."""

from hypothesis import given
from hypothesis import strategies as st

from tui.core.files.export import export
from tui.core.files.keytable import FirstSeen
from tui.core.formats import open_source
from tui.core.validation.validate import validate


@given(st.lists(st.tuples(st.text(max_size=6), st.integers(1, 10**6)), max_size=3000))
def test_first_seen_answers_as_a_dict(pairs):
    t, d = FirstSeen(), {}
    for key, number in pairs:
        assert t.get(key) == d.get(key) and (key in t) == (key in d)
        if key not in d:
            t[key] = number
            d[key] = number
    assert len(t) == len(d)
    assert all(t.get(k) == v for k, v in d.items())


def test_pairs_give_the_control_number_of_the_first_record():
    t = FirstSeen(lambda n: f"cn{n}", pairs=True)
    t[("isbn", "9789127156371")] = (7, "ignored")
    assert t.get(("isbn", "9789127156371")) == (7, "cn7") and t.get(("isbn", "x")) is None


def test_export_findings_are_the_validators(tmp_path, samples):
    data = (samples / "mixed.mrc").read_bytes()
    path = tmp_path / "twice.mrc"
    path.write_bytes(data + data)  # every 001 and every duplicate key twice
    res = export(open_source(path), tmp_path / "o.mrc", "iso2709", broken="drop")
    mine = [f for f in res.findings if f.rule != "STRUCT-UNREADABLE"]
    theirs = [f for f in validate(list(open_source(path))) if f.rule != "STRUCT-UNREADABLE"]
    # validate() of records in memory links each copy of a bib with every holding naming its 001
    # (so "2 holdings for sigel APIS"); the export gives each holding to one bib
    doubled = [f for f in theirs if f.rule == "HOLD-ADD" and "2 holdings for sigel" in f.message]
    assert len(doubled) == 4 and not [f for f in mine if f.rule == "HOLD-ADD"]
    assert [f.describe() for f in mine] == [f.describe() for f in theirs if f not in doubled]
    assert any(f.rule == "DUP-REPORT" and "[" in f.message for f in mine)
