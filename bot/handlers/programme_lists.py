"""The kabupaten team's lists in chat: ``/penerima [YEAR]`` the recipients of assistance (XLSX), ``/sk DATE`` the
Bupati's list of the children to be handled (XLSX and PDF). Only the kabupaten team and the administrator;
refusals and every list are audited by :mod:`reports.programme_lists`."""

from __future__ import annotations

import datetime as dt

from bot import programme_texts as P
from bot.model import Reply
from bot.turn import Turn
from flows.values import parse_date


def cmd_recipients(turn: Turn, args: str) -> None:
    from reports.export import NotAllowed  # spreadsheets (openpyxl) load with the first list
    from reports.programme_lists import recipients_xlsx

    words = args.split()
    year = int(words[0]) if words and words[0].isdigit() and len(words[0]) == 4 else turn.today.year
    region = turn.person.region_code or ""
    try:
        filename, content, count = recipients_xlsx(turn.db, region, year, turn.person.id)
    except NotAllowed as refused:
        turn.say("✗ " + turn.t(refused.message, **refused.params))
        turn.result.outcome = "denied:recipients"
        return
    turn.reply(Reply(turn.t(P.RECIPIENTS_READY, year=str(year), region=turn.store.region_name(region), count=count),
                     document=(filename, content)))
    turn.result.outcome = "recipients"


def cmd_bupati_list(turn: Turn, args: str) -> None:
    from reports.export import NotAllowed
    from reports.programme_lists import bupati_pdf, bupati_rows, bupati_xlsx, deadline

    parsed = parse_date(args.strip(), turn.today) if args.strip() else None
    if not isinstance(parsed, str):
        turn.say(turn.t(P.BUPATI_USAGE))
        turn.result.outcome = "bupati:usage"
        return
    decree = dt.date.fromisoformat(parsed)
    region = turn.person.region_code or ""
    try:
        xlsx = bupati_xlsx(turn.db, region, decree, turn.person.id)
        pdf = bupati_pdf(turn.db, region, decree, turn.person.id)
    except NotAllowed as refused:
        turn.say("✗ " + turn.t(refused.message, **refused.params))
        turn.result.outcome = "denied:bupati_list"
        return
    count = len(bupati_rows(turn.uow.session, region, decree))
    turn.reply(Reply(turn.t(P.BUPATI_READY, region=turn.store.region_name(region), count=count, deadline=turn.t.date(deadline(decree))),
                     document=xlsx))
    turn.reply(Reply("", document=pdf))
    turn.result.outcome = "bupati"
