"""``ats-bot cases conflicts``: the review list of NIK clashes on the command line, decisions audited with the
operating-system user and host who took them."""

from __future__ import annotations

import argparse

from cases import conflicts as C
from core.i18n import Translator, translator
from storage.db import Database


def _database() -> Database:
    from core.settings import get_settings
    from storage.startup import open_database

    return open_database(get_settings())


def cmd_conflicts(args: argparse.Namespace) -> int:
    t: Translator = translator(args.lang)
    db = _database()
    try:
        if args.action == "list":
            views = C.open_conflicts(db, args.region.strip(), status=None if args.all else "open")
            for view in views:
                print("\n".join(C.side_by_side(view)))
                print()
            print(f"{len(views)}")
            return 0
        if args.number is None:
            print("N?")
            return 2
        if args.action == "show":
            print("\n".join(C.side_by_side(C.conflict_view(db, args.number))))
            return 0
        decision = {"merge": "merge", "apart": "apart", "fix-nik": "fix_nik"}[args.action]
        if decision == "fix_nik" and not args.nik:
            print(t(C.BAD_NIK, value=""))
            return 2
        view = C.decide(db, args.number, decision, None, nik=args.nik, actor_detail={"via": "cli"})
    except C.ConflictError as refused:
        print(refused.render(t))
        return 1
    finally:
        db.dispose()
    print(t(C.DECIDED[decision], number=view.id, name=view.existing.name if decision != "fix_nik" or not view.held else view.held.name))
    return 0
