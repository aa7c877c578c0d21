"""``/dasbor``: a one-time link to the web dashboard, bound to the person who asked; ``/dasbor keluar`` signs
them out of every browser. Teams, school operators and pendamping only (``web.auth.DASHBOARD_ROLES``)."""

from __future__ import annotations

from bot.turn import Turn
from core.clock import shifted_clock
from core.settings import get_settings
from flows.messages import N_
from web.auth import NotForDashboard, end_all_sessions, issue_link

CMD_DASHBOARD = N_("Open the web dashboard")
DASHBOARD_LINK = N_(
    "Your dashboard link (works once, for {minutes} minutes, only for you — do not forward it):\n{link}\n\n"
    "To sign out of every browser: /dasbor keluar"
)
DASHBOARD_SIGNED_OUT = N_("You are signed out of the dashboard on every browser ({count} sessions ended).")
SIGN_OUT_WORDS = frozenset({"keluar", "logout", "metu", "sign out", "signout"})


def cmd_dashboard(turn: Turn, args: str) -> None:
    """``/dasbor [keluar]``."""
    settings = get_settings()
    now = shifted_clock(settings.simulated_date)()  # the dashboard's clock: the link is valid there for its minutes
    if args.strip().lower() in SIGN_OUT_WORDS:
        ended = end_all_sessions(turn.db, turn.person.id, now)
        turn.say(turn.t(DASHBOARD_SIGNED_OUT, count=ended))
        turn.result.outcome = "dashboard:signed-out"
        return
    try:
        token = issue_link(turn.db, turn.person.id, now, settings.web_link_minutes)
    except NotForDashboard:
        turn.deny("dashboard")
        return
    turn.say(turn.t(DASHBOARD_LINK, minutes=settings.web_link_minutes, link=f"{settings.dashboard_url()}/masuk/{token}"))
    turn.result.outcome = "dashboard:link"
