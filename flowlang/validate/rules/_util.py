"""Helpers for the rules: re-exported from flowlang.analysis (shared with renderers and reports)."""

from flowlang.analysis.inline import *  # noqa: F401,F403
from flowlang.analysis.inline import _out  # noqa: F401
from flowlang.analysis.timing import *  # noqa: F401,F403
