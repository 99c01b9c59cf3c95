#!/usr/bin/env python3
"""Build the mapping data the product ships in ``tui/data``.

* ``marcframe.json``: Libris's MARC mapping, marcframe (bib, auth, hold, the shared patterns,
  token maps and post-processing steps), from ``../shared/reference/upstream/marcframe/``: the
  ``@include`` files merged into one document, comments (``NOTE``, ``TODO`` ...) and the test
  cases (``_spec``) left out. The conversion (``tui.core.mapping.marcframe``) reads it as it is:
  a new marcframe release is a rebuild, not a code change.
* ``kbv-model.json``: what the conversion needs of the KBV vocabulary (class and property
  hierarchy, language maps), from ``upstream/definitions``.
* ``label-mapping.json``, ``kbv-labels.json`` and ``term-labels.json``: the label view's mapping
  and labels, from Libris's mapping summary, the KBV labels, term labels, display lenses and
  label changes, and the hand-maintained ``tui/data/label-overrides.json`` (schema in
  ``tui/data/MAPPING.md``).

Inputs are read-only; the outputs are committed: the product never reads ``../shared``.

    python tools/build_mapping.py [--reference DIR] [--out DIR] [--check]

``--check`` rebuilds in memory and exits 1 if the committed files differ (for CI).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from copy import deepcopy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
DATA = ROOT / "tui" / "data"
SCHEMA = "libris-tui/label-mapping/1"
ENTITIES = ("Record", "Work", "Instance", "Item")
#: properties that identify a linked thing (the step before them is the link)
KEY_PROPERTIES = {"code", "sigel", "label", "prefLabel", "name", "uri", "controlNumber"}

csv.field_size_limit(1 << 24)


# -- small helpers ------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def capitalise(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def humanise(term: str) -> str:
    """``marc:displayText`` -> ``Display text``; ``isPrimaryTopicOf`` -> ``Is primary topic of``."""
    local = term.split(":", 1)[-1]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("-", " ").split()
    if not words:
        return term
    out = [words[0]] + [w if w.isupper() else w.lower() for w in words[1:]]
    return capitalise(" ".join(out))


# -- labels -------------------------------------------------------------------------------------


class Labels:
    """KBV term -> display label (sv/en), with the overrides' snapshot/literal labels."""

    def __init__(self, reference: Path, overrides: dict):
        self.terms: dict[str, dict[str, str]] = {}
        self.kinds: dict[str, str] = {}
        for row in read_tsv(reference / "kbv-labels.tsv"):
            self.terms[row["term"]] = {"sv": row["label_sv"].strip(), "en": row["label_en"].strip()}
            self.kinds[row["term"]] = row["kind"]
        self.snapshots: dict[str, dict[str, dict[str, str]]] = {}
        for p in sorted(reference.glob("kbv-label-changes-*.tsv")):
            for row in read_tsv(p):
                for key, val in row.items():
                    m = re.match(r"label_(sv|en)_(.+)$", key or "")
                    if m:
                        self.snapshots.setdefault(row["term"], {}).setdefault(m.group(2), {})[m.group(1)] = (
                            val or ""
                        ).strip()
        self.fixed: dict[str, dict[str, str]] = {}
        for term, spec in overrides.get("termLabels", {}).items():
            if term == "NOTE":
                continue
            lab = dict(self.terms.get(term, {"sv": "", "en": ""}))
            snap = spec.get("snapshot")
            if snap:
                old = self.snapshots.get(term, {}).get(snap)
                if not old:
                    raise SystemExit(f"overrides: no {snap} label for {term!r} in kbv-label-changes")
                lab = {"sv": old.get("sv") or lab["sv"], "en": old.get("en") or lab["en"]}
            for lang in ("sv", "en"):
                if spec.get(lang):
                    lab[lang] = spec[lang]
            self.fixed[term] = lab

    def get(self, term: str, lang: str) -> str:
        lab = self.fixed.get(term) or self.terms.get(term) or {}
        text = lab.get(lang) or ""
        if not text and lang == "sv":
            text = lab.get("en") or ""
        return capitalise(text) if text else humanise(term)

    def pair(self, term: str) -> dict[str, str]:
        return {"sv": self.get(term, "sv"), "en": self.get(term, "en")}

    def table(self) -> dict[str, dict[str, str]]:
        out = {t: self.pair(t) for t in sorted(self.terms)}
        for t in self.fixed:
            out[t] = self.pair(t)
        return dict(sorted(out.items()))


