"""Build tui/data/marc21.json: the MARC 21 content designators of the bibliographic, holdings and
authority formats, for the validator's content checks (tui/core/validation/marc21.py).

    python tools/make_marc21.py [--shared DIR] [-o tui/data/marc21.json] [--check]

Per format and tag: its name (English; Swedish where Libris's marcmap has one), whether it is
repeatable, obsolete, or a field Libris defined itself; per indicator the values defined (none
listed: any value, as in 880); per subfield code its name, repeatability and obsolete mark.
Fixed-field positions are not here: they are tui/data/fixed-fields.json (tools/make_fixed_fields.py).

The sources (copied in ../shared/reference/marc21/, see its README.md):

* bibliographic and authority: the Library of Congress field lists (as kept by FOLIO,
  Apache-2.0), current to 2026, with [OBSOLETE] marks on fields, indicator values and codes;
* holdings: the Avram schema scraped from loc.gov by timathom/marc-schema (Apache-2.0), which
  marks nothing obsolete;
* Swedish names, and the fields and codes Libris defined itself (bib 976, hold 948/949/951 ...)
  or that the holdings schema lacks (hold 004, 007, 008): libris/definitions' marcmap.json
  (Apache-2.0).

The required codes: of those marcmap marks mandatory, $a (the field's main element) where MARC 21
does not let it be absent, and a holdings record's 852 $b (``_required``). A bibliographic
record's embedded holdings fields (rules.toml ``[holdings] embedded_tags``) take $5, the sigel.

Where one tag or code is listed twice (a redefined 856 $g next to the obsolete one), it is
obsolete only if every listing is, and its repeatability is that of the current listing.
The script needs nothing outside the standard library; a test checks the shipped file is what it
makes from the shared copies.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ../shared beside the checkout, or LIBRIS_TUI_SHARED (a git worktree elsewhere)
SHARED = Path(os.environ.get("LIBRIS_TUI_SHARED") or ROOT.parent / "shared")
DEFAULT_OUT = ROOT / "tui" / "data" / "marc21.json"

SOURCES = {
    "loc": "folio-org/mod-record-specifications "
    "mod-record-specifications-server/src/main/resources/spec/marc/{bibliographic,authority}.html "
    "(commit 290203359b5d93dea0fc3ff92043f19234b40e48; Library of Congress field lists; Apache-2.0)",
    "avram": "timathom/marc-schema marc21_holdings_schema.json "
    "(commit f380514633bf4a951c9eff5d0cdaf9443e60a7a2; Apache-2.0)",
    "marcmap": "libris/definitions scripts/marc/marcmap.json "
    "(commit 53ab4a2036f519198de80779516c1878406bad78; Apache-2.0)",
}

_TAG_LINE = re.compile(r"^(\d{3}) - (.*?)\s*\((N?R)\)\s*(?:-\s*)?(\[OBSOLETE\])?\s*$")
_TAG_LINE_LOOSE = re.compile(r"^(\d{3}) - (.*?)\s*-?\s*(\[OBSOLETE\])?\s*$")
_IND_HEAD = re.compile(r"^\s{4,7}(First|Second) - (.*?)\s*$")
_IND_VALUE = re.compile(r"^\s{8,}([#|0-9a-z](?:-[0-9a-z])?)(?:\s+-\s*|\s*-\s*|\s+)(.*?)\s*$")
_SUB_LINE = re.compile(
    r"^      \$([0-9a-z])(?:-([0-9a-z]))?\s*-?\s*(.*?)\s*(?:\((N?R)\))?\s*(\[OBSOLETE\]|\[REDEFINED\])?\s*$"
)
_OBSOLETE = re.compile(r"\s*\[(OBSOLETE|REDEFINED)\]\s*")


def _expand(code: str) -> list[str]:
    """``0-9`` -> the codes 0 to 9 (LoC and Avram write ranges of values so)."""
    code = code.replace("$", "")
    if len(code) == 3 and code[1] == "-":
        return [chr(c) for c in range(ord(code[0]), ord(code[2]) + 1)]
    return [code]


def _tidy(name: str) -> str:
    return _OBSOLETE.sub(" ", name).strip().rstrip("-").strip()


def _title(name: str) -> str:
    """LoC writes field names in capitals: ``TITLE STATEMENT`` -> ``Title statement``."""
    name = _tidy(name)
    return name[:1] + name[1:].lower() if name.isupper() else name


# -- the Library of Congress field lists ---------------------------------------------------------


def parse_loc(text: str) -> dict[str, dict]:
    """The tags of one LoC field list: the plain text inside its <pre>."""
    out: dict[str, dict] = {}
    tag = None
    block = None
    ind = None
    for raw in text.splitlines():
        line = raw.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").rstrip()
        m = _TAG_LINE.match(line) or (_TAG_LINE_LOOSE.match(line) if re.match(r"^\d{3} - ", line) else None)
        if m:
            g = m.groups()
            if len(g) == 4:
                t, name, rep, obs = g
            else:
                t, name, obs = g
                rep = None
            entry = {"en": _title(name), "repeatable": rep == "R", "obsolete": bool(obs), "ind": [[], []], "subs": {}}
            if rep is None:
                entry["repeatable"] = None
            tag = t
            out.setdefault(t, []).append(entry)  # type: ignore[arg-type]
            block = None
            continue
        if tag is None:
            continue
        cur = out[tag][-1]  # type: ignore[index]
        if not line.strip():
            block = None
            continue
        if line.strip() == "Indicators":
            block = "ind"
            continue
        if line.strip() in ("Subfield Codes", "Subfield Code"):
            block = "sub"
            continue
        if line.strip() == "Character Positions":
            block = "pos"
            continue
        if block == "ind":
            h = _IND_HEAD.match(line)
            if h:
                ind = {"en": _tidy(h.group(2)), "values": {}, "obsolete": "[OBSOLETE]" in h.group(2)}
                cur["ind"][0 if h.group(1) == "First" else 1].append(ind)
                continue
            v = _IND_VALUE.match(line)
            if v and ind is not None:
                # a value of an obsolete definition of the position is obsolete too
                obs = "[OBSOLETE]" in v.group(2) or ind["obsolete"]
                for c in _expand(v.group(1)):
                    c = " " if c == "#" else c
                    old = ind["values"].get(c)
                    if old is None or old["obsolete"]:
                        ind["values"][c] = {"en": _tidy(v.group(2)), "obsolete": obs}
        elif block == "sub":
            s = _SUB_LINE.match(line)
            if not s:
                continue
            first, last, name, rep, mark = s.groups()
            codes = _expand(f"{first}-{last}") if last else [first]
            for c in codes:
                cur["subs"].setdefault(c, []).append(
                    {"en": _tidy(name), "repeatable": rep == "R" if rep else None, "obsolete": bool(mark)}
                )
    return {t: _merge_listings(ls) for t, ls in out.items()}  # type: ignore[arg-type]


def _pick(listings: list[dict]) -> dict:
    """Of several listings of one tag or code: the last current one, else the last."""
    current = [x for x in listings if not x["obsolete"]]
    return (current or listings)[-1]


def _merge_listings(listings: list[dict]) -> dict:
    main = _pick(listings)
    out = {
        "en": main["en"],
        "repeatable": bool(main["repeatable"]) if main["repeatable"] is not None else True,
        "obsolete": all(x["obsolete"] for x in listings),
    }
    inds = []
    for k in (0, 1):
        got = [h for x in listings if not x["obsolete"] for h in x["ind"][k]]
        got = got or [h for x in listings for h in x["ind"][k]]
        inds.append(_merge_inds(got))
    out["listed"] = any(x["ind"][0] or x["ind"][1] or x["subs"] for x in listings)
    out["ind"] = inds
    codes: dict[str, list[dict]] = {}
    for x in listings:
        for c, ls in x["subs"].items():
            # the codes of an obsolete listing of the tag count as obsolete
            codes.setdefault(c, []).extend({**e, "obsolete": e["obsolete"] or x["obsolete"]} for e in ls)
    subs = {}
    for c, ls in codes.items():
        e = _pick(ls)
        subs[c] = {
            "en": e["en"],
            "repeatable": e["repeatable"] if e["repeatable"] is not None else True,
            "obsolete": all(y["obsolete"] for y in ls),
        }
    out["subs"] = subs
    return out


def _merge_inds(got: list[dict]) -> dict | None:
    """One indicator position from its listings; None: any value (``Same as associated field``)."""
    if not got:
        return None
    current = [g for g in got if not g["obsolete"]]
    main = (current or got)[-1]
    values: dict[str, dict] = {}
    for g in got:
        for c, v in g["values"].items():
            old = values.get(c)
            if old is None or (old["obsolete"] and not v["obsolete"]):
                values[c] = dict(v)
    if not values:
        if "undefined" in main["en"].lower():
            values = {" ": {"en": "Undefined", "obsolete": False}}
        else:
            return {"en": main["en"], "values": None}
    return {"en": main["en"], "values": values}


def loc_pre(path: Path) -> str:
    text = path.read_text("utf-8")
    m = re.search(r"<pre>(.*)</pre>", text, re.S)
    return m.group(1) if m else text


# -- the Avram holdings schema -------------------------------------------------------------------


def parse_avram(schema: dict) -> dict[str, dict]:
    out = {}
    for tag, f in schema["fields"].items():
        if not re.fullmatch(r"\d{3}", tag):
            continue
        entry = {"en": f.get("label", ""), "repeatable": bool(f.get("repeatable")), "obsolete": False}
        if tag >= "010":
            inds = []
            for k in ("indicator1", "indicator2"):
                i = f.get(k)
                if not i:
                    inds.append({"en": "Undefined", "values": {" ": {"en": "Undefined", "obsolete": False}}})
                    continue
                codes = i.get("codes") or {}
                values = {}
                for c, name in codes.items():
                    for x in _expand(c):
                        values[" " if x == "#" else x] = {"en": name, "obsolete": False}
                inds.append({"en": i.get("label", ""), "values": values or None})
            entry["ind"] = inds
            subs = {}
            for c, s in (f.get("subfields") or {}).items():
                for x in _expand(c):
                    subs[x] = {"en": s.get("label", ""), "repeatable": bool(s.get("repeatable")), "obsolete": False}
            entry["subs"] = subs
        out[tag] = entry
    return out


# -- Libris's marcmap ----------------------------------------------------------------------------


def _sv(label: str | None) -> str | None:
    return label.strip() if isinstance(label, str) and label.strip() else None


def _marcmap_entry(tag: str, m: dict) -> dict:
    """A tag only marcmap defines (Libris's own, or missing from the MARC 21 source)."""
    entry: dict = {
        "en": m.get("label_en") or m.get("label_sv") or "",
        "repeatable": bool(m.get("repeatable", True)),
        "obsolete": False,
        "libris": True,
    }
    if tag >= "010":
        inds = []
        for k in ("ind1", "ind2"):
            i = m.get(k)
            if not isinstance(i, dict) or not i:
                inds.append(None)
                continue
            values = {}
            for c, v in i.items():
                values[" " if c == "_" else c] = {"en": (v or {}).get("label_en") or "", "obsolete": False}
            inds.append({"en": "", "values": values})
        entry["ind"] = inds
        subs = {}
        for c, s in (m.get("subfield") or {}).items():
            if isinstance(s, dict):
                subs[c] = {
                    "en": s.get("label_en") or "",
                    "repeatable": bool(s.get("repeatable", True)),
                    "obsolete": False,
                }
        entry["subs"] = subs
    return entry


#: the codes marcmap marks mandatory that the content checks require: $a, the field's main
#: element (its other marks, 655 $b or 040 $c, are its old client's habits, not MARC 21's), unless
#: the field has a $z for a cancelled or invalid number (which may stand alone), and the sigel of
#: a holdings record's 852
REQUIRED_CODES = {"a"}
REQUIRED_ALSO = {("hold", "852", "b")}
#: fields whose $a MARC 21 lets be absent: 035 with only a cancelled number ($z), 041 with its
#: languages in other codes ($h, $b ...), 042 as Libris writes it ($9 EPLK), 046 with only its
#: dates ($k, $o ... in RDA records), 546 with only a script code ($b), and the 852 of a holding embedded in a bibliographic record
#: (Libris locates it by $b, the sigel)
NOT_REQUIRED = {
    ("bib", "035"),
    ("bib", "041"),
    ("bib", "042"),
    ("bib", "046"),
    ("bib", "546"),
    ("bib", "852"),
    ("auth", "035"),
    ("auth", "042"),
    ("auth", "046"),
}


def _required(fmt_id: str, tag: str, code: str, subs: dict) -> bool:
    if (fmt_id, tag, code) in REQUIRED_ALSO:
        return True
    if code not in REQUIRED_CODES or (fmt_id, tag) in NOT_REQUIRED:
        return False
    # a field with a $z for a cancelled or invalid number may hold only that (024 $z, 020 $z)
    z = subs.get("z")
    return not (z and re.search(r"cancel|invalid", z["en"], re.I))


def add_embedded_sigel(bib: dict[str, dict], tags: list[str]) -> None:
    """$5 in the holdings fields of a bibliographic record: the sigel of the holding Libris embeds
    there (``[holdings] embedded_tags`` of tui/data/rules.toml)."""
    for tag in tags:
        e = bib.get(tag)
        if e is None or "subs" not in e or "5" in e["subs"]:
            continue
        e["subs"]["5"] = {
            "en": "Institution to which field applies (the embedded holding's sigel)",
            "sv": "Sigel för beståndet",
            "repeatable": False,
            "obsolete": False,
            "libris": True,
        }


def add_marcmap(fmt: dict[str, dict], mm: dict, fmt_id: str = "bib") -> None:
    """Swedish names onto ``fmt``'s tags, indicator values and codes; Libris's own tags and codes
    where the MARC 21 source has none; the codes Libris requires (``_required``)."""
    for tag, m in mm.items():
        if not re.fullmatch(r"\d{3}", tag) or tag == "000" or not isinstance(m, dict):
            continue
        e = fmt.get(tag)
        if e is None:
            e = fmt[tag] = _marcmap_entry(tag, m)
        sv = _sv(m.get("label_sv"))
        if sv:
            e["sv"] = sv
        if "ind" in e:
            for k, i in zip(("ind1", "ind2"), e["ind"]):
                mi = m.get(k)
                if not isinstance(mi, dict) or i is None or i["values"] is None:
                    continue
                for c, v in mi.items():
                    c = " " if c == "_" else c
                    x = i["values"].get(c)
                    label = _sv((v or {}).get("label_sv"))
                    if x is None and re.fullmatch(r"[ 0-9a-z]", c):
                        # a value Libris defined that the MARC 21 source does not list (083 blank)
                        x = i["values"][c] = {
                            "en": (v or {}).get("label_en") or "",
                            "obsolete": "OBSOLET" in (label or ""),
                            "libris": True,
                        }
                    if x is not None and label:
                        x["sv"] = label
        if "subs" in e:
            for c, s in (m.get("subfield") or {}).items():
                if not isinstance(s, dict) or not re.fullmatch(r"[0-9a-z]", c):
                    continue
                x = e["subs"].get(c)
                if x is None:
                    x = e["subs"][c] = {
                        "en": s.get("label_en") or "",
                        "repeatable": bool(s.get("repeatable", True)),
                        "obsolete": False,
                        "libris": True,
                    }
                label = _sv(s.get("label_sv"))
                if label:
                    x["sv"] = label
                if s.get("mandatory") and _required(fmt_id, tag, c, e["subs"]):
                    x["required"] = True


# -- the file ------------------------------------------------------------------------------------


def _compact(fmt: dict[str, dict]) -> dict[str, dict]:
    """Sorted, with the false marks left out (the file is read at every validate)."""
    out = {}
    for tag in sorted(fmt):
        e = fmt[tag]
        c: dict = {"en": e["en"]}
        if e.get("sv"):
            c["sv"] = e["sv"]
        c["repeatable"] = e["repeatable"]
        for flag in ("obsolete", "libris"):
            if e.get(flag):
                c[flag] = True
        if "ind" in e and tag >= "010":
            inds = []
            for i in e["ind"]:
                if i is None or i["values"] is None:
                    inds.append(None)
                    continue
                vals = {}
                for v in sorted(i["values"]):
                    x = i["values"][v]
                    y = {"en": x["en"]}
                    if x.get("sv"):
                        y["sv"] = x["sv"]
                    for flag in ("obsolete", "libris"):
                        if x.get(flag):
                            y[flag] = True
                    vals[v] = y
                inds.append(vals)
            c["ind"] = inds
            subs = {}
            for code in sorted(e["subs"]):
                x = e["subs"][code]
                y = {"en": x["en"]}
                if x.get("sv"):
                    y["sv"] = x["sv"]
                y["repeatable"] = x["repeatable"]
                for flag in ("obsolete", "libris", "required"):
                    if x.get(flag):
                        y[flag] = True
                subs[code] = y
            c["subfields"] = subs or None  # none listed: any code
        out[tag] = c
    return out


def build(shared: Path) -> dict:
    ref = shared / "reference" / "marc21"
    mm = json.loads((ref / "libris-marcmap" / "marcmap.json").read_text("utf-8"))
    bib = parse_loc(loc_pre(ref / "loc-field-lists" / "bibliographic.html"))
    auth = parse_loc(loc_pre(ref / "loc-field-lists" / "authority.html"))
    hold = parse_avram(json.loads((ref / "avram-timathom" / "marc21_holdings_schema.json").read_text("utf-8")))
    for tag, e in bib.items():
        # the holdings fields (841-88X) are only named in the bibliographic list: as embedded in a
        # bibliographic record (Libris's exports, with $5) they are defined as in the holdings format
        if not e.pop("listed") and tag in hold and "ind" in hold[tag]:
            e["ind"], e["subs"] = hold[tag]["ind"], hold[tag]["subs"]
    for e in auth.values():
        e.pop("listed")
    for fmt, key in ((bib, "bib"), (auth, "auth"), (hold, "hold")):
        add_marcmap(fmt, mm[key], key)
    rules = tomllib.loads((ROOT / "tui" / "data" / "rules.toml").read_text("utf-8"))
    add_embedded_sigel(bib, rules["holdings"]["embedded_tags"])
    return {
        "_source": SOURCES,
        "_licence": "Apache-2.0: see marc21.LICENSE beside this file and THIRD_PARTY_NOTICES; "
        "changed by tools/make_marc21.py (selected, merged and reshaped)",
        "_format": "format -> tag -> {en, sv, repeatable, obsolete, libris, ind: [ind1, ind2] "
        "(value -> {en, sv, obsolete, libris}; null: any value), subfields: code -> {en, sv, repeatable, obsolete, libris, required} "
        "(null: any code)}; libris: defined by Libris's marcmap, not in the MARC 21 source; required: "
        "the code must be in the field (marcmap marks it mandatory; $a and a holding's 852 $b only)",
        "bib": _compact(bib),
        "hold": _compact(hold),
        "auth": _compact(auth),
    }


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the output is not what would be made")
    args = ap.parse_args(argv)
    text = dumps(build(args.shared))
    if args.check:
        same = args.output.exists() and args.output.read_text("utf-8") == text
        print(f"{args.output}: {'current' if same else 'stale'}")
        return 0 if same else 1
    args.output.write_text(text, "utf-8")
    d = json.loads(text)
    print(", ".join(f"{k} {len(d[k])} tags" for k in ("bib", "hold", "auth")), "->", args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
