"""Caller tests (`flowc test`): `.calltest` scripts run as simulated calls, with coverage.

    test_file = parse_file("flows/tests/bank_service.calltest")   # script.CallTestFile
    target = load_target(test_file, flow)                          # flow: the compiled ir.Flow
    result = run_tests([target], min_coverage=90)                  # results.RunResult

Each test is one call through the embedded ARI simulator, an AriClient and a FlowServer (the
production path); see docs/testing.md for the format, the semantics and coverage.
"""

from runtime.testing.parse import parse, parse_file
from runtime.testing.script import ScriptError
from runtime.testing.suite import SetupError, Target, load_target, run, run_tests

__all__ = ["ScriptError", "SetupError", "Target", "load_target", "parse", "parse_file", "run", "run_tests"]
