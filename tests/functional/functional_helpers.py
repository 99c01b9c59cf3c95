"""Helpers of the functional tests: build the app on a file, read the screen, find lines."""

from __future__ import annotations

from pathlib import Path

from tui.core.files.filestamp import FileStamp
from tui.core.formats import open_source
from tui.core.rules.profile import Profile
from tui.core.settings.config import Config
from tui.ui.app import LibrisApp
from tui.ui.session import Session

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "functional"
SAMPLES = HERE.parent.parent / "sample_records"


def build_app(
    path: Path | str,
    *,
    sigel: str | None = None,
    profile: str = "full",
    keymap: str = "default",
    theme: str = "default",
    language: str = "sv",
    journal: bool = False,
    ui_language: str = "en",
) -> LibrisApp:
    config = Config(
        sigel=sigel or "",
        participation=profile,
        keymap=keymap,
        theme=theme,
        language=language,
        ui_language=ui_language,
    )
    stamp = FileStamp.take(path)
    session = Session(open_source(path), profile=Profile.from_name(profile), sigel=sigel, stamp=stamp)
    # toasts off: what the app says is in app.said; toasts would make snapshots depend on timing
    return LibrisApp(session, config=config, journal=journal, steady_cursor=True, toasts=False)


def screen_text(app) -> str:
    """What the terminal shows now, as plain text (record content is asserted on screen)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def said(app, severity: str | None = None) -> list[str]:
    """The notifications given so far (title: message)."""
    return [f"{t}: {m}" for t, m, s in app.said if severity is None or s == severity]


def main_screen(app):
    from tui.ui.screens.main_screen import MainScreen

    return next(s for s in app.screen_stack if isinstance(s, MainScreen))


def marc_index(app, prefix: str) -> int:
    """Index of the first MARC view line starting with ``prefix`` (e.g. "506")."""
    lines = main_screen(app).marc.lines
    for i, ln in enumerate(lines):
        if ln.text.startswith(prefix):
            return i
    raise AssertionError(f"no MARC line starts with {prefix!r}: {[ln.text for ln in lines]}")


async def focus_marc_line(pilot, prefix: str, part: int | None = None) -> None:
    """Put the MARC view's cursor on the line starting with ``prefix`` (and on a part)."""
    screen = main_screen(pilot.app)
    screen._show_view("marc")
    screen.marc.focus()
    await pilot.pause()
    screen.marc.move_to(marc_index(pilot.app, prefix), part)
    await pilot.pause()
