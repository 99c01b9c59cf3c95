"""Every user action, by binding id: the contract between code, keymap files and help.

(Harlequin's ``actions.py``, Posting's binding ids.) ``keymaps/default.toml`` lists the same ids
with the same keys (a test checks it); a user's keymap changes the keys, never the ids. The
footer, the help screen, the command palette and every hint on screen take their keys from the
active keymap through ``key_display``.

``group``: ``global`` actions are on the main screen (active whatever pane has focus); ``nav``
ones move the cursor in every pane (record list, label view, MARC view), so they compete with the
global keys; ``pane`` ones belong to one pane and shadow a global key there on purpose (``enter``
opens a record in the list and edits a subfield in a view).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

from tui.ui.i18n import N_

Group = Literal["global", "nav", "pane"]


@dataclass(frozen=True)
class ActionSpec:
    id: str
    #: Textual action name (on the main screen for global ones, on the pane for nav ones)
    action: str
    #: short text for the footer and the palette
    title: str
    #: one sentence for the help screen and the palette
    help: str
    keys: str
    group: Group = "global"
    footer: bool = False
    palette: bool = True


ACTIONS: tuple[ActionSpec, ...] = (
    # the footer shows the footer=True ones in this order: help and quit first, so that even at
    # 80 columns the way out and the way to every other key are on screen
    ActionSpec("help", "help", N_("Help"), N_("Show the keys of the active keymap."), "f1,question_mark", footer=True),
    ActionSpec(
        "quit", "quit", N_("Quit"), N_("Quit; asks first when there are unsaved changes."), "q,f10", footer=True
    ),
    # -- records -------------------------------------------------------------------------------
    ActionSpec("next-record", "next_record", N_("Next"), N_("Go to the next record in the list."), "n"),
    ActionSpec("previous-record", "previous_record", N_("Previous"), N_("Go to the previous record in the list."), "p"),
    ActionSpec(
        "search",
        "search",
        N_("Search"),
        N_("Search titles, identifiers and control numbers, and jump."),
        "slash,ctrl+f",
        footer=True,
    ),
    ActionSpec(
        "toggle-channel",
        "toggle_channel",
        N_("Channel"),
        N_("Show or hide channel records (CHN-HIDE: hidden until you ask)."),
        "c",
        footer=True,
    ),
    ActionSpec(
        "toggle-language", "toggle_language", N_("Sv/En"), N_("Switch the label view between Swedish and English."), "l"
    ),
    ActionSpec(
        "switch-view",
        "switch_view",
        N_("Labels/MARC"),
        N_("Show the other view when only one fits (narrow terminals); move to the other view otherwise."),
        "o,f6",
    ),
    # -- editing -------------------------------------------------------------------------------
    ActionSpec(
        "edit-field",
        "edit_field",
        N_("Edit"),
        N_("Edit the subfield or the indicators under the cursor."),
        "e,enter",
        footer=True,
    ),
    ActionSpec(
        "add-field",
        "add_field",
        N_("Add field"),
        N_("Add a field to the record (e.g. a 650 subject heading)."),
        "a,insert",
        footer=True,
    ),
    ActionSpec("delete-field", "delete_field", N_("Del field"), N_("Delete the field under the cursor."), "d"),
    ActionSpec(
        "add-subfield", "add_subfield", N_("Add subfield"), N_("Add a subfield to the field under the cursor."), "plus"
    ),
    ActionSpec(
        "delete-subfield",
        "delete_subfield",
        N_("Del subfield"),
        N_("Delete the subfield under the cursor."),
        "minus,delete",
    ),
    ActionSpec(
        "edit-line",
        "edit_line",
        N_("Edit line"),
        N_(
            "Edit the field under the cursor as one line of MARC text (=245  10$aTitle$bSub); "
            "checked when you press enter, the problem shown at its column. Pasting lines adds fields."
        ),
        "E",
    ),
    ActionSpec(
        "fixed-field-editor",
        "fixed_field_editor",
        N_("Fixed fields"),
        N_("Edit the leader, 006, 007 or 008 position by position, with the codes this record type allows."),
        "f",
    ),
    ActionSpec(
        "yank-field",
        "yank_field",
        N_("Yank"),
        N_("Copy the field under the cursor to the register (also for another record or another file)."),
        "y",
    ),
    ActionSpec(
        "put-field",
        "put_field",
        N_("Put"),
        N_("Add the fields in the register to this record (undoable)."),
        "P",
    ),
    ActionSpec(
        "duplicate-field", "duplicate_field", N_("Duplicate"), N_("Add a copy of the field under the cursor."), "D"
    ),
    ActionSpec(
        "field-help",
        "field_help",
        N_("Field help"),
        N_("What the field under the cursor is: name, whether it repeats, indicators and subfield codes."),
        "i",
    ),
    ActionSpec("undo", "undo", N_("Undo"), N_("Undo the last edit."), "u,ctrl+z", footer=True),
    ActionSpec("redo", "redo", N_("Redo"), N_("Redo the edit last undone."), "r,ctrl+y"),
    ActionSpec(
        "find-replace",
        "find_replace",
        N_("Replace"),
        N_(
            "Find and replace with a regular expression in one tag and subfield or in all, over the whole "
            "file; shows the changes first, then one undoable edit per record."
        ),
        "F",
    ),
    ActionSpec(
        "run-tasks",
        "run_tasks",
        N_("Task list"),
        N_(
            "Run a task list (the TOML file libris-tui batch runs) on this record or every record; shows "
            "the changes first, then one undoable edit per record."
        ),
        "T",
    ),
    # -- records -------------------------------------------------------------------------------
    ActionSpec(
        "new-record",
        "new_record",
        N_("New record"),
        N_("Make a new record from a template (e-bok, tryckt bok, holdings for your sigel, or your own)."),
        "N",
    ),
    ActionSpec(
        "delete-record",
        "delete_record",
        N_("Del record"),
        N_("Mark the record deleted (leader/05 d); refused for e-plikt (EPL-NODELETE) and channel records."),
        "X",
    ),
    # -- e-plikt -------------------------------------------------------------------------------
    ActionSpec(
        "add-holding",
        "add_holding",
        N_("Holding"),
        N_("Add a holding for your sigel (HOLD-ADD); offers to remove SUPPRESSRECORD (SUP-CLEAR)."),
        "h",
        footer=True,
    ),
    ActionSpec(
        "clear-suppress",
        "clear_suppress",
        N_("Unsuppress"),
        N_("Remove 599 $a SUPPRESSRECORD from the record (SUP-CLEAR)."),
        "k",
    ),
    ActionSpec(
        "move-restricted-uris",
        "move_restricted_uris",
        N_("Move URIs"),
        N_(
            "Move 856 URIs with second indicator 0 to 2 in records with 506 restricted (URI-MOVE); shows the change first."
        ),
        "m",
    ),
    ActionSpec(
        "validate",
        "validate",
        N_("Validate"),
        N_("Check the records; each finding jumps to its field."),
        "v",
        footer=True,
    ),
    ActionSpec(
        "export",
        "export",
        N_("Export"),
        N_(
            "Write the records to a file in a format of your choice, "
            "with the validation report (refused while errors remain)."
        ),
        "x",
        footer=True,
    ),
    # -- app -----------------------------------------------------------------------------------
    ActionSpec(
        "show-changes",
        "show_changes",
        N_("Changes"),
        N_(
            "Show what changed, record by record (MARC lines removed and added, with the edit and "
            "rule id that made each); go to a record or undo from there. Shown before every save and export."
        ),
        "w,f4",
    ),
    ActionSpec(
        "recover",
        "recover",
        N_("Recover"),
        N_("List the crash journals of this file (when, how many edits) to restore or discard one."),
        "R",
    ),
    ActionSpec(
        "save",
        "save",
        N_("Save"),
        N_("Write the changes back to the file (a backup is kept)."),
        "ctrl+s,f2",
        footer=True,
    ),
    ActionSpec(
        "command-palette",
        "command_palette",
        N_("Commands"),
        N_("Open the command palette."),
        "ctrl+p,f9",
        palette=False,
    ),
    # -- moving inside a pane ------------------------------------------------------------------
    ActionSpec("cursor-up", "cursor_up", N_("Up"), N_("Move the cursor up."), "up", group="nav", palette=False),
    ActionSpec(
        "cursor-down", "cursor_down", N_("Down"), N_("Move the cursor down."), "down", group="nav", palette=False
    ),
    ActionSpec(
        "page-up", "page_up", N_("Page up"), N_("Move the cursor a page up."), "pageup", group="nav", palette=False
    ),
    ActionSpec(
        "page-down",
        "page_down",
        N_("Page down"),
        N_("Move the cursor a page down."),
        "pagedown",
        group="nav",
        palette=False,
    ),
    ActionSpec(
        "first-line",
        "first_line",
        N_("First"),
        N_("Move the cursor to the first line."),
        "home",
        group="nav",
        palette=False,
    ),
    ActionSpec(
        "last-line", "last_line", N_("Last"), N_("Move the cursor to the last line."), "end", group="nav", palette=False
    ),
    ActionSpec(
        "previous-part",
        "previous_part",
        N_("Left"),
        N_("In the MARC view: move to the previous subfield (or the indicators)."),
        "left",
        group="pane",
        palette=False,
    ),
    ActionSpec(
        "next-part",
        "next_part",
        N_("Right"),
        N_("In the MARC view: move to the next subfield."),
        "right",
        group="pane",
        palette=False,
    ),
    ActionSpec(
        "open-record",
        "open_record",
        N_("Open"),
        N_("In the record list: open the record in the views."),
        "enter",
        group="pane",
        palette=False,
    ),
)

BY_ID = {a.id: a for a in ACTIONS}
#: binding id -> the key space it competes in: global and nav keys are all active at once on the
#: main screen; pane keys belong to one pane and shadow global ones there on purpose.
CLASH_SPACES = {a.id: ("pane" if a.group == "pane" else "main") for a in ACTIONS}
DEFAULT_KEYS = {a.id: a.keys for a in ACTIONS}


def bindings(group: Group, ids: tuple[str, ...] | None = None) -> list[Binding]:
    """Textual ``Binding``s (with ids) for the actions of ``group`` (or the ``ids`` given)."""
    out = []
    for a in ACTIONS:
        if (ids is not None and a.id not in ids) or (ids is None and a.group != group):
            continue
        out.append(Binding(a.keys, a.action, a.title, show=a.footer, id=a.id))
    return out


#: how the help screen groups the actions
HELP_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Records"), ("next-record", "previous-record", "search", "toggle-channel", "toggle-language", "switch-view")),
    (
        N_("Editing"),
        (
            "edit-field",
            "edit-line",
            "fixed-field-editor",
            "add-field",
            "delete-field",
            "add-subfield",
            "delete-subfield",
            "yank-field",
            "put-field",
            "duplicate-field",
            "field-help",
            "find-replace",
            "run-tasks",
            "undo",
            "redo",
        ),
    ),
    (N_("New and deleted records"), ("new-record", "delete-record")),
    (N_("E-plikt"), ("add-holding", "clear-suppress", "move-restricted-uris", "validate", "export")),
    (N_("The app"), ("show-changes", "save", "recover", "help", "quit", "command-palette")),
    (
        N_("Moving in a pane"),
        (
            "cursor-up",
            "cursor-down",
            "page-up",
            "page-down",
            "first-line",
            "last-line",
            "previous-part",
            "next-part",
            "open-record",
        ),
    ),
)
