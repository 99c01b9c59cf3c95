"""Every dialog over the hostile files: no raw control byte reaches the terminal, and record text
keeps its own bytes unless the cataloguer edits it (issue 15, point 3).

The app runs under Pilot with a driver that keeps what Textual writes (``CaptureDriver``: the
headless driver draws nothing; this one is handed the very escape sequences a terminal would
get). After each dialog opens, the bytes written since the last look must hold no control
character but Textual's own sequences (colours, cursor moves, the pointer shape) and none of the
records' payloads; and the net under every drawn line (``tui.ui.safe.ControlFilter``) must have
caught nothing, so every widget had already shown its text as visible stand-ins (``␛[2J``).

The files: the terminal-attack records of ``tests/data/hostile/`` in every format (a channel
record: read-only, so its edit dialogs are refused and the others are driven), and an editable
file made here with the payloads of the issue (ESC [ 2 J, OSC 0, OSC 52, DSR, DCS, OSC 8, C1
CSI and OSC, U+202E, BEL, an SGR colour) in titles, subfields, 001, 008, identifiers, URIs, a
broken record and the file name itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from functional_helpers import build_app, focus_marc_line, main_screen, screen_text
from pymarc import Field, Leader, Record, Subfield
from textual import events
from textual.drivers.headless_driver import HeadlessDriver
from textual.screen import ModalScreen
from textual.widgets import Input

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile"
ATTACK_FILES = sorted(HOSTILE.glob("terminal-attack.*"))

#: what a terminal may act on (newline aside): C0, DEL, C1, bidi controls, lone surrogates
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: the sequences Textual itself writes: colours (SGR), cursor moves (CUP), modes, the pointer shape
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]|\x1b\]22;[a-z-]+\x07")

#: the issue's payloads (and an SGR colour, which looks like Textual's own: only the net and the
#: payload check see it)
PAYLOADS = {
    "csi-clear": "\x1b[2J\x1b[H",
    "osc0-title": "\x1b]0;pwned\x07",
    "osc52-clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "dsr": "\x1b[6n",
    "dcs": "\x1bP+q544e\x1b\\",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\klick\x1b]8;;\x1b\\",
    "c1-csi": "\x9b2J",
    "c1-osc": "\x9d0;pwned\x9c",
    "bidi": "\u202eevil\u202c",
    "bell": "\x07",
    "sgr": "\x1b[5;31m",
}
#: what must never be in the bytes written, whatever else is
RAW_PAYLOADS = [
    "\x1b[2J",
    "\x1b]0;",
    "\x1b]52;",
    "\x1b[6n",
    "\x1bP",
    "\x1b]8;",
    "\x9b",
    "\x9d",
    "\u202e",
    "\x07efter",
    "\x1b[H",
    "\x1b[5;31mefter",  # the record's SGR (blinking red) just before the text after it
]
#: the field the round-trip tests edit: an ESC in $a, plain text in $b
ESC_VALUE = "före" + PAYLOADS["csi-clear"] + "efter"
NASTY_NAME = "fientlig\x1b]0;namn\x07\u202e.mrc"


def editable_records() -> list[Record]:
    """An ordinary record (every edit allowed) and an e-plikt record with 506 restricted, 856
    second indicator 0 and SUPPRESSRECORD (add-holding, move-restricted-uris), payloads in each."""
    p = PAYLOADS
    plain = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    plain.add_field(
        Field("001", data="hos" + p["dsr"] + "1"),
        Field("008", data="200101s2020    sw |||||o|||||||||||sw\x1b|d"),
        Field("020", [" ", " "], [Subfield("a", "91" + p["osc0-title"])]),
        Field("100", ["1", " "], [Subfield("a", "Berg, " + p["bidi"])]),
        Field(
            "245",
            ["1", "0"],
            [Subfield("a", "Fientlig titel " + p["osc0-title"] + p["bidi"]), Subfield("b", "under" + p["c1-csi"])],
        ),
        Field("500", [" ", " "], [Subfield("a", ESC_VALUE), Subfield("b", "vanlig text")]),
    )
    for name, text in p.items():
        plain.add_field(Field("500", [" ", " "], [Subfield("a", f"{name}: före{text}efter")]))
    plain.add_field(Field("650", [" ", "7"], [Subfield("a", "Ämne" + p["dcs"]), Subfield("2", "sao")]))
    eplikt = Record(force_utf8=True, leader=Leader("00000nam a2200000 i 4500"))
    eplikt.add_field(
        Field("001", data="eplr" + p["c1-csi"]),
        Field("008", data="190320s2019    sw |||||o|||||||||||swe|d"),
        Field("024", ["7", " "], [Subfield("a", "urn:nbn:se:kb:eplikt-" + p["osc52-clipboard"]), Subfield("2", "urn")]),
        Field("040", [" ", " "], [Subfield("a", "MimerProd")]),
        Field("042", [" ", " "], [Subfield("9", "EPLK")]),
        Field(
            "245",
            ["1", "0"],
            [
                Subfield("a", "E-plikt " + p["osc0-title"] + p["osc8-link"] + p["bidi"]),
                Subfield("h", "[Elektronisk resurs]"),
            ],
        ),
        Field("264", [" ", "1"], [Subfield("c", "2012")]),
        Field("506", [" ", " "], [Subfield("a", "restricted")]),
        Field("599", [" ", " "], [Subfield("a", "SUPPRESSRECORD")]),
        Field("856", ["4", "0"], [Subfield("u", "https://example.org/home" + p["osc52-clipboard"] + p["c1-osc"])]),
    )
    return [plain, eplikt]


#: a record that cannot be read, its bytes full of escapes (the broken-record dialogs quote it)
BROKEN = b"00099nam a2200000 i 4500\x1b[2J\x1b]0;broken\x07 garbage\x1d"


def write_editable(folder: Path, *, broken: bool = True, name: str = NASTY_NAME) -> Path:
    path = folder / name
    path.write_bytes(b"".join(r.as_marc() for r in editable_records()) + (BROKEN if broken else b""))
    return path


# -- the terminal -------------------------------------------------------------------------------------


class CaptureDriver(HeadlessDriver):
    """The headless driver, but the app draws: what it writes is kept (``written``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.written: list[str] = []

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written.append(data)

    def flush(self) -> None:
        pass


class Terminal:
    """What the app wrote, looked at dialog by dialog."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen = 0
        self.caught = 0
        self.problems: list[str] = []
        self.shown: set[type] = set()
        self.bytes = 0

    @property
    def driver(self) -> CaptureDriver:
        return self.app._driver

    def look(self, where: str) -> None:
        """Everything written since the last look: no raw control byte, no payload; the net
        caught nothing."""
        written = self.driver.written
        # the app's own bell (a refused key in an input) is a write of its own
        chunk = "".join(w for w in written[self.seen :] if w != "\x07")
        self.seen = len(written)
        self.bytes += len(chunk)
        self.shown.add(type(self.app.screen))
        rest = OWN_SEQUENCES.sub("", chunk)
        for m in RAW_CONTROL.finditer(rest):
            around = rest[max(0, m.start() - 40) : m.start() + 20]
            self.problems.append(f"{where}: raw {m.group(0)!r} written: {around!r}")
            break
        for payload in RAW_PAYLOADS:
            if payload in chunk:
                self.problems.append(f"{where}: {payload!r} written raw")
        net = self.app.control_filter
        if net.caught != self.caught:
            self.problems.append(f"{where}: {net.caught - self.caught} line(s) needed the net: {net.examples[-3:]}")
            self.caught = net.caught

    def assert_clean(self) -> None:
        assert self.bytes > 0, "nothing was captured"
        assert not self.problems, "\n".join(self.problems)


def hostile_app(path: Path, **kwargs):
    app = build_app(path, **kwargs)
    app.toasts = True  # the toasts are part of what is drawn
    app.driver_class = CaptureDriver
    return app


async def settle(pilot, rounds: int = 3) -> None:
    await pilot.app.workers.wait_for_complete()
    for _ in range(rounds):
        await pilot.pause()


async def until(pilot, kind, tries: int = 100) -> bool:
    for _ in range(tries):
        await pilot.pause(0.03)
        if isinstance(pilot.app.screen, kind) and pilot.app.screen.is_mounted:
            await settle(pilot)
            return True
    return False


async def back_to_main(pilot) -> None:
    from tui.ui.screens.main_screen import MainScreen

    for _ in range(6):
        if isinstance(pilot.app.screen, MainScreen):
            return
        await pilot.press("escape")
        await settle(pilot, 2)
    assert isinstance(pilot.app.screen, MainScreen), f"stuck in {type(pilot.app.screen).__name__}"


def key(app, binding_id: str) -> str:
    return app.keymap.keys(binding_id)[0]


async def open_with(pilot, term: Terminal, where: str, binding_id: str, *, line: str | None = None, part=None):
    """Put the cursor on ``line`` (a MARC line's start), press the key of ``binding_id``, look."""
    if line is not None:
        await focus_marc_line(pilot, line, part)
    await pilot.press(key(pilot.app, binding_id))
    await settle(pilot)
    term.look(where)


# -- the drive ------------------------------------------------------------------------------------------


async def drive_read_only(pilot, term: Terminal) -> None:
    """What every file gets: the views, search, validation, export, help, the palette, changes,
    field help, the fixed fields, the recover list, and the edit keys (refused or not)."""
    from tui.ui.dialogs.export_dialog import ExportDialog
    from tui.ui.dialogs.findings_dialog import FindingsDialog

    app = pilot.app
    screen = main_screen(app)
    await settle(pilot)
    term.look("start")
    await pilot.press(key(app, "toggle-channel"))
    await settle(pilot)
    for slot in range(len(screen.session)):
        screen.navigation.go_to_slot(slot)
        await settle(pilot)
        for view in ("labels", "marc"):
            screen._show_view(view)
            w = screen.labels if view == "labels" else screen.marc
            w.focus()
            for _ in range(len(w.lines)):
                await pilot.press("down")
            await settle(pilot, 1)
            term.look(f"record {slot + 1}, {view} view")
        for binding_id in ("edit-field", "edit-line", "fixed-field-editor", "field-help", "add-subfield"):
            for line in ("001", "008", "245", "500"):
                if not any(ln.text.startswith(line) for ln in screen.marc.lines):
                    continue
                await open_with(pilot, term, f"record {slot + 1}: {binding_id} on {line}", binding_id, line=line)
                await back_to_main(pilot)
    screen.navigation.go_to_slot(0)
    await settle(pilot)
    await pilot.press(key(app, "search"), *"före")
    await settle(pilot, 6)
    term.look("search")
    await pilot.press("tab")
    await settle(pilot)
    term.look("search hits")
    await back_to_main(pilot)
    await pilot.press(key(app, "validate"))
    await until(pilot, FindingsDialog)
    term.look("validation findings")
    await back_to_main(pilot)
    await pilot.press(key(app, "export"))
    await until(pilot, ExportDialog)
    term.look("export")
    await back_to_main(pilot)
    for binding_id in ("help", "show-changes", "recover", "new-record", "find-replace"):
        await open_with(pilot, term, binding_id, binding_id)
        await back_to_main(pilot)
    await pilot.press(key(app, "command-palette"))
    await settle(pilot)
    await pilot.press(*"save")
    await settle(pilot)
    app.post_message(events.Paste(PAYLOADS["osc52-clipboard"] + "x"))
    await settle(pilot)
    term.look("command palette, a paste")
    await back_to_main(pilot)


async def drive_editing(pilot, term: Terminal) -> None:
    """The editable file: every edit dialog, on fields full of payloads, each with a problem or a
    change where it has one, and what follows an edit (changes, undo, save, quit)."""
    from tui.ui.dialogs.broken_dialog import BrokenRecordDialog, BrokenRecordsDialog
    from tui.ui.dialogs.editing.line_dialog import LineDialog
    from tui.ui.screens.changes_screen import ChangesScreen

    app = pilot.app
    screen = main_screen(app)
    screen.navigation.go_to_slot(0)
    await settle(pilot)
    steps = [
        ("edit the leader", "edit-field", "000", None),
        ("edit 008 as a whole", "edit-field", "008", None),
        ("a whole field", "edit-field", "500 -/- #a före", None),
        ("indicators", "edit-field", "500 -/- #a före", 0),
        ("a subfield", "edit-field", "500 -/- #a före", 1),
        ("add a subfield", "add-subfield", "245", None),
        ("the line editor", "edit-line", "500 -/- #a före", None),
        ("the fixed fields of 008", "fixed-field-editor", "008", None),
        ("field help", "field-help", "008", None),
        ("delete a field", "delete-field", "500 -/- #a före", None),
        ("delete a subfield", "delete-subfield", "500 -/- #a före", 1),
        ("add a field", "add-field", None, None),
    ]
    for where, binding_id, line, part in steps:
        await open_with(pilot, term, where, binding_id, line=line, part=part)
        if where == "the line editor":
            assert isinstance(app.screen, LineDialog), f"{where}: {type(app.screen).__name__}"
            inp = app.screen.query_one("#line", Input)
            inp.insert("X", 6)  # the second indicator is now two characters: a problem at its column
            await pilot.press("enter")
            await settle(pilot)
            term.look("the line editor, a problem shown")
            assert app.screen.shown_problem, "the line editor showed no problem"
        if where == "add a field":
            app.screen.query_one("#tag", Input).value = "500"
            body = app.screen.query_one("#body", Input)
            body.focus()
            await settle(pilot)
            app.post_message(events.Paste("#a inklistrat " + PAYLOADS["csi-clear"]))
            await settle(pilot)
            term.look("add a field, pasted escapes in the preview")
        await back_to_main(pilot)
    # an edit (so that there are changes, a journal line, toasts): 500 $b
    await focus_marc_line(pilot, "500 -/- #a före", 2)
    await pilot.press(key(app, "edit-field"))
    await settle(pilot)
    app.screen.query_one("#value", Input).value = "ändrad " + PAYLOADS["c1-osc"]
    await pilot.press("enter")
    await settle(pilot)
    term.look("after an edit")
    await open_with(pilot, term, "the changes", "show-changes")
    assert isinstance(app.screen, ChangesScreen)
    await back_to_main(pilot)
    for binding_id in ("undo", "redo"):
        await open_with(pilot, term, binding_id, binding_id)
    # find and replace: its preview is the changes screen
    await open_with(pilot, term, "find and replace", "find-replace")
    app.screen.query_one("#pattern", Input).value = "efter"
    app.screen.query_one("#replacement", Input).value = "EFTER"
    await pilot.press("enter")
    await until(pilot, ChangesScreen)
    term.look("find and replace, its preview")
    await back_to_main(pilot)
    # a task list: one whose action is an escape sequence (the dialog says what is wrong with
    # it), then one that works (its preview is the changes screen)
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="libris-tasks-"))
    bad, good = folder / "bad.toml", folder / "good.toml"
    bad.write_text('[[operation]]\naction = "\\u001b[2J\\u009b2J"\ntag = "500"\n', "utf-8")
    good.write_text(
        '[[operation]]\naction = "replace-subfield"\ntag = "500"\ncode = "a"\npattern = "efter"\n'
        'replacement = "EFTER"\n',
        "utf-8",
    )
    await open_with(pilot, term, "task list", "run-tasks")
    app.screen.query_one("#path", Input).value = str(bad)
    await pilot.press("enter")
    await settle(pilot)
    term.look("task list, a bad one")
    app.screen.query_one("#path", Input).value = str(good)
    await pilot.press("enter")
    await until(pilot, ChangesScreen)
    term.look("task list, its preview")
    await back_to_main(pilot)
    # the e-plikt record: add a holding, move the restricted URI
    screen.navigation.go_to_slot(1)
    await settle(pilot)
    for binding_id in ("add-holding", "move-restricted-uris", "clear-suppress"):
        await open_with(pilot, term, binding_id, binding_id)
        await back_to_main(pilot)
    # the broken record: shown, and asked about on save
    screen.navigation.go_to_slot(2)
    await settle(pilot)
    term.look("the broken record")
    await pilot.press(key(app, "save"))
    await until(pilot, ChangesScreen)
    term.look("save: the changes first")
    await pilot.press(key(app, "save"))
    await until(pilot, BrokenRecordsDialog)
    term.look("save: the unreadable records")
    if isinstance(app.screen, BrokenRecordsDialog):
        app.push_screen(BrokenRecordsDialog(screen.session.broken_records(), NASTY_NAME))
        await settle(pilot)
        term.look("the unreadable records listed")
        await pilot.press("escape")
        await settle(pilot)
    await back_to_main(pilot)
    broken = [screen.session.entry(2)]
    app.push_screen(BrokenRecordDialog(broken[0], 1, 1))
    await settle(pilot)
    term.look("one unreadable record")
    await back_to_main(pilot)
    # a crash journal's dialogs, with text from outside (the host, the description)
    await drive_journal_dialogs(pilot, term)
    # quit with unsaved changes
    await open_with(pilot, term, "quit with unsaved changes", "quit")
    await back_to_main(pilot)


