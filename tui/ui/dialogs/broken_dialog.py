"""Records that cannot be read: listed (file, record number, byte offset, reason), and, before a
save or an export, what to do with them: keep each byte for byte (ISO 2709 to ISO 2709 only) or
leave it out, once for all or one by one. Nothing is dropped silently.

``BrokenRecordsDialog(broken, file_name)`` only lists them (returns None). With ``ask`` (``save``
or ``export``) it returns ``"keep"``, ``"drop"``, ``"each"`` (ask record by record) or None
(cancel: nothing is written). ``BrokenRecordDialog`` asks about one record: ``"keep"``,
``"drop"`` or None.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.model.textsafe import visible
from tui.ui.dialogs.base import Dialog, DialogButton
from tui.ui.i18n import _, ngettext


def broken_text(b) -> str:
    """``record 5 at byte 436: bad directory entry ...`` (plain, for messages)."""
    where = _("record {n}").format(n=b.number)
    if b.offset is not None:
        where += " " + _("at byte {offset}").format(offset=f"{b.offset:,}")
    return f"{where}: {visible(b.reason)}"


def broken_line(b) -> Text:
    """``record 5  at byte 436  bad directory entry 1 ...``"""
    t = Text(no_wrap=False)
    t.append(_("record {n}").format(n=b.number), "bold")
    if b.offset is not None:
        t.append("  " + _("at byte {offset}").format(offset=f"{b.offset:,}"))
    if b.line is not None:
        t.append("  " + _("line {line}").format(line=b.line))
    t.append("  ")
    t.append(visible(b.reason), "italic")
    return t


class BrokenRecordsDialog(Dialog[str | None]):
    DEFAULT_CSS = """
    BrokenRecordsDialog .dialog-box {
        width: 100%;
        max-width: 110;
    }
    BrokenRecordsDialog #broken-list {
        height: auto;
        max-height: 12;
        border: none;
        padding: 0;
    }
    """

    def __init__(self, broken: list, file_name: str, *, ask: str | None = None, can_keep: bool = True) -> None:
        super().__init__()
        self._broken = broken
        self._file_name = file_name
        self._ask = ask
        self._can_keep = can_keep

    def compose(self) -> ComposeResult:
        n = len(self._broken)
        with Vertical(classes="dialog-box", id="broken-dialog") as box:
            box.border_title = Text(
                ngettext("{n} record of {file} cannot be read", "{n} records of {file} cannot be read", n).format(
                    file=visible(self._file_name)
                )
            )
            box.border_subtitle = _("esc cancels") if self._ask else _("esc closes")
            yield Static(self._intro(n), id="broken-text")
            yield OptionList(*(Option(broken_line(b)) for b in self._broken), id="broken-list")
            with Horizontal(classes="buttons"):
                if self._ask:
                    if self._can_keep:
                        yield DialogButton(_("Keep all"), id="keep", variant="primary")
                    yield DialogButton(_("Leave all out"), id="drop", variant="warning")
                    if n > 1:
                        yield DialogButton(_("One by one"), id="each")
                    yield DialogButton(_("Cancel"), id="cancel")
                else:
                    yield DialogButton(_("OK"), id="cancel", variant="primary")

    def _intro(self, n: int) -> Text:
        if not self._ask:
            return Text(
                _(
                    "Every other record can be read and edited as usual. When you save or export, you "
                    "choose what happens to these: kept byte for byte, or left out."
                )
            )
        t = Text()
        if self._ask == "save":
            t.append(_("Saving writes every readable record, with your edits. "))
        else:
            t.append(_("The export writes every readable record. "))
        t.append(
            ngettext(
                "What happens to the record that cannot be read?",
                "What happens to the records that cannot be read?",
                n,
            )
            + "\n"
        )
        if self._can_keep:
            t.append(_("Keep: its bytes are written exactly as they are in the file. "))
        else:
            t.append(_("Only ISO 2709 to ISO 2709 can keep such a record as it is: here it can only be left out. "))
        t.append(_("Leave out: it is not written; the report names it."))
        if self._ask == "save":
            t.append(" " + _("The file as it is now is kept as a backup (.bak)."))
        return t

    def on_mount(self) -> None:
        # on the list: Enter there chooses nothing (the buttons do)
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id)


class BrokenRecordDialog(Dialog[str | None]):
    """One unreadable record: keep it or leave it out (``k`` / ``d`` too)."""

    def __init__(self, broken, position: int, total: int, *, can_keep: bool = True) -> None:
        super().__init__()
        self._broken = broken
        self._position = position
        self._total = total
        self._can_keep = can_keep

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="broken-one") as box:
            box.border_title = _("Unreadable record {k} of {total}").format(k=self._position, total=self._total)
            box.border_subtitle = _("esc cancels: nothing is written")
            t = broken_line(self._broken)
            t.append("\n\n")
            t.append(_("Keep it byte for byte, or leave it out?") if self._can_keep else _("It can only be left out."))
            yield Static(t, id="broken-one-text")
            with Horizontal(classes="buttons"):
                if self._can_keep:
                    yield DialogButton(_("Keep"), id="keep", variant="primary")
                yield DialogButton(_("Leave out"), id="drop", variant="warning")
                yield DialogButton(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#keep" if self._can_keep else "#drop", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None if event.button.id == "cancel" else event.button.id)
