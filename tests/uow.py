"""Calling a service the way a command does: in a unit of work of its own, committed when it returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from storage.db import Database
from storage.uow import UnitOfWork, unit_of_work

P = ParamSpec("P")
T = TypeVar("T")


def committed(db: Database, service: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    with unit_of_work(db) as uow:
        return service(uow, *args, **kwargs)
