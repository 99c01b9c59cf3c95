"""What every flow of the main screen shares: the screen, the app, the session, how to say things."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from tui.core.editing.commands import Refusal
from tui.ui.i18n import _


class Flow:
    """One flow of the main screen. ``screen`` is the ``MainScreen`` (not imported: no cycle).

    A flow is no Textual node: its workers are the screen's (``in_thread``), so they end with it.
    """

    def __init__(self, screen: Any) -> None:
        self.screen = screen

    @property
    def app(self) -> Any:
        return self.screen.app

    @property
    def session(self) -> Any:
        return self.screen.session

    def in_thread(self, method: Callable[..., Any], *args: Any, group: str):
        """Run ``method(*args)`` in a thread worker of the screen, the only one of its ``group``
        (what Textual's ``@work(thread=True, exclusive=True)`` does for a node's method)."""
        return self.screen.run_worker(
            partial(method, *args), name=method.__name__, group=group, exclusive=True, thread=True
        )

    def say(self, message: str, *, title: str = "", severity: str = "information", timeout: float | None = None):
        self.app.say(message, title=title, severity=severity, timeout=timeout)

    def refuse(self, refusal: Refusal) -> None:
        self.say(str(refusal), title=_("Refused ({rule})").format(rule=refusal.rule), severity="error", timeout=10)