class _Pending:
    """A crash journal as the recover list shows one (its host and description come from outside)."""

    last_time = 1_700_000_000.0
    edits = 3
    host = "värd" + PAYLOADS["osc0-title"]
    problem = "skadad" + PAYLOADS["csi-clear"]

    def file_change(self):
        return None

    def describe(self) -> str:
        return "3 unsaved edits to " + NASTY_NAME


async def drive_journal_dialogs(pilot, term: Terminal) -> None:
    from tui.ui.dialogs.recover_dialog import RecoverDialog
    from tui.ui.dialogs.restore_dialog import RestoreDialog

    app = pilot.app
    app.push_screen(RestoreDialog(_Pending().describe()))
    await settle(pilot)
    term.look("restore a crash journal")
    await back_to_main(pilot)
    app.push_screen(RecoverDialog([_Pending()], NASTY_NAME))
    await settle(pilot)
    term.look("the crash journals of this file")
    await back_to_main(pilot)


def dialog_classes() -> set[type]:
    """Every modal screen the app has (every module under tui/ui/dialogs and tui/ui/screens)."""
    import importlib
    import pkgutil

    import tui.ui.dialogs
    import tui.ui.screens

    for pkg in (tui.ui.dialogs, tui.ui.screens):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    # (the bases in dialogs/base.py are not dialogs of their own)
    return {
        c for c in below(ModalScreen) if c.__module__.startswith("tui.ui.") and c.__module__ != "tui.ui.dialogs.base"
    }