def term_labels(reference: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for row in read_tsv(reference / "term-labels.tsv"):
        uri = row["uri"].strip()
        if not uri.startswith("http"):
            continue
        entry = {"sv": row["label_sv"].strip(), "en": row["label_en"].strip(), "type": row["type"].strip()}
        if row.get("code", "").strip():
            entry["code"] = row["code"].strip()
        out[uri] = entry
    return dict(sorted(out.items()))


# -- marcframe-summary.tsv parsing --------------------------------------------------------------

_PATH_TAIL = re.compile(r"\s+(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|<[^<>]*>)\s*$")


def split_path(text: str) -> tuple[str, str | None, str | None]:
    """``Work.language.code {tokenMap:x} <https://...{_}>`` -> (path, tokenMap text, uriTemplate)."""
    token = uri = None
    text = text.strip()
    while True:
        m = _PATH_TAIL.search(text)
        if not m:
            break
        tail = m.group(1)
        if tail.startswith("<"):
            uri = tail[1:-1]
        else:
            token = tail[1:-1]
        text = text[: m.start()].rstrip()
    return text, token, uri


def parse_steps(path: str) -> tuple[str, list[dict[str, str]]]:
    parts: list[str] = []
    depth, cur = 0, ""
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    entity = parts[0]
    steps = []
    for p in parts[1:]:
        m = re.match(r"^([^\[\]]+)(?:\[([^\[\]]+)\])?$", p)
        if not m:
            raise ValueError(f"cannot parse path step {p!r} in {path!r}")
        st = {"property": m.group(1)}
        if m.group(2):
            st["class"] = m.group(2)
        steps.append(st)
    return entity, steps


def path_of(entity: str, steps: list[dict[str, str]]) -> str:
    return ".".join([entity] + [s["property"] + (f"[{s['class']}]" if s.get("class") else "") for s in steps])


def _scalar(v: str):
    v = v.strip()
    return {"None": None, "True": True, "False": False}.get(v, v)


def parse_inline_tokenmap(text: str):
    """``a=Text, c=Electronic`` (keys may be a blank) or ``tokenMap:Name``."""
    if text.startswith("tokenMap:"):
        return text.split(":", 1)[1]
    out = {}
    for item in re.split(r", (?=[^,=]*=)", text):
        if "=" not in item:
            continue
        k, v = item.split("=", 1)
        out[k if k.strip() == "" else k.strip()] = _scalar(v)
    return out


def raw_json(raw: str):
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None


def raw_get(raw: str, key: str):
    """A simple string/bool value from a (possibly truncated) raw JSON object."""
    obj = raw_json(raw)
    if isinstance(obj, dict):
        return obj.get(key)
    m = re.search(rf'"{re.escape(key)}":\s*("(?:[^"\\]|\\.)*"|true|false)', raw or "")
    if not m:
        return None
    return json.loads(m.group(1))


def raw_list(raw: str, key: str) -> list[str] | None:
    obj = raw_json(raw)
    if isinstance(obj, dict):
        v = obj.get(key)
        return v if isinstance(v, list) else None
    m = re.search(rf'"{re.escape(key)}":\s*(\[[^\]]*\])', raw or "")
    return json.loads(m.group(1)) if m else None


def parse_when(when: str) -> tuple[list[dict], dict | None, str]:
    """marcframe's match text -> (conditions, onRevert or None, kind)."""
    when = when.strip()
    if not when:
        return [], None, "base"
    if when == "(default)":
        return [], None, "default"
    if when.startswith("onRevert:"):
        return [], json.loads(when.split(":", 1)[1]), "revert"
    conds: list[dict] = []
    for part in re.split(r"\s+&\s+", when):
        part = part.strip()
        m = re.match(r"^i([12])=(.)$", part)
        if m:
            conds.append({"ind": int(m.group(1)), "in": [m.group(2)]})
            continue
        m = re.match(r"^\$(\w) =~ (.+)$", part)
        if m:
            conds.append({"sub": m.group(1), "match": m.group(2)})
            continue
        m = re.match(r"^\$(\w)=(.+)$", part)
        if m:
            conds.append({"sub": m.group(1), "in": [m.group(2)]})
            continue
        m = re.match(r"^\$(\w)$", part)
        if m:
            conds.append({"sub": m.group(1), "exists": True})
            continue
        raise ValueError(f"cannot parse condition {part!r} of {when!r}")
    return conds, None, "match"


# -- building -----------------------------------------------------------------------------------


class Builder:
    def __init__(self, reference: Path, overrides: dict):
        self.ref = reference
        self.ov = overrides
        self.labels = Labels(reference, overrides)
        self.terms = term_labels(reference)
        self.token_maps = {k: v for k, v in overrides["tokenMaps"].items() if k != "NOTE"}
        self.uri_classes = {k: v for k, v in overrides["uriClasses"].items() if k != "NOTE"}
        self.hide_class = set(overrides["hideClassAfter"]["properties"])
        self.drop_steps = overrides["dropSteps"]["rules"]
        self.revert_templates = {k: v for k, v in overrides["revertTemplates"].items() if k != "NOTE"}
        # splitValuePattern -> splitValueProperties, for rows whose raw text is cut off
        self.split_props: dict[str, list[str]] = {}
        for r in read_tsv(reference / "marcframe-summary.tsv"):
            pat, props = raw_get(r["raw"], "splitValuePattern"), raw_list(r["raw"], "splitValueProperties")
            if pat and props:
                self.split_props.setdefault(pat, props)

    # labels of a step list --------------------------------------------------------------------
    def uri_class(self, template: str | None) -> str | None:
        if not template:
            return None
        best = None
        for prefix, cls in self.uri_classes.items():
            if template.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, cls)
        return best[1] if best else None

    def label_terms(self, steps, uri_template=None, class_slot=None, relabel=None, link_step=None):
        """Terms of the label path (expanded) and the collapsed form for links.

        ``class_slot``: index of the step whose class comes from a token ("{class}").
        ``link_step``: index of the step that links to a term (``uri_template``): either the
        last step (``country <...>``) or the one before a key property (``language.code``).
        """
        relabel = relabel or {}
        if uri_template and link_step is None:
            link_step = len(steps) - 1
        terms: list[str] = []
        collapsed = None
        for i, st in enumerate(steps):
            terms.append(st["property"])
            if uri_template and i == link_step:
                collapsed = list(terms)
                cls = self.uri_class(uri_template) or st.get("class")
                if cls and st["property"] not in self.hide_class:
                    terms.append(relabel.get(cls, cls))
                if i == len(steps) - 1:
                    terms.append("code")
                continue
            if i == len(steps) - 1:
                break
            if class_slot == i:
                terms.append("{class}")
            elif st.get("class") and st["property"] not in self.hide_class:
                terms.append(relabel.get(st["class"], st["class"]))
        return terms, collapsed

    def value_rule(self, t, pattern, props, relabel=None, class_slot=None):
        """A value rule from marcframe's castPattern/castProperty or splitValuePattern/
        splitValueProperties: the value's regex groups become these properties."""
        parts = []
        for g, prop in enumerate(props, 1):
            steps = t["steps"][:-1] + [{"property": prop}]
            terms, _ = self.label_terms(steps, None, class_slot, relabel)
            parts.append(
                {
                    "group": g,
                    "property": prop,
                    "path": path_of(t["entity"], steps),
                    "steps": steps,
                    "labels": self.resolve(terms),
                }
            )
        rule = {
            "match": pattern,
            "parts": parts,
            "revert": self.revert_templates.get(pattern, "{" + props[0] + "}") if len(props) > 1 else "{_}",
        }
        if len(parts) == 1:
            rule.update({k: parts[0][k] for k in ("group", "path", "steps", "labels")})
        return rule

    def resolve(self, terms):
        if terms is None:
            return None
        out = {}
        for lang in ("sv", "en"):
            out[lang] = [
                t if t == "{class}" else (t[lang] if isinstance(t, dict) else self.labels.get(t, lang)) for t in terms
            ]
        return out

    # targets --------------------------------------------------------------------------------
    def target(self, row: dict, tag: str) -> dict:
        path_text, tok, uri = split_path(row["path"])
        raw = row.get("raw", "")
        ignored = path_text.startswith("(ignored") or bool(raw_get(raw, "ignored"))
        rj = raw_json(raw)
        t: dict = {"raw": rj if rj is not None or raw.strip() == "null" else {"_truncated": raw}}
        if ignored:
            t["ignored"] = True
            return t
        entity, steps = parse_steps(path_text)
        if row["code"] == "(field)" and raw_get(raw, "property") and tag < "010":
            steps = steps + [{"property": raw_get(raw, "property")}]
        elif row["code"] == "(field)" and raw_get(raw, "addProperty") and tag < "010":
            steps = steps + [{"property": raw_get(raw, "addProperty")}]
        code = row["code"]
        for rule in self.drop_steps:
            if tag in rule["tags"] and code.startswith("$") and code[1:] in rule["codes"]:
                steps = [s for s in steps if s["property"] != rule["property"]]
        t["path"] = path_of(entity, steps)
        t["entity"] = entity
        t["steps"] = steps
        if tok is not None:
            parsed = parse_inline_tokenmap(tok)
            rj = raw_json(raw)
            if isinstance(rj, dict) and isinstance(rj.get("tokenMap"), dict):
                parsed = rj["tokenMap"]
            t["tokenMap"] = parsed
        if uri:
            t["uriTemplate"] = uri
            has_key = raw_get(raw, "property") or raw_get(raw, "addProperty")
            has_link = raw_get(raw, "link") or raw_get(raw, "addLink")
            if has_link and has_key and len(steps) >= 2:
                t["linkStep"] = len(steps) - 2
            elif has_link or len(steps) < 2:
                t["linkStep"] = len(steps) - 1
            else:
                t["linkStep"] = len(steps) - 2 if steps[-1]["property"] in KEY_PROPERTIES else len(steps) - 1
        punct = raw_get(raw, "punctuationChars")
        trailing = raw_get(raw, "trailingPunctuation")
        if punct or trailing:
            t["punctuation"] = "".join(sorted(set((punct or "") + (trailing or "").strip())))
        if raw_get(raw, "surroundingChars") == "[]":
            t["transform"] = "brackets"
        rules = []
        if raw_get(raw, "castPattern") and raw_get(raw, "castProperty"):
            rules.append((raw_get(raw, "castPattern"), [raw_get(raw, "castProperty")]))
        split = raw_get(raw, "splitValuePattern")
        if split:
            props = raw_list(raw, "splitValueProperties") or self.split_props.get(split)
            if props:
                rules.append((split, props))
        if rules:
            t["_rules"] = rules
        if steps and steps[-1]["property"] == "@type":
            t["typeOf"] = path_of(entity, steps[:-1])
        return t

    def finish_target(self, t: dict, class_slot=None, relabel=None, label_terms=None):
        if t.get("ignored") or "steps" not in t:
            return t
        if t.get("typeOf") and t["typeOf"] != t["entity"]:
            return t  # gives the class of an embedded entity: no line of its own
        if t.get("typeOf"):
            t["labels"] = self.resolve([self.ov["typeLabels"][t["entity"]]])
            return t
        if label_terms is not None:
            t.pop("classFrom", None)
            class_slot = None
        rules = t.pop("_rules", None)
        if rules:
            t["valueRules"] = [self.value_rule(t, pattern, props, relabel, class_slot) for pattern, props in rules]
        terms, collapsed = self.label_terms(t["steps"], t.get("uriTemplate"), class_slot, relabel, t.get("linkStep"))
        if label_terms is not None:
            terms, collapsed = label_terms, None
        t["labels"] = self.resolve(terms)
        if collapsed is not None:
            t["collapsedLabels"] = self.resolve(collapsed)
            t.setdefault("collapse", "known")
        if class_slot is not None and "{class}" in terms:
            st = t["steps"][class_slot]
            t["classFallback"] = self.resolve([st["class"]]) if st.get("class") else None
        return t

    # variants -------------------------------------------------------------------------------
    def build_tag(self, fmt: str, tag: str, rows: list[dict]) -> dict:
        groups: dict[str, list[dict]] = {}
        for r in rows:
            groups.setdefault(r["when"], []).append(r)
        fixed = any(r["code"].startswith("[") for r in rows)
        variants = []
        base_rows = groups.get("", [])
        base = self._variant_rows(tag, base_rows)
        order = [w for w in groups if w not in ("", "(default)")]
        revert = [w for w in order if w.startswith("onRevert:")]
        match = [w for w in order if not w.startswith("onRevert:")]
        seq = match + (["(default)"] if "(default)" in groups else []) + ([""] if "" in groups else []) + revert
        for when in seq:
            conds, on_revert, kind = parse_when(when)
            own = self._variant_rows(tag, groups[when]) if when else base
            merged = self._merge(base, own) if when else deepcopy(base)
            v = {"when": when, "conditions": conds, "source": "marcframe"}
            if on_revert is not None:
                v["conditions"] = [{"onRevert": True}]
                v["revertOnly"] = True
                v["onRevert"] = on_revert
            v.update(merged)
            variants.append(v)
        kind = "fixed" if fixed else ("control" if tag < "010" and tag != "000" else "data")
        return {"tag": tag, "kind": kind, "variants": variants}

    def _variant_rows(self, tag, rows):
        out = {"field": None, "subfields": {}, "ind1": None, "ind2": None, "positions": []}
        for r in rows:
            code = r["code"]
            t = self.target(r, tag)
            if code == "(field)":
                out["field"] = t
            elif code.startswith("$"):
                out["subfields"][code[1:]] = t
            elif code in ("i1", "i2"):
                out["ind" + code[1]] = t
            elif code.startswith("["):
                m = re.match(r"^\[(\d+)(?::(\d+))?\]$", code)
                start = int(m.group(1))
                end = int(m.group(2)) if m.group(2) else start + 1
                t.update({"start": start, "end": end})
                out["positions"].append(t)
        return out

    @staticmethod
    def _merge(base, own):
        m = deepcopy(base)
        if own["field"] is not None:
            m["field"] = deepcopy(own["field"])
        m["subfields"].update(deepcopy(own["subfields"]))
        for k in ("ind1", "ind2"):
            if own[k] is not None:
                m[k] = deepcopy(own[k])
        if own["positions"]:
            pos = {(p["start"], p["end"]): p for p in m["positions"]}
            for p in own["positions"]:
                pos[(p["start"], p["end"])] = deepcopy(p)
            m["positions"] = sorted(pos.values(), key=lambda p: p["start"])
        return m

    def finish_variant(self, v: dict, relabel=None, labels_by_code=None):
        """Class slots (an @type of an embedded entity given by an indicator or subfield), labels."""
        labels_by_code = labels_by_code or {}
        providers = {}
        for key, t in [("ind1", v.get("ind1")), ("ind2", v.get("ind2"))] + [
            ("$" + c, t) for c, t in v.get("subfields", {}).items()
        ]:
            if t and not t.get("ignored") and t.get("typeOf") and t["typeOf"] != t.get("entity"):
                providers[t["typeOf"]] = key
        v_entity = (v.get("field") or {}).get("entity")

        def fin(key, t):
            if not t or t.get("ignored") or "steps" not in t:
                return t
            slot, source = None, None
            for prefix, src in providers.items():
                if t["path"].startswith(prefix + ".") and not t.get("typeOf"):
                    pe, ps = parse_steps(prefix)
                    slot, source = len(ps) - 1, src
            if slot is not None:
                t["classFrom"] = source
            lt = labels_by_code.get(key)
            if relabel:
                t["relabelClass"] = relabel
            self.finish_target(t, slot, relabel, lt)
            return t

        for k in ("ind1", "ind2"):
            v[k] = fin(k, v.get(k))
        for c in list(v.get("subfields", {})):
            v["subfields"][c] = fin("$" + c, v["subfields"][c])
        if v.get("field"):
            self.finish_target(v["field"], None, relabel)
        for p in v.get("positions", []):
            self.finish_target(p, None, relabel)
        v["entity"] = v_entity or next((p.get("entity") for p in v.get("positions", []) if p.get("entity")), None)
        if not v.get("positions"):
            v.pop("positions", None)
        return v

    # overrides ------------------------------------------------------------------------------
    def apply_overrides(self, formats: dict):
        ov = self.ov
        # extra variants (copied from a marcframe variant, with more conditions) -------------
        for spec in ov.get("variants", []):
            tm = formats[spec["format"]][spec["tag"]]
            src = next(v for v in tm["variants"] if v["when"] == spec["copy"] and not v.get("revertOnly"))
            nv = deepcopy(src)
            nv["when"] = (spec["copy"] + " & " if spec["copy"] else "") + "override"
            nv["conditions"] = nv["conditions"] + spec.get("add_conditions", [])
            nv["source"] = "override"
            nv["note"] = spec["why"]
            nv["_relabel"] = spec.get("relabel_class")
            nv["_labels"] = {k: v for k, v in (spec.get("labels") or {}).items()}
            if spec.get("section"):
                nv["section"] = spec["section"]
            if spec.get("displayOrder"):
                nv["displayOrder"] = spec["displayOrder"]
            if spec.get("position") == "first":
                tm["variants"].insert(0, nv)
            else:
                tm["variants"].append(nv)
        # indicator targets ---------------------------------------------------------------
        for spec in ov.get("indicators", []):
            tm = formats[spec["format"]][spec["tag"]]
            for v in tm["variants"]:
                t = deepcopy(spec["target"])
                entity, steps = parse_steps(t["path"])
                t.update({"entity": entity, "steps": steps, "source": "override", "note": spec["why"]})
                t["_labels"] = t.pop("labels")
                replaced = v.get(f"ind{spec['ind']}") or {}
                t = {"raw": replaced.get("raw"), **t}  # marcframe's own directive, for JSON-LD
                v[f"ind{spec['ind']}"] = t
        # finish every variant (labels) ------------------------------------------------------
        for _fmt, tags in formats.items():
            for _tag, tm in tags.items():
                for v in tm["variants"]:
                    relabel = v.pop("_relabel", None)
                    lbc = v.pop("_labels", None) or {}
                    for k in ("ind1", "ind2"):
                        t = v.get(k)
                        if t and "_labels" in t:
                            lbc[k] = t.pop("_labels")
                    self.finish_variant(v, relabel, lbc)
                    if v.get("section"):
                        for t in self._targets(v):
                            t["section"] = v["section"]
        # patches of targets ----------------------------------------------------------------
        for spec in ov.get("targets", []):
            tm = formats[spec["format"]][spec["tag"]]
            hit = 0
            for v in tm["variants"]:
                for key, t in self._keyed_targets(v):
                    if spec["code"] not in ("*", key):
                        continue
                    if t.get("ignored") or "steps" not in t:
                        continue
                    if spec.get("match_path") and not t["path"].endswith("." + spec["match_path"]):
                        continue
                    self._patch(t, spec["set"], v, spec["why"])
                    hit += 1
            if not hit:
                raise SystemExit(f"override matched nothing: {spec}")

    def _patch(self, t, changes, v, why):
        for k, val in changes.items():
            if k == "labels":
                t["labels"] = self.resolve(val)
                t.pop("collapsedLabels", None)
                t.pop("collapse", None)
                t.pop("classFrom", None)
            elif k == "valueRules":
                rules = []
                for r in val:
                    steps = t["steps"][:-1] + [{"property": r["property"]}]
                    terms, _ = self.label_terms(steps, None, None, t.get("relabelClass"))
                    rules.append(
                        {
                            "match": r["match"],
                            "group": r.get("group", 0),
                            "path": path_of(t["entity"], steps),
                            "steps": steps,
                            "labels": self.resolve(terms),
                            "revert": r["revert"],
                        }
                    )
                t["valueRules"] = rules
            else:
                t[k] = val
        t.setdefault("overrides", []).append(why)

    @staticmethod
    def _targets(v):
        return [t for _, t in Builder._keyed_targets(v)]

    @staticmethod
    def _keyed_targets(v):
        out = []
        if v.get("field"):
            out.append(("(field)", v["field"]))
        for k in ("ind1", "ind2"):
            if v.get(k):
                out.append((k, v[k]))
        for c, t in v.get("subfields", {}).items():
            out.append(("$" + c, t))
        for p in v.get("positions", []) or []:
            key = f"[{p['start']}]" if p["end"] == p["start"] + 1 else f"[{p['start']}:{p['end']}]"
            out.append((key, p))
        return out

    # quiet values --------------------------------------------------------------------------
    def apply_quiet(self, formats):
        for fmt, tags in self.ov["quiet"].items():
            if fmt == "NOTE":
                continue
            for tag, positions in tags.items():
                for v in formats[fmt][tag]["variants"]:
                    for p in v.get("positions", []):
                        q = positions.get(str(p["start"]))
                        if q:
                            p["quiet"] = q

    # sections ------------------------------------------------------------------------------
    def sections(self) -> list[dict]:
        lenses = json.loads((self.ref / "display-lenses.json").read_text(encoding="utf-8"))["lensGroups"]["full"]
        out = []
        for s in self.ov["sections"]:
            s = deepcopy(s)
            if s["order"] == "lens":
                order = ["@type"]
                for item in lenses.get(s["entity"], []):
                    if isinstance(item, str):
                        names = [item]
                    elif "alternateProperties" in item:
                        names = [
                            a if isinstance(a, str) else a.get("subPropertyOf") for a in item["alternateProperties"]
                        ]
                    else:
                        names = []  # inverse relations: not MARC fields of this record
                    for n in names:
                        if n and n not in order:
                            order.append(n)
                s["order"] = order
            out.append(s)
        return out

    # everything ----------------------------------------------------------------------------
    def build(self) -> tuple[dict, dict, dict]:
        rows = read_tsv(self.ref / "marcframe-summary.tsv")
        by_tag: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            by_tag.setdefault((r["format"], r["tag"]), []).append(r)
        formats: dict[str, dict] = {"bib": {}, "hold": {}}
        for (fmt, tag), rs in sorted(by_tag.items()):
            if fmt not in formats:
                continue
            formats[fmt][tag] = self.build_tag(fmt, tag, rs)
        self.apply_overrides(formats)
        self.apply_quiet(formats)
        hold = deepcopy(self.ov["holdings"])
        hold.pop("NOTE", None)
        st = hold["sigelTarget"]
        entity, steps = parse_steps(st["path"])
        hold["sigelTarget"] = {
            "path": st["path"],
            "entity": entity,
            "steps": steps,
            "labels": self.resolve(st["labels"]),
        }
        derived = []
        for d in self.ov["derivedTypes"]:
            d = deepcopy(d)
            d["labels"] = self.resolve([self.ov["typeLabels"][d["entity"]]])
            derived.append(d)
        typelabels = {k: v for k, v in self.ov["typeLabels"].items() if k != "NOTE"}
        built_from = {p.name: sha256(p) for p in sorted(self.ref.glob("*.tsv")) + [self.ref / "display-lenses.json"]}
        built_from["label-overrides.json"] = hashlib.sha256(json.dumps(self.ov, sort_keys=True).encode()).hexdigest()
        mapping = {
            "schema": SCHEMA,
            "generated_by": "tools/build_mapping.py (do not edit by hand; see MAPPING.md)",
            "built_from": built_from,
            "sections": self.sections(),
            "tokenMaps": self.token_maps,
            "uriClasses": self.uri_classes,
            "typeLabels": typelabels,
            "booleanLabels": self.ov["booleanLabels"],
            "holdings": hold,
            "derivedTypes": derived,
            "formats": formats,
        }
        return mapping, self.labels.table(), self.terms


