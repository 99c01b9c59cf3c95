"""The rule table is the one place where rules and what is said under them are written.

Every rule id the code uses is in it (tests/unit/test_rules.py), every sentence the code names is in it (in English and
Swedish, with the same fields), no refusal, finding or reader issue spells its sentence in code,
and the command line and the docs follow a sentence changed in the table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tui.cli import main
from tui.cli.rules import docs_page, readme_table
from tui.core.editing import commands as C
from tui.core.editing.commands import EditContext
from tui.core.formats import open_source
from tui.core.model.record import ReadIssue
from tui.core.rules import detect, table
from tui.core.rules.table import Refusal
from tui.core.settings import config as cfg
from tui.resources import data_file

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "tui"
DATA = Path(__file__).parents[1] / "data" / "rules"

#: calls whose first argument is a rule id and whose second (where there is one) a sentence key
_SPEAKERS = {"of", "say", "finding", "add", "severity", "reports", "sentence"}
#: constructors that must not be given a sentence written in code
_MESSAGES = {"Refusal": 1, "Advice": 1, "ReadIssue": 1, "Finding": 6}


def _python_files():
    return [p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts]


def _strings(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def test_every_sentence_the_code_names_is_in_the_table():
    named = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and _name(node.func) in _SPEAKERS and len(node.args) >= 2):
                continue
            rid, key = node.args[0], node.args[1]
            if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in (rid, key)):
                if rid.value in table.rules():
                    named.add((rid.value, key.value, str(path.relative_to(ROOT))))
    assert len(named) > 100
    for rid, key, where in named:
        table.sentence(rid, key)  # raises KeyError naming the rule and key
        assert table.say(rid, key, **_dummy(rid, key)), (rid, key, where)


def _dummy(rid: str, key: str) -> dict:
    return {name: 1 for name in table.sentence(rid, key).fields() if name not in table.current().shared["en"]}


def test_no_refusal_finding_or_issue_spells_its_sentence_in_code():
    """A message given to Refusal, Advice, ReadIssue or Finding comes from the table: a string
    literal (or an f-string with words in it) there is a sentence written in code."""
    offenders = []
    for path in _python_files():
        if path.name == "table.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or _name(node.func) not in _MESSAGES:
                continue
            at = _MESSAGES[_name(node.func)]
            if len(node.args) <= at:
                continue
            msg = node.args[at]
            words = [s for s in _strings(msg) if re.search(r"[a-z]{3,} [a-z]{3,}", s)]
            if words and isinstance(msg, (ast.Constant, ast.JoinedStr)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {words[0]!r}")
    assert not offenders, "sentences written in code, not in rules.toml:\n" + "\n".join(offenders)


def test_every_rule_and_sentence_speaks_english_and_swedish_with_the_same_fields():
    for r in table.rules().values():
        assert r.en and r.sv, r.id
        assert r.severity in table.SEVERITIES and r.scope in table.SCOPES, r.id
        for key, s in r.says.items():
            assert set(s.text) == {"en", "sv"}, (r.id, key)
            assert s.fields("en") == s.fields("sv"), (r.id, key)
    for name, t in table.current().phrases.items():
        assert set(t) == {"en", "sv"}, name


def test_sentences_are_filled_in_and_spoken_in_the_chosen_language():
    assert table.say("EDIT-TARGET", "no-field", tag="245", occurrence=2, n=1) == (
        "there is no 245[2] in this record (1 field with tag 245)"
    )
    assert "(3 fields with tag 245)" in table.say("EDIT-TARGET", "no-field", tag="245", occurrence=2, n=3)
    assert table.say("EPL-NODELETE", "refused", lang="sv").startswith("en e-pliktspost får aldrig tas bort")
    with table.speaking("sv"):
        assert Refusal.of("HOLD-ADD", "no-sigel").message.startswith("ingen sigel")
        assert table.say("EPL-NODELETE") == "E-pliktsposter får aldrig tas bort manuellt."
    assert Refusal.of("HOLD-ADD", "no-sigel").message.startswith("no sigel")
    # a sentence of another rule, said under this one (an edit refused for what validate says too)
    assert Refusal.of("EDIT-VALUE", "STRUCT-TAG.bad", tag="24").message == "tag '24' is not three digits or letters"
    # the shared phrases fill in where a sentence names them
    assert table.say("EPL-NODELETE", "refused").endswith("report duplicates and errors to Katalogsupport")
    assert table.say("CHN-READONLY", "record").endswith("; report errors to Katalogsupport")
    with pytest.raises(KeyError, match="no sentence 'nope' under HOLD-ADD"):
        table.say("HOLD-ADD", "nope")
    with pytest.raises(ValueError):
        table.set_language("de")


def test_severity_and_katalogsupport_come_from_the_table():
    assert table.severity("STRUCT-LEADER", "coding") == "error"
    assert table.severity("STRUCT-LEADER", "status") == "warning"
    assert table.severity("SUP-CLEAR") == "warning"
    assert table.reports("DUP-REPORT", "dup") and not table.reports("URI-MOVE", "advice")
    issue = ReadIssue.of("LDR-MADE", "xml")
    assert issue.severity == "info" and issue.message == "the record has no <leader>; a sensible one was made"


def test_a_broken_table_is_refused_with_the_file_and_what_is_wrong(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[rule.X-Y]\nkind = "rule"\nen = "x."\n[rule.X-Y.say]\nk.sv = "bara svenska"\n', "utf-8")
    with pytest.raises(ValueError, match=r"rule.X-Y.*'k' needs an English"):
        table.load(bad)
    bad.write_text('[rule.X-Y]\nkind = "rule"\nen = "x."\nseverity = "fatal"\n', "utf-8")
    with pytest.raises(ValueError, match="severity 'fatal'"):
        table.load(bad)
    bad.write_text('[rule.X-Y]\nkind = "rule"\nen = "x."\n[rule.X-Y.say]\nk.en = "{unclosed"\n', "utf-8")
    with pytest.raises(ValueError, match="not a valid template"):
        table.load(bad)


# -- one place for each fact ------------------------------------------------------------------------


def test_the_embedded_holding_tags_are_written_once():
    assert detect.EMBEDDED_HOLDING_TAGS == frozenset(table.current().holdings["embedded_tags"])
    spelled = []
    for path in _python_files():
        text = path.read_text("utf-8")
        if re.search(r'"84[1-4]",\s*"852"', text) or re.search(r'"866",\s*"867"', text):
            spelled.append(str(path.relative_to(ROOT)))
    assert not spelled, f"the embedded-holding tags spelled out again in {spelled}"


@pytest.mark.parametrize("value,ok", [("Li", True), ("S", True), ("Gbg", True), ("APIS", True), ("L i", False)])
def test_one_sigel_syntax_for_the_config_and_the_holding_command(value, ok):
    assert detect.is_sigel(value) is ok
    assert (cfg._check("sigel", value) is None) is ok
    src = open_source(DATA / "records.txt")
    rec = next(e for e in src if e.control_number == "ord0001")
    refusal = C.AddHolding(value).check(EditContext(rec, sigel=None, source=src))
    assert (refusal is None or "is not a sigel" not in refusal.message) is ok


def test_the_record_state_is_worked_out_in_one_place():
    """rules.record_state and the validator's fast path both go through detect.state_from."""
    for path in _python_files():
        text = path.read_text("utf-8")
        if path.name == "detect.py":
            continue
        assert "RecordState(" not in text.replace("-> RecordState", ""), path