# -- the tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ATTACK_FILES, ids=lambda p: p.name)
async def test_dialogs_over_the_attack_files_write_no_raw_control_byte(path: Path):
    app = hostile_app(path, sigel="Li")
    async with app.run_test(headless=False, size=(120, 40)) as pilot:
        term = Terminal(app)
        await drive_read_only(pilot, term)
        term.assert_clean()


async def test_every_dialog_over_an_editable_hostile_file_writes_no_raw_control_byte(tmp_path):
    path = write_editable(tmp_path)
    app = hostile_app(path, sigel="Li")
    async with app.run_test(headless=False, size=(120, 40)) as pilot:
        term = Terminal(app)
        await drive_read_only(pilot, term)
        await drive_editing(pilot, term)
        term.assert_clean()
        missing = sorted(c.__qualname__ for c in dialog_classes() - term.shown)
        assert not missing, f"dialogs this test never opened (drive them too): {missing}"


async def test_the_capture_sees_raw_bytes_when_nothing_makes_them_visible(tmp_path):
    """The harness itself: a plain Textual Input with an ESC, the net off, is seen writing it."""
    from textual.widgets import Input as PlainInput

    from tui.ui.dialogs.base import Dialog

    class Bare(Dialog[None]):
        def compose(self):
            yield PlainInput(ESC_VALUE)

    app = hostile_app(write_editable(tmp_path, broken=False), sigel="Li")
    async with app.run_test(headless=False, size=(120, 40)) as pilot:
        term = Terminal(app)
        await settle(pilot)
        term.look("start")
        assert not term.problems
        app.control_filter.enabled = False
        app.push_screen(Bare())
        await settle(pilot)
        term.look("a bare Input")
        assert any("\\x1b[2J" in p for p in term.problems), term.problems
        # with the net on again, nothing raw goes out, and the net says that it caught it
        app.pop_screen()
        await settle(pilot)
        term.look("closed")
        term.problems.clear()
        app.control_filter.enabled = True
        app.push_screen(Bare())
        await settle(pilot)
        term.look("a bare Input, the net on")
        assert term.problems and all("needed the net" in p for p in term.problems), term.problems