# -- marcframe and the vocabulary model --------------------------------------------------------

MARCFRAME = "marcframe.json"
#: keys that are comments in marcframe (the converter never reads them), and its test cases
_COMMENT = re.compile(r"^(?:NOTE|TODO|FIXME|IMPORTANT|IMPROVE)\b|^_spec$")


def _marcframe_file(folder: Path, name: str):
    data = json.loads((folder / name).read_text(encoding="utf-8"))

    def expand(o):
        if isinstance(o, list):
            return [expand(x) for x in o]
        if not isinstance(o, dict):
            return o
        if "@include" in o:
            return expand(_marcframe_file(folder, o["@include"]))
        return {k: expand(v) for k, v in o.items()}

    return expand(data)


def _strip_comments(o):
    if isinstance(o, dict):
        return {k: _strip_comments(v) for k, v in o.items() if not _COMMENT.match(k)}
    if isinstance(o, list):
        return [_strip_comments(x) for x in o]
    return o


def build_marcframe(reference: Path) -> dict:
    """marcframe.json with its includes, as one document without comments and test cases."""
    upstream = reference / "upstream"
    folder = upstream / "marcframe"
    doc = _strip_comments(_marcframe_file(folder, MARCFRAME))
    readme = (upstream / "README.md").read_text(encoding="utf-8")
    commit = re.search(r"libris/librisxl \| `([0-9a-f]{40})`", readme)
    header = {
        "_about": "Libris's MARC21 <-> KBV mapping (marcframe) with its @include files merged, comments "
        "and _spec test cases left out; built by tools/build_mapping.py, do not edit by hand",
        "_source": "libris/librisxl whelk-core/src/main/resources/ext/marcframe*.json"
        + (f" at commit {commit.group(1)}" if commit else ""),
        "_licence": "Apache-2.0 (libris/librisxl LICENSE.txt; see THIRD_PARTY_NOTICES)",
        "_builtFrom": {p.name: sha256(p) for p in sorted(folder.glob("*.json"))},
    }
    return {**header, **doc}


