"""Failures meant for the operator, raised anywhere below the command line and printed by it as one line."""

from __future__ import annotations


class OperatorError(Exception):
    """A failure whose message is all an operator needs: ``ats-bot`` prints it as one line (exit 2), no traceback."""
