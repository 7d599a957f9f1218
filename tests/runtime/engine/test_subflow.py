"""call / return: frames with the subflow's own variables, outputs copied back, outcome edges."""

from __future__ import annotations

from runtime.resources import Settings
from tests.runtime.engine.conftest import summary

CALL = """
var got: number = 0
var label: string = "main"
call start {
  subflow double
  x = got + 21
  outputs y: got
  ok -> done
  -> fallback
}
hangup done {
  say "done {got}"
}
hangup fallback {
  say "fallback"
}
subflow double {
  param x: number
  output y: number = 0
  var label: string = "sub"
  entry calc
  set calc {
    y = x * 2
    -> fin
  }
  return fin {
    outcome OUTCOME
  }
}
"""


def test_call_runs_the_subflow_and_copies_outputs(make):
    call = make(CALL.replace("OUTCOME", "ok"))
    assert summary(call.cmds)[2:] == ["Visit(start)", "Visit(double.calc)", "Visit(double.fin)", "Visit(done)",
                                      "Play(done#1)"]
    assert call.var("got") == 42 and len(call.state.frames) == 1
    assert call.cmds[-1].items[0].segments[-1].value == "done 42"
    assert [x.event for x in call.logs()] == ["call", "return"]


def test_unknown_outcome_falls_back_to_next(make):
    call = make(CALL.replace("OUTCOME", "weird"))
    assert call.state.node == "fallback" and call.var("got") == 42


def test_outcome_without_edge_or_next_ends_with_error(make):
    call = make(CALL.replace("OUTCOME", "weird").replace("  -> fallback\n", ""))
    assert call.ended.outcome == "error" and "return:weird" in call.ended.reason


def test_subflow_frame_has_its_own_variables(make):
    body = CALL.replace("OUTCOME", "ok").replace("    y = x * 2\n", "    y = x * 2\n    label = \"changed\"\n")
    call = make(body)
    assert call.var("label") == "main"  # the subflow's `label` lived and died in its own frame


def test_return_values_and_default_outputs(make):
    call = make("""
    var y: number = 0
    call start {
      subflow f
      -> done
    }
    hangup done {
      say "x"
    }
    subflow f {
      output y: number = 0
      entry fin
      return fin {
        outcome done
        y = 7
      }
    }
    """)
    # no `outputs` mapping: an output goes to the caller's variable of the same name
    assert call.var("y") == 7 and call.state.node == "done"


def test_recursion_is_cut_at_max_depth(make):
    call = make("""
    call start {
      subflow loop
      -> done
    }
    hangup done {
      say "x"
    }
    subflow loop {
      entry again
      play again {
        say "again"
        -> deeper
      }
      call deeper {
        subflow loop
        -> fin
      }
      return fin {
        outcome ok
      }
    }
    """, resources={"settings": Settings(strict=True, max_depth=3)})
    for _ in range(10):
        if call.state.ended:
            break
        call.played()
    assert call.ended.outcome == "error" and "nested deeper" in call.ended.reason
    assert len(call.state.frames) == 4
