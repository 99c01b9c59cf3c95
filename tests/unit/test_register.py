"""The register: yanked fields as lines, shared with other sessions through the state directory."""

import os

from pymarc import Field, Subfield

from tui.core.editing.register import Register


def test_a_yank_in_one_session_is_put_in_another(tmp_path):
    path = tmp_path / "register.json"
    a, b = Register(path), Register(path)
    f = Field("856", ["4", "0"], [Subfield("u", "http://example.org/$x"), Subfield("z", "Fulltext")])
    a.yank([f], "a.mrc, record 1")
    y = b.current()
    assert y.lines == ["=856  40$uhttp://example.org/{dollar}x$zFulltext"]
    assert y.origin == "a.mrc, record 1"
    # the later yank wins, whichever session made it
    b.yank_lines(["=500  \\\\$aB"], "b.mrc, record 2")
    assert a.current().lines == ["=500  \\\\$aB"]


def test_without_the_file_the_register_still_works(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    r = Register(blocker / "register.json")
    r.yank_lines(["=650  \\7$aKatter$2sao"], "x")
    assert r.problem and r.current().lines == ["=650  \\7$aKatter$2sao"]
    assert not Register(None)
    # a broken file is ignored with its name
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    r = Register(bad)
    assert not r and str(bad) in (r.problem or "")
    assert os.path.exists(bad)
