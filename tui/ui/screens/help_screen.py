"""Help: the keys of the ACTIVE keymap, by binding id, KB's e-plikt rules (from the rule table, in
the messages' language), and where keymaps, themes and the config live. Closes on escape, q or the
help key."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.core.model.textsafe import visible
from tui.core.rules import table
from tui.ui import actions
from tui.ui.i18n import N_, _
from tui.ui.safe import safe


def _shown_path(p: Path) -> str:
    """A shipped file by its name (where the package lives says nothing), a user's in full."""
    from tui import resources

    try:
        return _("{name} (shipped)").format(name=p.relative_to(resources.keymaps_dir()))
    except ValueError:
        return str(p)


def rules_text() -> Text:
    """KB's e-plikt rules and the participation profile, each by its id and sentence."""
    t = Text()
    t.append("\n" + _("Rules"), "bold underline")
    t.append(" " + _("(libris-tui rules lists every rule and what is said under it)") + "\n", "dim")
    for r in table.rules().values():
        if r.kind in ("rule", "profile"):
            t.append(f"{r.id}", "bold")
            t.append(" " + visible(r.sentence()) + "\n")
    return t


class HelpScreen(ModalScreen[None]):
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [Binding("escape,q", "close", N_("Close"), show=False)]

    def compose(self) -> ComposeResult:
        app = self.app
        with Vertical(id="help-box") as box:
            box.border_title = Text(safe(_("Keys: keymap {name}").format(name=repr(app.keymap.name))))
            box.border_subtitle = _("esc closes · every key below follows the active keymap")
            with VerticalScroll(id="help-scroll"):
                yield Static(self._keys_table(), id="keys")
                yield Static(self._legend(), id="legend")
                yield Static(rules_text(), id="rules")
                yield Static(self._where(), id="where")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
        # the help key closes help too
        for key in self.app.keymap.keys("help"):
            self._bindings.bind(key, "close", show=False)

    def _keys_table(self) -> Table:
        app = self.app
        table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
        table.add_column(_("Keys"), no_wrap=True, min_width=14)
        table.add_column(_("Binding id"), no_wrap=True, style="dim")
        table.add_column(_("What it does"), ratio=1)
        for title, ids in actions.HELP_SECTIONS:
            table.add_row(Text(_(title), style="bold underline"), "", "")
            for binding_id in ids:
                spec = actions.BY_ID[binding_id]
                keys = ", ".join(app.key_display(k) for k in app.keymap.keys(binding_id)) or _("(none)")
                # a user's keymap names the keys: shown safely like every text from outside
                table.add_row(Text(safe(keys), style="bold"), Text(binding_id), Text(_(spec.help)))
            table.add_row("", "", "")
        return table

    def _legend(self) -> Text:
        t = Text()
        t.append(_("Marks") + "\n", "bold underline")
        t.append(
            _(
                "Record list: E e-plikt record · C channel record (hidden until you show them) · "
                "S SUPPRESSRECORD · * changed · ! errors · ? warnings (validate lists them)"
            )
            + "\n"
        )
        t.append(
            _(
                "Views: RO protected, may not be changed (focus it for the rule and why) · "
                "ro some subfields protected · * changed line"
            )
            + "\n"
        )
        return t

    def _where(self) -> Text:
        app = self.app
        t = Text()
        t.append("\n" + _("Files") + "\n", "bold underline")
        t.append(_("Config:") + "  ")
        t.append(visible(str(app.config_file)) + "\n")
        t.append(_("Keymap:") + "  ")
        t.append(visible(", ".join(_shown_path(p) for p in app.keymap.files)) + "\n")
        t.append(
            _(
                "Your keymaps go in {keymaps} (name.toml, one 'binding-id = \"keys\"' line each); themes in {themes}."
            ).format(keymaps=visible(str(app.user_keymaps_dir)), themes=visible(str(app.user_themes_dir)))
            + "\n"
        )
        if app.keymap.problems:
            t.append("\n" + _("Keymap problems") + "\n", "bold underline")
            for p in app.keymap.problems:
                t.append(visible(str(p)) + "\n")
        return t

    def action_close(self) -> None:
        self.dismiss(None)
