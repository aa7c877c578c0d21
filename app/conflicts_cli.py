"""``ats-bot cases conflicts``: the review list of NIK clashes on the command line, decisions audited with the
operating-system user and host who took them."""

from __future__ import annotations

import argparse

from cases import conflicts as C
from core.i18n import Translator, translator
from storage.db import Database
from storage.uow import UnitOfWork, unit_of_work


def _database() -> Database:
    from core.settings import get_settings
    from storage.startup import open_database

    return open_database(get_settings())


def cmd_conflicts(args: argparse.Namespace) -> int:
    t: Translator = translator(args.lang)
    db = _database()
    try:
        with unit_of_work(db) as uow:
            return _run(t, uow, args)
    except C.ConflictError as refused:  # the unit of work was rolled back: nothing changed
        print(refused.render(t))
        return 1
    finally:
        db.dispose()


def _run(t: Translator, uow: UnitOfWork, args: argparse.Namespace) -> int:
    if args.action == "list":
        views = C.open_conflicts(uow, args.region.strip(), status=None if args.all else "open")
        for view in views:
            print("\n".join(C.side_by_side(view)))
            print()
        print(f"{len(views)}")
        return 0
    if args.number is None:
        print("N?")
        return 2
    if args.action == "show":
        print("\n".join(C.side_by_side(C.conflict_view(uow, args.number))))
        return 0
    decision = {"merge": "merge", "apart": "apart", "fix-nik": "fix_nik"}[args.action]
    if decision == "fix_nik" and not args.nik:
        print(t(C.BAD_NIK, value=""))
        return 2
    view = C.decide(uow, args.number, decision, None, nik=args.nik, actor_detail={"via": "cli"})
    print(t(C.DECIDED[decision], number=view.id, name=view.existing.name if decision != "fix_nik" or not view.held else view.held.name))
    return 0
