"""The Textual app: config, keymap and theme, the main screen, the command palette, crash recovery.

``LibrisApp(session, config=...)``: the record file is opened before the app starts (so that a file
that cannot be read gives a one-line error and exit 2, not a screen), and handed over in a
``Session``. Everything the cataloguer does is an action of the main screen; the app adds what is
app-wide: the keymap (binding ids -> keys, ``App.set_keymap``), themes, notifications that never
read record text as markup, the palette, and the start of the crash journal (``tui.ui.flows.journal``).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from time import monotonic

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from tui.core.model.textsafe import has_unsafe
from tui.core.rules import table
from tui.core.settings import config as config_mod
from tui.core.settings import keymap as keymap_mod
from tui.core.settings import themes as themes_mod
from tui.core.settings.config import Config
from tui.ui import actions, i18n, strip_cycles
from tui.ui import themes as ui_themes
from tui.ui.i18n import N_, _
from tui.ui.safe import ControlFilter, safe, safe_paste
from tui.ui.session import Session

#: what the command palette calls each command (the footer uses the short title); translated where shown
PALETTE_TITLES = {
    "next-record": N_("Next record"),
    "previous-record": N_("Previous record"),
    "search": N_("Search and jump (title, identifier, control number)"),
    "toggle-channel": N_("Show / hide channel records"),
    "toggle-language": N_("Labels: Swedish / English"),
    "switch-view": N_("Switch between label view and MARC view"),
    "edit-field": N_("Edit the field or subfield under the cursor"),
    "add-field": N_("Add a field"),
    "delete-field": N_("Delete the field under the cursor"),
    "add-subfield": N_("Add a subfield"),
    "delete-subfield": N_("Delete the subfield under the cursor"),
    "edit-line": N_("Edit the field as one line of MARC text"),
    "fixed-field-editor": N_("Fixed-field editor (leader, 006, 007, 008)"),
    "yank-field": N_("Yank (copy) the field under the cursor"),
    "put-field": N_("Put the yanked fields into this record"),
    "duplicate-field": N_("Duplicate the field under the cursor"),
    "field-help": N_("Field help: what this tag is"),
    "find-replace": N_("Find and replace over the file"),
    "run-tasks": N_("Run a task list on this record or the file"),
    "new-record": N_("New record from a template"),
    "delete-record": N_("Delete the record"),
    "undo": N_("Undo"),
    "redo": N_("Redo"),
    "add-holding": N_("Add a holding for my sigel"),
    "clear-suppress": N_("Remove SUPPRESSRECORD"),
    "move-restricted-uris": N_("Move restricted URIs (856 second indicator 0 to 2)"),
    "validate": N_("Validate"),
    "export": N_("Export"),
    "show-changes": N_("Changes: what is changed, before saving or exporting"),
    "save": N_("Save"),
    "recover": N_("Recover: restore or discard a crash journal of this file"),
    "help": N_("Help: keys"),
    "quit": N_("Quit"),
}


def open_session(path: str | Path, config: Config) -> Session:
    """Open ``path`` for the app: stamp it (to notice changes on disk), read it, wrap it in a ``Session``."""
    from tui.core.files.filestamp import FileStamp
    from tui.core.formats import open_source
    from tui.core.model.record import UnreadableFile
    from tui.core.rules.profile import Profile

    try:
        stamp = FileStamp.take(path)
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(str(path), "is a directory, not a record file") from None
    except OSError as exc:
        raise UnreadableFile(str(path), exc.strerror or str(exc)) from None
    source = open_source(path)
    return Session(source, profile=Profile.from_name(config.participation), sigel=config.sigel or None, stamp=stamp)


strip_cycles.install()  # rows drawn are freed when dropped, not by a garbage collection


def keymap_overrides(bindings: dict[str, str]) -> dict[str, str]:
    """The keymap's keys that differ from the bindings' own (``actions.DEFAULT_KEYS``).

    Textual applies its keymap to every binding in the focus chain on every key press, in time
    that grows with the square of the bindings it names (about 1.5 ms a key with all of ours):
    so only what a keymap changes is given to it (the default keymap: nothing).
    """

    def keys(spec: str) -> list[str]:
        return [k.strip() for k in spec.split(",") if k.strip()]

    return {bid: spec for bid, spec in bindings.items() if keys(spec) != keys(actions.DEFAULT_KEYS.get(bid, ""))}


class LibrisApp(App):
    """libris-tui."""

    TITLE = "libris-tui"
    # our own bindings replace Textual's (ctrl+q quit has no id there, so a keymap could not move it)
    BINDINGS = [
        Binding(
            actions.BY_ID["command-palette"].keys,
            "command_palette",
            N_("Commands"),
            show=False,
            id="command-palette",
            priority=True,
        ),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        session: Session | str | Path,
        *,
        config: Config | None = None,
        screenshot: bool = False,
        journal: bool = True,
        steady_cursor: bool = False,
        toasts: bool = True,
    ) -> None:
        if not isinstance(session, Session):  # a path: open it with the user's config
            config = config or config_mod.load_config()
            session = open_session(session, config)
        self.config = config or Config()
        # the app's own words, before any screen or widget is made (tui.ui.i18n); the label view's
        # labels and the rule table's sentences have languages of their own
        i18n.set_language(self.config.ui_language)
        table.set_language(self.config.messages)  # the rule table's sentences: refusals, findings, reasons
        #: no blinking cursors (scripted screenshots and snapshot tests must be stable)
        self.steady_cursor = steady_cursor or screenshot
        #: show notifications as toasts (snapshot tests turn them off: their timing is not stable)
        self.toasts = toasts
        self.session = session
        self.screenshot_mode = screenshot
        self.use_journal = journal and not screenshot
        self.keymap = keymap_mod.load_keymap(self.config.keymap, actions.DEFAULT_KEYS, actions.CLASH_SPACES)
        self._startup_problems: list[tuple[str, str, str]] = []  # (title, message, severity)
        #: every notification given, newest last (what the cataloguer was told; tests read it)
        self.said: list[tuple[str, str, str]] = []
        # NO_COLOR: Textual turns colours to grey levels, which needs real colours; the ansi theme's
        # native ANSI colours would come out black on black, so they are converted first.
        super().__init__(ansi_color=False if "NO_COLOR" in os.environ else None)
        #: the net under every drawn line (``tui.ui.safe``): no control character is drawn raw
        self.control_filter = ControlFilter()
        self._filters.append(self.control_filter)
        self.set_keymap(keymap_overrides(self.keymap.bindings))
        self._theme_name = self._register_themes(self.config.theme)
        #: set once the first record is drawn in the views (benchmarks: time to first record)
        self.first_record_shown = threading.Event()
        #: until when the cataloguer is busy with the app (background work waits meanwhile)
        self.busy_until = 0.0
        self._gc_tuned = False
        self._last_collect = monotonic()

    # -- where things are ----------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.config.path or config_mod.config_path()

    @property
    def user_keymaps_dir(self) -> Path:
        return keymap_mod.user_keymaps_dir()

    @property
    def user_themes_dir(self) -> Path:
        return themes_mod.user_themes_dir()

    # -- keys ---------------------------------------------------------------------------------------
    def key_display(self, key: str) -> str:
        return self.get_key_display(Binding(key, ""))

    def key_hint(self, binding_id: str) -> str:
        """How the first key of ``binding_id`` in the ACTIVE keymap is shown (for hints on screen)."""
        keys = self.keymap.keys(binding_id)
        return self.key_display(keys[0]) if keys else f"({binding_id})"

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node) -> None:
        """Textual also calls this when a binding keeps one of its own keys (``undo = "u"`` for
        ``u,ctrl+z``); real clashes between ids are found, with file and line, when the keymap is
        loaded (``tui.core.settings.keymap.clashes``) and told at start-up. Nothing to add here."""

    # -- themes --------------------------------------------------------------------------------------
    def _register_themes(self, wanted: str) -> str:
        """Register every shipped and user theme; return the name to use (with a fallback)."""
        chosen = None
        for name in themes_mod.available_themes():
            try:
                theme = ui_themes.to_textual(ui_themes.load(name))
            except themes_mod.ThemeError as exc:
                if name == wanted:
                    self._startup_problems.append(
                        (_("Theme"), _("{error}; using the default theme").format(error=exc), "error")
                    )
                continue
            self.register_theme(theme)
            if name == wanted:
                chosen = name
        if chosen is None:
            if wanted not in themes_mod.available_themes():
                self._startup_problems.append(
                    (
                        _("Theme"),
                        _("no theme named {name} (known: {known}); using the default theme").format(
                            name=repr(wanted), known=", ".join(themes_mod.available_themes())
                        ),
                        "error",
                    )
                )
            chosen = "default" if "default" in self.available_themes else "textual-dark"
        return chosen

    # -- notifications -------------------------------------------------------------------------------
    def say(
        self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None
    ) -> None:
        """A notification. Never markup: messages quote record text (``[channel record]``)."""
        self.said.append((title, message, severity))
        if not self.toasts:
            return
        self.notify(
            safe(message),
            title=safe(title),
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout if timeout is not None else (8 if severity != "information" else 4),
            markup=False,
        )

    # -- responsiveness ---------------------------------------------------------------------------------
    #: how long after a key press or a record change background work keeps out of the way
    BUSY_WINDOW = 0.3
    #: how long without input before the garbage collector gets a full run; and the longest gap
    IDLE_COLLECT, MAX_COLLECT_GAP = 1.0, 30.0

    def interacting(self) -> None:
        """The cataloguer is doing something: the indexing worker yields the processor a moment."""
        self.busy_until = monotonic() + self.BUSY_WINDOW

    @property
    def busy(self) -> bool:
        return monotonic() < self.busy_until

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.interacting()
        if isinstance(event, events.Paste) and has_unsafe(event.text) and isinstance(self.focused, Input):
            # a paste into any input (the palette's too) arrives with its control characters shown
            event.text = safe_paste(event.text)
        await super().on_event(event)

    def tune_gc(self) -> None:
        """Keep the garbage collector out of key presses.

        A full collection walks every object and takes tens of milliseconds with a record file
        open; a young one (generation 1) takes 5-10 ms here and came every fourth or fifth move,
        in the middle of one (a move must reach the screen within a 16 ms frame). So, once the first record is shown:
        what start-up made is frozen (it lives as long as the app; freezing costs nothing), the
        automatic collector is off, and collections run while the keyboard is still: the young
        generations every ``YOUNG_EVERY`` seconds (``collect_young``), a full one after a moment
        (at least every ``MAX_COLLECT_GAP`` seconds, keys or not). Moving between records leaves
        no cyclic garbage (``strip_cycles``, per-record caches in plain dicts), so nothing piles
        up while a key is held.
        """
        if self._gc_tuned:
            return
        self._gc_tuned = True
        self._gc_threshold = gc.get_threshold()
        self._gc_was_enabled = gc.isenabled()
        gc.freeze()
        gc.disable()
        self.set_interval(self.IDLE_COLLECT, self._collect_when_idle)
        self.set_interval(self.YOUNG_EVERY, self.collect_young)

    #: seconds between two looks at whether a young collection is due (when no key is coming)
    YOUNG_EVERY = 0.5

    def collect_young(self) -> None:
        """Collect the younger generations while the keyboard is still (what the indexing worker
        and the last moves left; a move itself leaves no cyclic garbage: ``strip_cycles``)."""
        if self._gc_tuned and not self.busy:
            gc.collect(1)

    def _collect_when_idle(self) -> None:
        now = monotonic()
        if self.busy_until - self.BUSY_WINDOW <= self._last_collect:
            return  # nothing done since the last run: nothing to collect
        if now >= self.busy_until + self.IDLE_COLLECT or now - self._last_collect > self.MAX_COLLECT_GAP:
            gc.collect()
            # and the pages of a mapped record file that reading records has mapped in
            from tui.core.batch.channel_filter import release_pages

            release_pages(self.session.source)
            self._last_collect = monotonic()

    def on_unmount(self) -> None:
        self._restore_gc()

    def record_shown(self) -> None:
        """A record is on screen (after the frame that shows it)."""
        if not self.first_record_shown.is_set():
            self.first_record_shown.set()
            self.call_after_refresh(self.tune_gc)

    def _restore_gc(self) -> None:
        if self._gc_tuned:
            gc.unfreeze()
            gc.set_threshold(*self._gc_threshold)
            if self._gc_was_enabled:
                gc.enable()
            self._gc_tuned = False

    # -- start ---------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from tui.ui.screens.main_screen import MainScreen

        self.theme = self._theme_name
        # pushed (not the default screen) so that Textual loads the screen's .tcss
        main = MainScreen(self.session, language=self.config.language)
        self.push_screen(main)
        for title, message, severity in self._startup_problems:
            self.say(message, title=title, severity=severity, timeout=12)
        for problem in self.config.problems:
            self.say(problem, title=_("Config"), severity="warning", timeout=12)
        for p in self.keymap.problems:
            self.say(str(p), title=_("Keymap {name}").format(name=self.keymap.name), severity=p.severity, timeout=12)
        if self.use_journal:  # every edit journalled; what a crashed session left is offered
            self.call_after_refresh(main.journal.start)

    def _main(self):
        from tui.ui.screens.main_screen import MainScreen

        for s in self.screen_stack:
            if isinstance(s, MainScreen):
                return s
        return None

    @property
    def index_complete(self) -> bool:
        """Indexing and the channel filter have gone through the whole file."""
        main = self._main()
        return bool(main is not None and main.index_done)

    def action_next_record(self) -> None:
        main = self._main()
        if main is not None:
            main.action_next_record()

    def action_previous_record(self) -> None:
        main = self._main()
        if main is not None:
            main.action_previous_record()

    # -- end -------------------------------------------------------------------------------------------
    def quit_clean(self) -> None:
        """Quit after a save, or when the cataloguer chose to throw the edits away."""
        self.session.close(clean=True)
        self.exit(0)

    async def action_quit(self) -> None:
        main = self._main()
        if main is not None:
            main.action_quit()
        else:
            self.quit_clean()

    def remember_sigel(self, sigel: str) -> None:
        try:
            path = config_mod.set_value("sigel", sigel, self.config.path)
        except (OSError, ValueError) as exc:
            self.say(
                _("Could not save the sigel in the config: {error}").format(error=exc),
                title=_("Config"),
                severity="warning",
            )
            return
        self.say(_("Sigel {sigel} saved in {path}.").format(sigel=sigel, path=path), title=_("Config"))

    # -- the command palette ---------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from tui.ui.screens.main_screen import MainScreen

        if isinstance(screen, MainScreen):
            for spec in actions.ACTIONS:
                if not spec.palette:
                    continue
                keys = ", ".join(self.key_display(k) for k in self.keymap.keys(spec.id))
                title = _(PALETTE_TITLES.get(spec.id, spec.title))
                yield SystemCommand(
                    safe(title),
                    safe(_("{help} (keys: {keys})").format(help=_(spec.help), keys=keys) if keys else _(spec.help)),
                    lambda a=spec.action: screen.run_action(a),
                )
        yield SystemCommand(
            _("Theme"),
            _("Change the colour theme (for this session; config.toml keeps yours)"),
            self.action_change_theme,
        )
        yield SystemCommand(
            _("Screenshot"),
            _("Save an SVG screenshot of the screen"),
            lambda: self.set_timer(0.1, self.deliver_screenshot),
        )
