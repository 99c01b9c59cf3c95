"""The shipped mapping data (tui/data/label-mapping.json and its label tables): built from the
reference, complete for the tags the label view must cover, well formed, and really what drives
the view."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core.formats import open_source
from tui.core.views import labels as labels_mod

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tui" / "data"


@pytest.fixture(scope="module")
def mapping() -> dict:
    return json.loads((DATA / "label-mapping.json").read_text("utf-8"))


def targets(variant: dict):
    if variant.get("field"):
        yield "(field)", variant["field"]
    for k in ("ind1", "ind2"):
        if variant.get(k):
            yield k, variant[k]
    for c, t in variant.get("subfields", {}).items():
        yield "$" + c, t
    for p in variant.get("positions", []) or []:
        yield f"[{p['start']}:{p['end']}]", p


def test_shipped_files_are_what_the_build_makes(reference, tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_mapping.py"), "--reference", str(reference), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_build_writes_loadable_files(reference, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_mapping.py"),
            "--reference",
            str(reference),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    for name in ("label-mapping.json", "kbv-labels.json", "term-labels.json"):
        assert json.loads((tmp_path / name).read_text("utf-8"))


REQUIRED = (
    [
        "001",
        "003",
        "005",
        "008",
        "020",
        "022",
        "024",
        "035",
        "040",
        "041",
        "042",
        "084",
        "100",
        "110",
        "245",
        "246",
        "250",
        "264",
        "300",
        "336",
        "337",
        "338",
        "490",
        "500",
        "502",
        "506",
        "520",
        "540",
        "599",
        "650",
        "655",
        "700",
        "710",
    ]
    + [
        str(t)
        for t in range(760, 788)
        if str(t)
        in ("760", "762", "765", "767", "770", "772", "773", "774", "775", "776", "777", "780", "785", "786", "787")
    ]
    + ["852", "856"]
)


@pytest.mark.parametrize("tag", REQUIRED)
def test_required_tags_are_mapped_with_labels(mapping, tag):
    # 852 is a holdings field: Libris's bib mapping ignores it, the holdings mapping has it
    tm = mapping["formats"]["hold" if tag == "852" else "bib"][tag]
    usable = [v for v in tm["variants"] if not v.get("revertOnly")]
    assert usable
    labelled = [t for v in usable for _, t in targets(v) if t.get("labels") and t["labels"]["sv"]]
    assert labelled, tag


def test_leader_and_008_positions(mapping):
    pos = {(p["start"], p["end"]): p for p in mapping["formats"]["bib"]["000"]["variants"][0]["positions"]}
    assert pos[(6, 7)]["path"] == "Work.@type" and pos[(6, 7)]["tokenMap"] == "TypeOfRecordType"
    assert pos[(7, 8)]["path"] == "Instance.issuanceType"
    p008 = {(p["start"], p["end"]): p for p in mapping["formats"]["bib"]["008"]["variants"][0]["positions"]}
    assert p008[(35, 38)]["uriTemplate"] == "https://id.kb.se/language/{_}"
    assert p008[(15, 18)]["uriTemplate"] == "https://id.kb.se/country/{_}"
    assert p008[(7, 11)]["labels"]["sv"][-1] == "År"


def test_856_second_indicators(mapping):
    by_when = {v["when"]: v for v in mapping["formats"]["bib"]["856"]["variants"]}
    expect = {
        "i2=0": ["Tillhörande media", "Mediaobjekt", "URI"],
        "i2=1": ["Annan relaterad resurs", "Elektronisk", "URI"],
        "i2=2": ["Relaterad beskrivning eller innehåll", "Dokument", "URI"],
        "i2=8": ["Relaterad till", "Dokument", "URI"],
        "": ["Elektronisk adress", "Dokument", "URI"],
    }
    for when, labels in expect.items():
        assert by_when[when]["subfields"]["u"]["labels"]["sv"] == labels
        assert by_when[when]["subfields"]["u"]["path"].endswith(".uri")
    assert by_when["i2=2"]["conditions"] == [{"ind": 2, "in": ["2"]}]


def test_entries_are_well_formed(mapping):
    named = set(mapping["tokenMaps"])
    for fmt, tags in mapping["formats"].items():
        for tag, tm in tags.items():
            assert tm["tag"] == tag and tm["kind"] in ("data", "control", "fixed")
            for v in tm["variants"]:
                assert isinstance(v["conditions"], list)
                for c in v["conditions"]:
                    assert set(c) & {"ind", "sub", "first", "onRevert"}, c
                    if "match" in c:
                        re.compile(c["match"])
                if v.get("revertOnly"):
                    assert v["conditions"] == [{"onRevert": True}] and "onRevert" in v
                for key, t in targets(v):
                    assert "raw" in t, (fmt, tag, key)
                    if t.get("ignored") or "steps" not in t:
                        continue
                    assert t["path"].split(".")[0] in ("Record", "Work", "Instance", "Item"), t["path"]
                    if isinstance(t.get("tokenMap"), str) and t["tokenMap"] != "NonfilingChars":
                        assert t["tokenMap"] in named, (fmt, tag, key, t["tokenMap"])
                    if t.get("typeOf") and t["typeOf"] != t["entity"]:
                        continue
                    if not t["steps"]:
                        continue  # the entity itself: selects the resource, shows no line
                    for lang in ("sv", "en"):
                        labs = t["labels"][lang]
                        assert labs and all(isinstance(x, str) and x for x in labs), (fmt, tag, key)
                        assert ("{class}" in labs) == bool(t.get("classFrom")), (fmt, tag, key)
                    for rule in t.get("valueRules", []):
                        groups = re.compile(rule["match"]).groups
                        assert all(1 <= p["group"] <= groups for p in rule["parts"])
                        assert "revert" in rule


def test_overrides_say_why():
    ov = json.loads((DATA / "label-overrides.json").read_text("utf-8"))
    for key in ("targets", "variants", "indicators", "derivedTypes"):
        for spec in ov[key]:
            assert spec.get("why"), spec
    for term, spec in ov["termLabels"].items():
        assert term == "NOTE" or spec.get("why"), term


def test_seed_wording_comes_from_the_label_snapshot(mapping):
    t = mapping["formats"]["bib"]["042"]["variants"][0]["subfields"]["9"]
    assert t["labels"]["sv"] == ["Bibliografi", "Bibliotek", "Sigel"]
    kbv = json.loads((DATA / "kbv-labels.json").read_text("utf-8"))
    assert kbv["bibliography"]["sv"] == "Bibliografi"
    assert kbv["hasTitle"] == {"sv": "Har titel", "en": "Title resource"}


def test_the_view_is_driven_by_the_data(monkeypatch):
    """Change the data, not the code: the view follows."""
    real = labels_mod.load_mapping()
    data = copy.deepcopy(real.data)
    for v in data["formats"]["bib"]["245"]["variants"]:
        if "a" in v.get("subfields", {}) and v["subfields"]["a"].get("labels"):
            v["subfields"]["a"]["labels"]["sv"] = ["Titelrad"]
    data["formats"]["bib"].pop("506")  # now unmapped: shown as MARC, never dropped
    fake = labels_mod.Mapping(data, real.kbv, real.terms)
    monkeypatch.setattr(labels_mod, "load_mapping", lambda: fake)
    rec = open_source(ROOT / "sample_records" / "seed-records.txt").entry(0)
    t = [ln.text for ln in labels_mod.label_view(rec)]
    assert "Titelrad: Könsnormer i bildspråket - Fördjupning" in t
    assert "MARC 506: #a gratis" in t


def test_term_labels(mapping):
    terms = json.loads((DATA / "term-labels.json").read_text("utf-8"))
    assert terms["https://id.kb.se/language/swe"]["sv"] == "Svenska"
    assert terms["https://id.kb.se/language/und"]["sv"] == "Odefinierat språk"
    assert terms["https://id.kb.se/country/sw"]["sv"] == "Sverige"