def build_kbv_model(reference: Path) -> dict:
    """The KBV classes and properties as the conversion needs them: every superclass of a class,
    every subproperty of a property (both transitive), and the language map of a property."""
    from rdflib import RDFS, Graph, URIRef

    defs = reference / "upstream" / "definitions"
    g = Graph()
    ttls = sorted((defs / "source" / "vocab").glob("*.ttl")) + sorted((defs / "source" / "marc").glob("*.ttl"))
    for p in ttls:
        g.parse(p, format="turtle")
    ctx = json.loads((defs / "sys" / "context" / "kbv.jsonld").read_text(encoding="utf-8"))["@context"]
    vocab = ctx.get("@vocab", "https://id.kb.se/vocab/")
    prefixes: dict[str, str] = {}
    for k, v in ctx.items():
        if isinstance(v, str) and v.endswith(("/", "#")):
            prefixes[v] = k
        elif isinstance(v, dict) and v.get("@prefix") is True and isinstance(v.get("@id"), str):
            prefixes[v["@id"]] = k

    def term(u) -> str:
        text = str(u)
        if text.startswith(vocab):
            return text[len(vocab) :]
        best = max((ns for ns in prefixes if text.startswith(ns)), key=len, default=None)
        return f"{prefixes[best]}:{text[len(best) :]}" if best else text

    def closure(direct: dict[str, set[str]]) -> dict[str, list[str]]:
        out = {}
        for k in sorted(direct):
            seen: set[str] = set()
            stack = list(direct[k])
            while stack:
                x = stack.pop()
                if x not in seen and x != k:
                    seen.add(x)
                    stack.extend(direct.get(x, ()))
            out[k] = sorted(seen)
        return out

    supers: dict[str, set[str]] = {}
    for a, b in g.subject_objects(RDFS.subClassOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            supers.setdefault(term(a), set()).add(term(b))
    subs: dict[str, set[str]] = {}
    for a, b in g.subject_objects(RDFS.subPropertyOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            subs.setdefault(term(b), set()).add(term(a))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from build_vocab import BY_LANG

    return {
        "_about": "The KBV class and property hierarchy and language maps the MARC conversion needs; built "
        "by tools/build_mapping.py from libris/definitions source/vocab and source/marc (see THIRD_PARTY_NOTICES)",
        "_builtFrom": {p.name: sha256(p) for p in ttls},
        "superClasses": closure(supers),
        "subProperties": closure(subs),
        "languageMaps": {p: f"{p}ByLang" for p in sorted(BY_LANG)},
    }


def dump_json(obj) -> str:
    """One entry a line (a tag of the mapping, a term of a label table): small and diffable."""

    def one(v):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    def block(d: dict, indent: str) -> str:
        items = [f"{indent} {one(k)}: {one(v)}" for k, v in d.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"

    lines = []
    for k, v in obj.items():
        if k == "formats":
            inner = ",\n".join(f"  {one(fmt)}: {block(tags, '  ')}" for fmt, tags in v.items())
            lines.append(f" {one(k)}: {{\n{inner}\n }}")
        elif isinstance(v, dict) and len(v) > 20:
            lines.append(f" {one(k)}: {block(v, ' ')}")
        else:
            lines.append(f" {one(k)}: {one(v)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed files are out of date")
    a = ap.parse_args(argv)
    overrides = json.loads((DATA / "label-overrides.json").read_text(encoding="utf-8"))
    mapping, kbv, terms = Builder(a.reference, overrides).build()
    outputs = {
        "label-mapping.json": dump_json(mapping),
        "kbv-labels.json": dump_json(kbv),
        "term-labels.json": dump_json(terms),
        MARCFRAME: json.dumps(build_marcframe(a.reference), ensure_ascii=False, indent=0) + "\n",
        "kbv-model.json": json.dumps(build_kbv_model(a.reference), ensure_ascii=False, indent=0) + "\n",
    }
    stale = []
    for name, text in outputs.items():
        p = a.out / name
        if a.check:
            if not p.exists() or p.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            p.write_text(text, encoding="utf-8")
            print(f"wrote {p} ({len(text.encode()) // 1024} KiB)")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