# -- the docs and the command line follow the table ------------------------------------------------------


def _section(text: str) -> str:
    a = text.index("<!-- rules-table")
    a = text.index("\n", a) + 1
    return text[a : text.index("<!-- /rules-table -->")]


def test_the_readme_rules_table_and_docs_rules_md_are_generated_from_the_table():
    assert _section((ROOT / "README.md").read_text("utf-8")) == readme_table(), (
        "README.md is out of date: put `libris-tui rules --markdown` between the rules-table markers"
    )
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == docs_page(), (
        "docs/rules.md is out of date: `libris-tui rules --markdown --all > docs/rules.md`"
    )


def changed_table(tmp_path, *replacements: tuple[str, str]) -> Path:
    """A copy of the shipped rule table with sentences changed."""
    text = data_file("rules.toml").read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    p = tmp_path / "rules.toml"
    p.write_text(text, "utf-8")
    return p


def test_a_sentence_changed_in_the_table_changes_the_cli_and_the_docs(tmp_path, capsys):
    new = changed_table(
        tmp_path,
        ("where it usually points to a home page:", "where it mostly points to a HOME PAGE:"),
        ("deleting an e-plikt record is refused", "an e-plikt record is NEVER deleted"),
        ("An e-plikt record must never be deleted manually.", "E-PLIKT RECORDS STAY."),
    )
    with table.use(new):
        code = main(["validate", str(ROOT / "sample_records" / "mixed.mrc")])
        out = capsys.readouterr().out
        assert "mostly points to a HOME PAGE: move it to second indicator 2" in out and code == 1
        main(["rules", "EPL-NODELETE"])
        assert "E-PLIKT RECORDS STAY." in capsys.readouterr().out
        assert "| EPL-NODELETE | an e-plikt record is NEVER deleted |" in readme_table()
        assert "E-PLIKT RECORDS STAY." in docs_page()
    main(["validate", str(ROOT / "sample_records" / "mixed.mrc")])
    assert "usually points to a home page" in capsys.readouterr().out  # the shipped table again


def test_rules_command(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == len(table.rules()) and "EPL-PROTECT" in out
    assert main(["rules", "HOLD-ADD", "--lang", "sv"]) == 0
    out = capsys.readouterr().out
    assert "Man kan lägga till bestånd för bibliotekets sigel" in out and "no-sigel: ingen sigel" in out
    assert main(["rules", "NO-SUCH-RULE"]) == 2
    assert "no rule 'NO-SUCH-RULE'" in capsys.readouterr().err


def test_validate_speaks_swedish_when_asked(capsys):
    main(["validate", "--lang", "sv", str(ROOT / "sample_records" / "mixed.mrc")])
    out = capsys.readouterr().out
    assert "post 3 [hm2x8q0k6c4v9bd] 856[1]: 506 #a är 'restricted'" in out
    main(["validate", str(ROOT / "sample_records" / "mixed.mrc")])
    assert "record 3 [hm2x8q0k6c4v9bd] 856[1]: 506 $a is 'restricted'" in capsys.readouterr().out
