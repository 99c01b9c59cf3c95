"""Moving through the records: the list's rows, a record shown in both views, the views linked,
the reason bar, the status line, channel records shown or hidden (CHN-HIDE), search.

A move to another record is drawn in ONE frame: the record list calls ``row_highlighted`` at once
when its cursor moves, both views compare their rows with what is on screen once
(``LineView.batch``), and the screen's frame timer draws the frame right away. The next record's
lines and rows are made while the keyboard is still (``_prefetch_next``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from time import monotonic

from rich.text import Text
from textual.cache import LRUCache

from tui.core.model.record import BrokenRecord, LibrisRecord
from tui.core.model.textsafe import visible
from tui.core.rules import eplikt as rules
from tui.core.rules.table import say
from tui.ui.flows.base import Flow
from tui.ui.i18n import N_, _, ngettext
from tui.ui.view_lines import holding_of, label_lines, linked_lines, marc_lines
from tui.ui.widgets.line_view import LineView, ViewLine
from tui.ui.widgets.status_line import Status

NARROW = 100  # below this many columns the views are switched, not side by side
PREFETCH_AFTER = 0.01  # seconds after a record is drawn, the next one's view lines are made

#: the record list's marks (translated where shown: the marks stay, the words change)
LEGEND = N_("E e-plikt · C channel · S suppressed · * changed · ! error · ? warning")


class NavigationFlow(Flow):
    def __init__(self, screen) -> None:
        super().__init__(screen)
        #: (slot, session generation, language) -> (label lines, MARC lines, subtitle)
        self.view_cache: LRUCache[tuple, tuple] = LRUCache(64)
        self.direction = 1  # the way the cataloguer is moving through the list (prefetch)
        self._drawn_at = 0.0  # when the record shown was drawn
        #: the view the cataloguer is in (the reason bar and edits follow it)
        self.active: LineView | None = None
        self._linked_key: tuple | None = None  # what link() last linked
        self.shown_view = "labels"

    def mounted(self) -> None:
        screen = self.screen
        retitle(screen.records, _("Records"))
        retitle(screen.records, _(LEGEND), subtitle=True)
        retitle(screen.labels, _("Labels ({language})").format(language=screen.language))
        retitle(screen.marc, "MARC21")
        self.active = screen.labels
        self.apply_width(self.app.size.width)

    # -- layout -------------------------------------------------------------------------------------
    def apply_width(self, width: int) -> None:
        narrow = width < NARROW
        self.screen.set_class(narrow, "-narrow")
        self.show_view(self.shown_view)

    def show_view(self, which: str) -> None:
        screen = self.screen
        self.shown_view = which
        narrow = screen.has_class("-narrow")
        screen.labels.set_class(narrow and which != "labels", "-hidden")
        screen.marc.set_class(narrow and which != "marc", "-hidden")

    def switch_view(self) -> None:
        screen = self.screen
        target = screen.marc if self.shown_view == "labels" else screen.labels
        self.show_view("marc" if target is screen.marc else "labels")
        self.pane_switched(screen.focused, target)
        target.focus()

    # -- the record list ------------------------------------------------------------------------
    def row_text(self, row: int) -> Text:
        index = self.screen.index
        slot = index.slot_for_row(row)
        e = self.session.entry(slot)
        width = index.number_width
        t = Text(no_wrap=True)
        t.append(f"{slot + 1:>{width}} ", "dim")
        if isinstance(e, BrokenRecord):
            t.append("    ! ", "bold")  # unreadable: an error
            t.append(visible(_("unreadable: {reason}").format(reason=e.reason)), "italic")
            return t
        st = rules.record_state(e, self.session.source)
        changed = self.session.is_changed(slot)
        severities = {i.severity for i in e.issues} | self.screen.validation.severities(slot)
        problem = "!" if "error" in severities else "?" if "warning" in severities else " "
        marks = (
            ("E" if st.eplikt else " ")
            + ("C" if st.channel else " ")
            + ("S" if st.suppressed else " ")
            + ("*" if changed else " ")
            + problem
        )
        t.append(marks, "bold")
        t.append(" ")
        ident = visible(_identifier(e) or "—")
        t.append(f"{ident[:20]:<20} ", "cyan" if not st.channel else "dim")
        title = visible(e.title or _("(no title)"))
        t.append(title, "dim italic" if st.channel else "")
        return t

    def row_highlighted(self, row: int) -> None:
        """The list's cursor moved (called from its watcher, so that the same frame shows it)."""
        screen = self.screen
        if screen.records.count and row == screen.records.cursor < screen.records.count:
            slot = screen.index.slot_for_row(row)
            if slot != screen.slot:  # already shown (go_to_slot, toggling) keeps its cursor
                self.select_slot(slot)

    def record_opened(self, row: int) -> None:
        screen = self.screen
        self.select_slot(screen.index.slot_for_row(row))
        view = screen.labels if self.shown_view == "labels" else screen.marc
        view.focus()

    def select_slot(self, slot: int, *, keep_cursor: bool = False) -> None:
        screen = self.screen
        self.app.interacting()
        changed_record = slot != screen.slot
        screen.slot = slot
        self.render_record(keep_cursor=keep_cursor and not changed_record)
        self.update_status()
        # the frame now: it takes every repaint asked for (frame_timer.take_pending_repaints)
        # without waiting for the widgets' messages to reach the screen
        screen._update_timer.resume()
        screen.index.keep_ahead()

    def next_record(self) -> None:
        records = self.screen.records
        self.direction = 1
        if records.cursor < records.count - 1:
            records.cursor += 1

    def previous_record(self) -> None:
        records = self.screen.records
        self.direction = -1
        if records.cursor > 0:
            records.cursor -= 1

    def go_to_slot(self, slot: int) -> None:
        """Show record ``slot`` in the list (showing channel records if it is one)."""
        screen = self.screen
        index = screen.index
        index.classify_through(slot)  # a search hit may lie beyond what the worker has reached
        if index.row_for_slot(slot) is None and not screen.show_channels:
            self.set_show_channels(True)
            self.say(_("That is a channel record: channel records are shown now."), title=_("Channel records"))
        row = index.row_for_slot(slot)
        if row is not None:
            screen.records.cursor = row
            self.select_slot(slot)

    # -- a record in both views -----------------------------------------------------------------
    def render_record(self, keep_cursor: bool = False) -> None:
        screen = self.screen
        labels, marc = screen.labels, screen.marc
        self._linked_key = None  # the reason bar is worked out afresh (edits, profile, language)
        if screen.slot is None:
            labels.set_lines([])
            marc.set_lines([])
            return
        screen.call_after_refresh(self.app.record_shown)
        e = self.session.entry(screen.slot)
        retitle(labels, _("Labels ({language})").format(language=screen.language))
        if isinstance(e, BrokenRecord):
            msg = ViewLine(text=visible(e.describe()), selectable=False)
            labels.set_lines([msg])
            raw = e.raw.decode("utf-8", "replace") if e.raw else ""
            marc.set_lines([msg] + [ViewLine(text=visible(line), selectable=False) for line in raw.splitlines()[:200]])
            retitle(marc, _("unreadable"), subtitle=True)
            return
        keep_marc = marc.current.refs[0] if keep_cursor and marc.current and marc.current.refs else None
        keep_part = marc.part if keep_cursor else None
        keep_label = labels.current.refs if keep_cursor and labels.current else None
        # one comparison with the screen per view, after lines, cursor and linked lines are set
        with labels.batch(), marc.batch():
            llines, mlines, subtitle = self.view_lines(screen.slot, e)
            labels.set_lines(llines, keep_cursor=keep_cursor)
            marc.set_lines(mlines, keep_cursor=keep_cursor)
            if keep_marc is not None:
                i = marc.find_line(lambda ln: bool(ln.refs) and ln.refs[0] == keep_marc)
                if i is not None:
                    part = keep_part if keep_part is not None and keep_part < len(mlines[i].parts) else None
                    marc.move_to(i, part)
            if keep_label:
                i = labels.find_line(lambda ln: ln.refs == keep_label)
                if i is not None:
                    labels.move_to(i)
            retitle(marc, subtitle, subtitle=True)
            # the other view's linked lines and the reason bar now, not when the views' Moved messages
            # come in (which would draw the move in two frames)
            self.link()
        # the record the cataloguer most likely goes to next, made while the keyboard is still
        # (after the frame that shows this record, and only if no other record is shown by then)
        self._drawn_at = drawn_at = monotonic()
        screen.call_after_refresh(screen.set_timer, PREFETCH_AFTER, partial(self._prefetch_next, drawn_at))

    def _prefetch_next(self, drawn_at: float) -> None:
        screen = self.screen
        index = screen.index
        if (
            screen.slot is None
            or drawn_at != self._drawn_at
            or self.app.busy_until - self.app.BUSY_WINDOW > self._drawn_at
        ):
            return  # another record or key has come in since: that one is drawn first
        row = index.row_for_slot(screen.slot)
        if row is None:
            return
        for r in (row + self.direction, row - self.direction):
            if 0 <= r < index.row_count():
                slot = index.slot_for_row(r)
                if (slot, self.session.generation, screen.language) not in self.view_cache:
                    e = self.session.entry(slot)
                    if isinstance(e, LibrisRecord):
                        llines, mlines, _subtitle = self.view_lines(slot, e)
                        screen.labels.prepare(llines)
                        screen.marc.prepare(mlines)
                    return

    def view_lines(self, slot: int, e: LibrisRecord) -> tuple[list[ViewLine], list[ViewLine], str]:
        """The two views' lines of record ``slot``, made once per record, edit and language (the
        rules' protection of every line is worked out here, not when drawing)."""
        key = (slot, self.session.generation, self.screen.language)
        hit = self.view_cache.get(key)
        if hit is None:
            changed_ids = self.session.changed_field_ids(slot)
            mlines = marc_lines(e, changed_ids)
            changed_refs = {ln.refs[0][:2] for ln in mlines if ln.changed and ln.refs}
            llines = label_lines(e, self.screen.language, changed_refs)
            hit = (llines, mlines, rules.record_state(e, self.session.source).describe())
            self.view_cache[key] = hit
        return hit

    def toggle_language(self) -> None:
        screen = self.screen
        screen.language = "en" if screen.language == "sv" else "sv"
        self.render_record(keep_cursor=True)
        self.update_status()
        self.say(_("Labels in English.") if screen.language == "en" else _("Labels in Swedish."), title=_("Labels"))

    # -- channel records (CHN-HIDE) -------------------------------------------------------------
    def toggle_channel(self) -> None:
        self.set_show_channels(not self.screen.show_channels, announce=True)

    def set_show_channels(self, show: bool, announce: bool = False) -> None:
        screen = self.screen
        index = screen.index
        if show == screen.show_channels:
            return
        keep = screen.slot
        screen.show_channels = show
        screen.records.set_count(index.row_count(), keep_cache=False)
        if keep is not None:
            row = index.row_for_slot(keep)
            if row is None:  # the record shown was a channel record: go to the nearest shown one
                row = min(index.chan.nearest_row(keep), max(0, index.row_count() - 1))
            if index.row_count():
                screen.records.cursor = row
                self.select_slot(index.slot_for_row(row))
        self.update_status()
        if announce:
            n = index.chan.channel_count
            if show:
                self.say(
                    _("Channel records shown ({n}). They are read-only (CHN-READONLY).").format(n=n),
                    title=_("Channel records"),
                )
            else:
                self.say(
                    _("Channel records hidden ({n}), as in Libris search (CHN-HIDE).").format(n=n),
                    title=_("Channel records"),
                )

    # -- linking the views, the reason bar ---------------------------------------------------
    def focused(self, widget) -> None:
        """A widget got the focus: a view becomes the active one (and is shown when narrow)."""
        if isinstance(widget, LineView):
            self.active = widget
            self.shown_view = "labels" if widget is self.screen.labels else "marc"
            self.show_view(self.shown_view)
        self.link()

    def pane_switched(self, before, after) -> None:
        """The cataloguer went from one view to the other (Tab, switch-view): the cursor of the
        view now focused starts on what the other one was on (its linked lines), not where it
        was left."""
        if not (isinstance(before, LineView) and isinstance(after, LineView)) or before is after:
            return
        if after.linked and after.cursor not in after.linked:
            first = min(after.linked)
            after.move_to(first, after.linked_part.get(first))

    def view_moved(self, message: LineView.Moved) -> None:
        if message.view is self.active:
            self.link()

    def link(self) -> None:
        screen = self.screen
        src = self.active or screen.marc
        other = screen.labels if src is screen.marc else screen.marc
        key = (src, id(src.lines), src.cursor, src.part, id(other.lines))
        if key == self._linked_key:
            return  # (the views' Moved messages after a record was shown and linked at once)
        self._linked_key = key
        src.set_linked(())
        line = src.current
        if line is None:
            other.set_linked(())
            screen._reason_widget.show_info("")
            return
        part = src.part if src is screen.marc else None
        idx, parts = linked_lines(line, part, other.lines)
        other.set_linked(idx, parts)
        self._update_reason(src, line, part)

    def _update_reason(self, view: LineView, line: ViewLine, part: int | None) -> None:
        screen = self.screen
        bar = screen._reason_widget
        key_hint = self.app.key_hint
        if not line.refs:
            bar.show_info("")
            return
        tag, occ, sub = line.refs[part] if (part is not None and part < len(line.refs)) else line.refs[0]
        if view is screen.labels:
            subs = [r for r in line.refs if r[2] is not None]
            if subs:
                tag, occ, sub = subs[0]
        h, bare = holding_of(tag)
        where = f"{bare}[{occ}]" + (" " + _("subfield {n}").format(n=sub + 1) if sub is not None else "")
        if h is not None:
            bar.show_info(
                Text(
                    _("{where} in holdings record {n}: added with add-holding ({key}), not edited here").format(
                        where=where, n=h + 1, key=key_hint("add-holding")
                    )
                )
            )
            return
        prot = line.protection_of(part) if view is screen.marc else line.protection
        if prot is not None:
            bar.show_protection(where, prot)
            return
        e = self.session.entry(screen.slot) if screen.slot is not None else None
        t = Text(no_wrap=False)
        t.append(where, "bold")
        refusal = self.session.profile.refusal("edit")
        if refusal is not None:
            t.append(
                ": " + say("PROFILE-LIMITED", "read-only", profile=self.session.profile.name) + f" ({refusal.rule})"
            )
        else:
            st = rules.record_state(e, self.session.source) if isinstance(e, LibrisRecord) else None
            if st is not None and st.eplikt:
                t.append(": " + say("EPL-UPGRADE", "may") + " (EPL-UPGRADE)")
            else:
                t.append(": " + _("may be changed"))
            t.append(
                "  · "
                + _("{edit} edit  {add} add field  {delete} delete field").format(
                    edit=key_hint("edit-field"), add=key_hint("add-field"), delete=key_hint("delete-field")
                ),
                "dim",
            )
            if view is screen.marc:
                t.append(
                    "  " + _("{keys} subfields").format(keys=f"{key_hint('previous-part')}/{key_hint('next-part')}"),
                    "dim",
                )
        bar.show_info(t)

    # -- status -------------------------------------------------------------------------------------
    def update_status(self) -> None:
        screen = self.screen
        index = screen.index
        # one numbering everywhere: the record's number in the file, as the list, the findings,
        # validate and export name it (hidden channel records still count)
        st = Status(
            file=Path(self.session.path).name,
            position=(screen.slot + 1) if screen.slot is not None else 0,
            shown=index.row_count(),
            total=len(self.session),
            hidden_channels=index.chan.channel_count,
            channels_shown=screen.show_channels,
            channel_key=self.app.key_hint("toggle-channel"),
            sigel=self.session.sigel or "",
            profile=self.session.profile.name,
            unsaved=self.session.changed_count() if self.session.dirty else 0,
            indexing=not index.done,
            language=screen.language,
        )
        if self.session.dirty and not st.unsaved:
            st.unsaved = 1
        screen._status_widget.show(st)
        retitle(
            screen.records,
            (
                ngettext(
                    "Records ({shown}, {n} channel hidden)",
                    "Records ({shown}, {n} channel hidden)",
                    index.chan.channel_count,
                ).format(shown=st.shown)
                if index.chan.channel_count and not screen.show_channels
                else _("Records ({n})").format(n=st.shown)
            ),
        )

    # -- search ---------------------------------------------------------------------------------
    def search(self) -> None:
        from tui.ui.dialogs.search_dialog import SearchDialog

        self.app.push_screen(SearchDialog(self.session), lambda slot: slot is not None and self.go_to_slot(slot))


def retitle(widget, text: str, *, subtitle: bool = False) -> None:
    """Set a pane's frame title (or subtitle); the pane draws it again only when it changes."""
    if subtitle:
        widget.set_titles(subtitle=text)
    else:
        widget.set_titles(title=text)


def _identifier(rec: LibrisRecord) -> str:
    """What identifies the record in the list: 001, else the first 02X $a, else 035 $a."""
    cn = rec.control_number
    if cn and cn.strip():
        return cn.strip()
    for f in rec.marc.fields:
        if f.tag.startswith("02") and not f.is_control_field():
            for sf in f.subfields:
                if sf.code == "a" and sf.value.strip():
                    return sf.value.strip()
    for f in rec.marc.get_fields("035"):
        for sf in f.subfields:
            if sf.code == "a" and sf.value.strip():
                return sf.value.strip()
    return ""
