"""The main screen: record list on top, label view and MARC view side by side, the reason bar,
the status line and the footer.

Below 100 columns the two views do not fit side by side: one is shown at a time and
``switch-view`` (or moving the focus) changes which. The screen holds the widgets and the frame
pacing; what the cataloguer does is a flow of its own module (``tui.ui.flows``), and every action
here hands over to one. Every edit goes through ``Session`` to the core's command objects.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen

from tui.ui import actions
from tui.ui.flows.broken import BrokenFlow
from tui.ui.flows.changes import ChangesFlow
from tui.ui.flows.editing import EditingFlow
from tui.ui.flows.fields import FieldsFlow
from tui.ui.flows.holdings import HoldingsFlow
from tui.ui.flows.indexing import Classified, Indexed, IndexFlow
from tui.ui.flows.journal import JournalFlow
from tui.ui.flows.lines import LineFlow
from tui.ui.flows.navigation import NavigationFlow
from tui.ui.flows.records import RecordsFlow
from tui.ui.flows.validation import ValidationFlow
from tui.ui.flows.writing import WritingFlow
from tui.ui.frame_timer import frame_timer, take_pending_repaints
from tui.ui.session import Change, Session
from tui.ui.widgets.footer import FittingFooter
from tui.ui.widgets.index_progress import IndexProgress
from tui.ui.widgets.label_view import LabelView
from tui.ui.widgets.line_view import LineView
from tui.ui.widgets.marc_view import MarcView
from tui.ui.widgets.reason_bar import ReasonBar
from tui.ui.widgets.record_list import RecordList
from tui.ui.widgets.status_line import StatusLine


class MainScreen(Screen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = actions.bindings(
        "global", ids=tuple(a.id for a in actions.ACTIONS if a.group == "global" and a.id != "command-palette")
    )

    def __init__(self, session: Session, *, language: str = "sv") -> None:
        super().__init__()
        self.session = session
        self.language = language
        self.show_channels = False
        #: the record shown (its slot in the file), None before the first one
        self.slot: int | None = None
        # the flows (tui.ui.flows): each reaches the others through this screen
        self.index = IndexFlow(self)
        self.navigation = NavigationFlow(self)
        self.editing = EditingFlow(self)
        self.lines = LineFlow(self)
        self.records_flow = RecordsFlow(self)
        self.fields = FieldsFlow(self)
        self.holdings = HoldingsFlow(self)
        self.validation = ValidationFlow(self)
        self.writing = WritingFlow(self)
        self.journal = JournalFlow(self)
        self.changes = ChangesFlow(self)
        self.broken = BrokenFlow(self)
        session.listeners.append(self._on_change)

    @property
    def _update_timer(self):
        """Textual's screen update timer, replaced by one that draws a frame as soon as there is
        something to draw (``tui.ui.frame_timer``)."""
        timer = self.__dict__.get("_frame_timer")
        if timer is None:
            timer = self.__dict__["_frame_timer"] = frame_timer(self, self._draw_frame)
        return timer

    def _draw_frame(self) -> None:
        # a move touches the list, both views, the reason bar and the status line: one frame
        take_pending_repaints(self)
        self._on_timer_update()

    # -- layout -------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # kept: these are asked for on every move (a query walks the DOM)
        self._records_widget = RecordList(
            self.navigation.row_text,
            id="records",
            empty_text="No records (yet)",
            on_highlight=self.navigation.row_highlighted,
        )
        self._labels_widget = LabelView(id="labels", empty_text="No record")
        self._marc_widget = MarcView(id="marc", empty_text="No record")
        yield self._records_widget
        with Horizontal(id="views"):
            yield self._labels_widget
            yield self._marc_widget
        self._reason_widget = ReasonBar(id="reason")
        self._status_widget = StatusLine(id="status")
        yield self._reason_widget
        yield IndexProgress(id="progress")
        yield self._status_widget
        yield FittingFooter(compact=True)

    @property
    def records(self) -> RecordList:
        return self._records_widget

    @property
    def labels(self) -> LabelView:
        return self._labels_widget

    @property
    def marc(self) -> MarcView:
        return self._marc_widget

    def on_mount(self) -> None:
        self.navigation.mounted()
        self.index.start()
        self.records.focus()
        self.navigation.update_status()

    def on_resize(self, event) -> None:
        self.navigation.apply_width(event.size.width)

    # -- the screen's vocabulary (flows, tests and benchmarks use these) --------------------------
    @property
    def index_done(self) -> bool:
        """Indexing and the channel filter have gone through the whole file."""
        return self.index.done

    def _show_view(self, which: str) -> None:
        self.navigation.show_view(which)

    def _slot_for_row(self, row: int) -> int:
        return self.index.slot_for_row(row)

    def _row_for_slot(self, slot: int) -> int | None:
        return self.index.row_for_slot(slot)

    @property
    def _chan(self):
        return self.index.chan

    @property
    def _view_cache(self):
        return self.navigation.view_cache

    def go_to_slot(self, slot: int) -> None:
        """Show record ``slot`` in the list (showing channel records if it is one)."""
        self.navigation.go_to_slot(slot)

    def set_show_channels(self, show: bool, announce: bool = False) -> None:
        self.navigation.set_show_channels(show, announce)

    def reset_index(self) -> None:
        """The source was read again (after a save): classify its records afresh."""
        self.index.reset()

    # -- messages and events, handed to their flow ---------------------------------------------------
    def on_indexed(self, message: Indexed) -> None:
        self.index.indexed(message)

    def on_classified(self, message: Classified) -> None:
        self.index.classified(message)

    def on_record_list_opened(self, message: RecordList.Opened) -> None:
        self.navigation.record_opened(message.row)

    def on_descendant_focus(self, event) -> None:
        self.navigation.focused(event.widget)

    def on_line_view_moved(self, message: LineView.Moved) -> None:
        self.navigation.view_moved(message)

    def _on_change(self, change: Change) -> None:
        """After every edit, undo and redo: the record's findings no longer hold, its row and
        (when shown) the views are drawn again, the status line counts the unsaved records."""
        if change.command.op == "create-record":  # a slot came or went: the list is made again
            self.validation.forget()
            if change.event == "undo" and self.slot is not None and self.slot >= len(self.session):
                self.slot = len(self.session) - 1 if len(self.session) else None
            self.index.reset()
            if change.event != "undo" and 0 <= change.slot < len(self.session):
                self.navigation.go_to_slot(change.slot)
            self.navigation.update_status()
            return
        self.validation.forget(change.slot)
        row = self.index.row_for_slot(change.slot)
        if row is not None:
            self.records.refresh_row(row)
        if change.slot == self.slot:
            self.navigation.render_record(keep_cursor=True)
        self.navigation.update_status()

    # == actions (binding ids in tui.ui.actions), each handed to its flow ==========================
    def action_next_record(self) -> None:
        self.navigation.next_record()

    def action_previous_record(self) -> None:
        self.navigation.previous_record()

    def action_toggle_channel(self) -> None:
        self.navigation.toggle_channel()

    def action_toggle_language(self) -> None:
        self.navigation.toggle_language()

    def action_switch_view(self) -> None:
        self.navigation.switch_view()

    def action_search(self) -> None:
        self.navigation.search()

    def action_edit_field(self) -> None:
        self.editing.edit_field()

    def action_add_field(self) -> None:
        self.editing.add_field()

    def action_delete_field(self) -> None:
        self.editing.delete_field()

    def action_add_subfield(self) -> None:
        self.editing.add_subfield()

    def action_delete_subfield(self) -> None:
        self.editing.delete_subfield()

    def action_edit_line(self) -> None:
        self.lines.edit_line()

    def action_yank_field(self) -> None:
        self.lines.yank()

    def action_put_field(self) -> None:
        self.lines.put()

    def action_duplicate_field(self) -> None:
        self.lines.duplicate()

    def action_fixed_field_editor(self) -> None:
        self.fields.fixed_field_editor()

    def action_field_help(self) -> None:
        self.fields.field_help()

    def action_new_record(self) -> None:
        self.records_flow.new_record()

    def action_delete_record(self) -> None:
        self.records_flow.delete_record()

    def action_find_replace(self) -> None:
        self.records_flow.find_replace()

    def on_paste(self, event) -> None:
        """Lines of MARC text pasted (bracketed paste, also over SSH): added as fields."""
        event.stop()
        self.lines.paste(event.text)

    def action_undo(self) -> None:
        self.editing.undo()

    def action_redo(self) -> None:
        self.editing.redo()

    def action_add_holding(self) -> None:
        self.holdings.add_holding()

    def action_clear_suppress(self) -> None:
        self.holdings.clear_suppress()

    def action_move_restricted_uris(self) -> None:
        self.holdings.move_restricted_uris()

    def action_validate(self) -> None:
        self.validation.validate()

    def action_export(self) -> None:
        self.writing.export()

    def action_show_changes(self) -> None:
        self.changes.show()

    def action_recover(self) -> None:
        self.journal.recover()

    def action_save(self) -> None:
        self.writing.save()

    def action_quit(self) -> None:
        self.writing.quit()

    def action_help(self) -> None:
        from tui.ui.screens.help_screen import HelpScreen

        self.app.push_screen(HelpScreen())