# -- the record keeps its own bytes --------------------------------------------------------------------


def _field_500(app):
    rec = main_screen(app).session.entry(0)
    return next(f for f in rec.marc.get_fields("500") if f.subfields[0].value == ESC_VALUE or f["b"])


async def test_an_escape_is_shown_in_the_dialog_and_kept_when_not_edited(tmp_path):
    from tui.ui.dialogs.editing.field_dialog import FieldDialog
    from tui.ui.dialogs.editing.subfield_dialog import SubfieldDialog

    app = hostile_app(write_editable(tmp_path, broken=False))
    async with app.run_test(headless=False, size=(120, 40)) as pilot:
        # the whole field: shown with ␛, saved unchanged -> nothing changed, the ESC is there
        await focus_marc_line(pilot, "500 -/- #a före")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, FieldDialog)
        value = app.screen.query_one("#value-0", Input)
        assert value.value == "före␛[2J␛[Hefter"
        assert "före␛[2J␛[Hefter" in screen_text(app)
        for _ in range(4):  # value 1, code 2, value 2: enter on the last saves
            if not isinstance(app.screen, FieldDialog):
                break
            await pilot.press("enter")
            await settle(pilot)
        assert not isinstance(app.screen, FieldDialog)
        assert not main_screen(app).session.dirty
        assert ("Edit 500", "Nothing changed.", "information") in app.said
        # another subfield changed in the same dialog: $a keeps its ESC byte
        await focus_marc_line(pilot, "500 -/- #a före")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#value-1", Input).value = "ändrad text"
        app.screen.query_one("#save").press()
        await settle(pilot)
        f = _field_500(app)
        assert [(sf.code, sf.value) for sf in f.subfields] == [("a", ESC_VALUE), ("b", "ändrad text")]
        # the subfield itself edited around the escape: the ESC stays, the typed text is added
        await focus_marc_line(pilot, "500 -/- #a före", 1)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, SubfieldDialog)
        inp = app.screen.query_one("#value", Input)
        inp.cursor_position = len(inp.value)
        await pilot.press(*" mer")
        await pilot.press("enter")
        await settle(pilot)
        assert _field_500(app)["a"] == ESC_VALUE + " mer"
        # the stand-in deleted: the ESC goes (and only it)
        await focus_marc_line(pilot, "500 -/- #a före", 1)
        await pilot.press("e")
        await settle(pilot)
        inp = app.screen.query_one("#value", Input)
        inp.cursor_position = len("före") + 1
        await pilot.press("backspace", "enter")
        await settle(pilot)
        assert _field_500(app)["a"] == "före[2J\x1b[Hefter mer"
        term = Terminal(app)
        term.look("the edits")
        term.assert_clean()


