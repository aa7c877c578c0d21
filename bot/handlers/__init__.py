"""Handlers of chat turns, one module per concern; each function takes the :class:`bot.turn.Turn` first.

Modules call each other as plain functions and never import :mod:`bot.registry` (the tables that name them) or
:mod:`bot.conversation` (the dispatcher), so the imports run one way: ``bot.turn`` ← lookups and consent ←
``asking`` ← everything else ← ``bot.registry`` ← ``bot.conversation``.
"""
