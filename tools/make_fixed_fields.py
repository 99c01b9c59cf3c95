"""Build tui/data/fixed-fields.json: the positions of the leader, 006, 007 and 008 (bibliographic)
and of the holdings leader and 008, each named in Swedish and English with its code list, from
Libris's own MARC 21 definitions (libris/definitions, scripts/marc/marcmap.json, Apache-2.0;
copied in ../shared/reference/marc21/libris-marcmap/).

    python tools/make_fixed_fields.py [MARCMAP.json] [-o tui/data/fixed-fields.json]

What is kept: per tag, the layouts ("fixmaps") with what selects them (the leader's type of
record and bibliographic level for 008, 006/00 for 006, 007/00 for 007), and per position its
offset, length, names, default and codes (Libris writes a blank as "_": written " " here).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: ../shared beside the checkout, or LIBRIS_TUI_SHARED (a git worktree elsewhere)
SHARED = Path(os.environ.get("LIBRIS_TUI_SHARED") or ROOT.parent / "shared")
DEFAULT_IN = SHARED / "reference" / "marc21" / "libris-marcmap" / "marcmap.json"
DEFAULT_OUT = ROOT / "tui" / "data" / "fixed-fields.json"


#: the layouts' names (marcmap names them by an English word only)
NAMES = {
    "BibLeader": ("Postetikett", "Leader"),
    "HoldLeader": ("Postetikett (bestånd)", "Leader (holdings)"),
    "Holdings": ("Bestånd", "Holdings"),
    "Books": ("Böcker", "Books"),
    "Computer": ("Datorfiler", "Computer files"),
    "Maps": ("Kartor", "Maps"),
    "Mixed": ("Blandat material", "Mixed materials"),
    "Music": ("Musik", "Music"),
    "Serials": ("Seriella resurser", "Continuing resources"),
    "Visual": ("Visuellt material", "Visual materials"),
    "Map": ("Karta", "Map"),
    "ComputerFile": ("Datorfil", "Electronic resource"),
    "Globe": ("Glob", "Globe"),
    "TactileMaterial": ("Taktilt material", "Tactile material"),
    "ProjectedGraphic": ("Projicerad bild", "Projected graphic"),
    "Microform": ("Mikroform", "Microform"),
    "NonprojectedGraphic": ("Icke-projicerad bild", "Nonprojected graphic"),
    "MotionPicture": ("Film", "Motion picture"),
    "Kit": ("Kit", "Kit"),
    "NotatedMusic": ("Musiktryck", "Notated music"),
    "RemoteSensingImage": ("Fjärranalysbild", "Remote-sensing image"),
    "SoundRecording": ("Ljudupptagning", "Sound recording"),
    "Text": ("Text", "Text"),
    "VideoRecording": ("Videoupptagning", "Videorecording"),
    "Unspecified": ("Ospecificerat", "Unspecified"),
}


def _blank(s: str) -> str:
    return s.replace("_", " ")


def _layouts(entry: dict, props: dict) -> list[dict]:
    out = []
    for fm in entry.get("fixmaps", []):
        cols = []
        for c in fm["columns"]:
            codes = {}
            for code, d in (props.get(c.get("propRef", ""), {}) or {}).items():
                codes[_blank(code)] = [d.get("label_sv", ""), d.get("label_en", "")]
            col = {
                "offset": c["offset"],
                "length": c["length"],
                "sv": c.get("label_sv", ""),
                "en": c.get("label_en", c.get("label_sv", "")),
                "default": _blank(c.get("default", "")),
            }
            if codes and not c.get("placeholder"):
                col["codes"] = codes
            cols.append(col)
        tag, _, word = fm["name"].partition("_")
        sv, en = NAMES.get(word, (fm.get("label_sv", word), fm.get("label_en", word)))
        layout = {"name": fm["name"], "sv": f"{tag} {sv}", "en": f"{tag} {en}"}
        layout["keys"] = fm.get("matchKeys", [])
        if fm.get("matchRecTypeBibLevel"):
            layout["type_level"] = fm["matchRecTypeBibLevel"]
        layout["columns"] = sorted(cols, key=lambda c: c["offset"])
        out.append(layout)
    return out


def build(marcmap: dict) -> dict:
    out: dict = {
        "_source": "libris/definitions scripts/marc/marcmap.json (Apache-2.0), reshaped by tools/make_fixed_fields.py",
    }
    for kind in ("bib", "hold"):
        part = marcmap[kind]
        props = part.get("fixprops", {})
        out[kind] = {tag: _layouts(part[tag], props) for tag in ("000", "006", "007", "008") if tag in part}
        out[kind] = {tag: v for tag, v in out[kind].items() if v}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("marcmap", nargs="?", default=str(DEFAULT_IN))
    ap.add_argument("-o", "--output", default=str(DEFAULT_OUT))
    args = ap.parse_args()
    data = build(json.loads(Path(args.marcmap).read_text("utf-8")))
    Path(args.output).write_text(json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n", "utf-8")
    print(f"{args.output}: {sum(len(v) for k in ('bib', 'hold') for v in data[k].values())} layouts")


if __name__ == "__main__":
    main()