async def test_the_line_editor_and_the_control_field_keep_their_escapes(tmp_path):
    from tui.ui.dialogs.editing.control_field_dialog import ControlFieldDialog
    from tui.ui.dialogs.editing.line_dialog import LineDialog

    app = hostile_app(write_editable(tmp_path, broken=False))
    async with app.run_test(headless=False, size=(120, 40)) as pilot:
        session = main_screen(app).session
        await focus_marc_line(pilot, "008")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ControlFieldDialog)
        assert app.screen.query_one("#value", Input).value.endswith("sw␛|d")
        await pilot.press("enter")
        await settle(pilot)
        assert session.entry(0).marc["008"].data.endswith("sw\x1b|d")
        # the line editor: the line form writes C0 and C1 controls as mnemonics ({esc}, {U+009B}); a
        # bidi control it keeps, and the input shows it
        await focus_marc_line(pilot, "245")
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, LineDialog)
        line = app.screen.query_one("#line", Input)
        assert "{U+009B}" in line.value and "\\u202e" in line.value
        assert not RAW_CONTROL.search(line.value)
        line.cursor_position = len(line.value)
        await pilot.press(*" mer", "enter")
        await settle(pilot)
        f = session.entry(0).marc["245"]
        assert f["a"] == "Fientlig titel " + PAYLOADS["osc0-title"] + PAYLOADS["bidi"]
        assert f["b"] == "under" + PAYLOADS["c1-csi"] + " mer"
        # set from code, the value is the raw text (shown safely, kept as it is)
        await pilot.press("E")
        await settle(pilot)
        line = app.screen.query_one("#line", Input)
        line.value = line.raw_value.replace("Fientlig", "Vänlig")
        assert not RAW_CONTROL.search(line.value)
        await pilot.press("enter")
        await settle(pilot)
        f = session.entry(0).marc["245"]
        assert f["a"] == "Vänlig titel " + PAYLOADS["osc0-title"] + PAYLOADS["bidi"]
        assert f["b"] == "under" + PAYLOADS["c1-csi"] + " mer"
        term = Terminal(app)
        term.look("the edits")
        term.assert_clean()
