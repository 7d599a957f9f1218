"""play, set, branch, switch, goto, hangup: (flow, events) -> commands, h11-style tables."""

from __future__ import annotations

import pytest

from runtime import commands as c
from runtime import events as e
from tests.runtime.engine.conftest import summary

PLAY = """
play start {
  say "Hello", "World"
  -> bye
}
hangup bye {
  say "Bye"
}
"""


def test_start_answers_sets_language_and_plays(make):
    call = make(PLAY)
    assert summary(call.cmds) == ["Answer", "Lang(en-US)", "Visit(start)", "Play(start#1,start#2)"]
    play = call.cmds[-1]
    assert play.playback_id == "c1-p1" and play.bargein is False
    assert [s.value for i in play.items for s in i.segments] == ["Hello", "World"]


def test_outbound_call_is_not_answered(make):
    call = make(PLAY, caller_kw={"direction": "outbound", "contact": {"id": "k1", "name": "Li"}})
    assert not any(isinstance(x, c.Answer) for x in call.cmds)


def test_play_then_hangup_completes(make):
    call = make(PLAY)
    assert call.played() == ["Visit(bye)", "Play(bye#3)"]
    assert call.played() == ["Hangup(normal)", "End(completed)"]
    assert call.state.ended and call.state.outcome == "completed"


def test_stale_playback_and_unknown_timer_are_ignored(make):
    call = make(PLAY)
    before = call.state
    assert call.send(e.PlaybackFinished(1, "c1-p999")) == []
    assert call.send(e.TimerFired(1, "nope")) == []
    assert call.send(e.DtmfReceived(1, "1")) == []  # no barge-in: ignored
    assert call.send(e.DtmfReceived(1, "x")) == []  # not a DTMF key
    assert call.state == before


BARGE = """
play start {
  say "Welcome"
  bargein on
  -> menu
}
menu menu {
  say "Press 1 or 2"
  key 1 -> one
  key 2 -> two
}
hangup one {
  say "One"
}
hangup two {
  say "Two"
}
"""


def test_bargein_key_is_typeahead_for_the_next_menu(make):
    call = make(BARGE)
    # the key stops the welcome and picks choice 2 at once: the menu prompt is never played
    assert call.press("2") == ["Stop", "Visit(menu)", "Visit(two)", "Play(two#4)"]


def test_typeahead_keeps_extra_keys_for_later_menus(make):
    call = make("""
    play start {
      say "Welcome"
      bargein on
      -> news
    }
    play news {
      say "News"
      bargein on
      -> first
    }
    menu first {
      say "First"
      key 1 -> second
    }
    menu second {
      say "Second"
      key 2 -> done
    }
    hangup done {
      say "Done"
    }
    """)
    assert call.press("1") == ["Stop", "Visit(news)", "Play(news#2)"]
    assert call.state.typeahead == "1"
    # the second key stops "News"; both menus are answered from the type-ahead, unplayed
    assert call.press("2") == ["Stop", "Visit(first)", "Visit(second)", "Visit(done)", "Play(done#5)"]
    assert call.state.typeahead == ""


SET_BRANCH = """
var n: number = 1
var who: string = ""
set start {
  n = n + 41
  who = "x" + string(n)
  -> decide
}
branch decide {
  if n > 100 -> big
  if who == "x42" -> exact
  else -> other
}
hangup big {
  say "big"
}
hangup exact {
  say "exact"
}
hangup other {
  say "other"
}
"""


def test_set_assigns_in_order_and_branch_takes_first_true(make):
    call = make(SET_BRANCH)
    assert call.var("n") == 42 and call.var("who") == "x42"
    assert call.state.node == "exact"


SWITCH = """
var tier: string = "gold"
switch start {
  on tier
  case "silver", "gold" -> metal
  case "vip" -> vip
  default -> other
}
hangup metal {
  say "metal"
}
hangup vip {
  say "vip"
}
hangup other {
  say "other"
}
"""


@pytest.mark.parametrize("tier,node", [("gold", "metal"), ("silver", "metal"), ("vip", "vip"),
                                       ("bronze", "other")])
def test_switch(make, tier, node):
    call = make(SWITCH.replace('"gold"\n', f'"{tier}"\n', 1))
    assert call.state.node == node


def test_goto_and_a_loop_without_waiting_is_cut(make):
    call = make("""
    goto start {
      -> again
    }
    goto again {
      -> start
    }
    """)
    assert call.ended.outcome == "error"
    assert "without waiting" in call.ended.reason
    assert call.cmds[-2] == c.Hangup("normal")


def test_branch_without_else_ends_with_error_not_a_trap(make):
    call = make("""
    var n: number = 0
    branch start {
      if n > 1 -> done
    }
    hangup done {
      say "x"
    }
    """)
    assert call.ended.outcome == "error" and "no `else` exit" in call.ended.reason


def test_runtime_evaluation_error_logs_and_ends_with_error(make):
    call = make("""
    var reply: map
    var n: number = 0
    set start {
      n = reply.missing
      -> done
    }
    hangup done {
      say "x"
    }
    """)
    assert call.ended.outcome == "error"
    (err,) = call.logs("error")
    assert "set n" in err.data["reason"]


def test_hangup_reason_and_no_prompts(make):
    call = make("""
    hangup start {
      reason busy
    }
    """)
    assert summary(call.cmds)[-3:] == ["Visit(start)", "Hangup(busy)", "End(completed)"]


def test_play_command_failed_continues(make):
    call = make(PLAY)
    assert call.send(e.CommandFailed(1, "c1-p1", "no such sound")) == ["Visit(bye)", "Play(bye#3)"]
    assert call.logs("playback_failed")
