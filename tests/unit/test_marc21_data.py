"""tui/data/marc21.json is what tools/make_marc21.py makes from the shared MARC 21 references,
and holds what the content checks need."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "reference" / "marc21"
DATA = ROOT / "tui" / "data" / "marc21.json"


def _tool():
    spec = importlib.util.spec_from_file_location("make_marc21", ROOT / "tools" / "make_marc21.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/reference/marc21 is not beside the checkout")
def test_the_shipped_file_is_what_the_script_makes():
    tool = _tool()
    assert DATA.read_text("utf-8") == tool.dumps(tool.build(ROOT.parent / "shared")), (
        "tui/data/marc21.json is stale: run `python tools/make_marc21.py`"
    )


def test_the_definitions_carry_names_repeatability_and_obsolete_marks():
    d = json.loads(DATA.read_text("utf-8"))
    bib, hold, auth = d["bib"], d["hold"], d["auth"]
    assert bib["245"]["repeatable"] is False and bib["245"]["sv"] == "Titel och upphov"
    assert bib["245"]["subfields"]["a"]["repeatable"] is False
    assert bib["650"]["repeatable"] is True
    assert bib["440"].get("obsolete") is True  # 440 series statement, obsolete since 2008
    assert bib["100"]["ind"][0]["2"].get("obsolete") is True
    assert set(bib["100"]["ind"][1]) == {" "}
    # 856 $g redefined: the current definition wins, not obsolete
    assert bib["856"]["subfields"]["g"]["en"] == "Persistent identifier"
    assert not bib["856"]["subfields"]["g"].get("obsolete")
    assert bib["856"]["subfields"]["b"].get("obsolete") is True
    # Libris's own fields, named as such
    for fmt, tags in (
        (bib, "049 099 249 599 690 976"),
        (auth, "073 094 162 640 690 886 887"),
        (hold, "004 007 008 948 949 951"),
    ):
        for t in tags.split():
            assert t in fmt, t
    assert bib["976"].get("libris") is True and "SAB" in bib["976"]["sv"]
    assert hold["949"].get("libris") is True
    # embedded holdings in a bibliographic record are defined as in the holdings format
    assert bib["852"]["subfields"]["a"]["repeatable"] is False
    assert bib["880"]["ind"] == [None, None]
    assert "6" in auth["100"]["subfields"]


def test_the_licence_notices_stand_beside_the_data():
    text = (ROOT / "tui" / "data" / "marc21.LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Timothy A. Thompson" in text and "marcmap.json" in text
    assert "tui/data/marc21.json" in (ROOT / "THIRD_PARTY_NOTICES").read_text("utf-8")
