"""transfer, queue and survey."""

from __future__ import annotations

import pytest

from runtime import commands as c
from runtime import events as e
from tests.runtime.engine.conftest import summary

TRANSFER = """
var dest: string = "PJSIP/sales"
transfer start {
  say "Transferring"
  to TO
  timeout 20s
  failed -> sorry
}
hangup sorry {
  say "sorry"
}
"""


def test_transfer_success_ends_transferred_without_hangup(make):
    call = make(TRANSFER.replace("TO", '"PJSIP/desk"'))
    assert call.played() == ["Transfer(PJSIP/desk)", "Timer(30)"]
    tid = call.cmds[0].transfer_id
    assert call.send(e.TransferResult(2, True, transfer_id=tid)) == ["Cancel", "End(transferred)"]
    assert not any(isinstance(x, c.Hangup) for x in call.all)


@pytest.mark.parametrize("event", [
    lambda tid: e.TransferResult(2, False, "busy"),
    lambda tid: e.CommandFailed(2, tid, "404"),
    lambda tid: e.TimerFired(2, "GUARD"),
])
def test_transfer_failure_takes_failed_edge(make, event):
    call = make(TRANSFER.replace("TO", '"PJSIP/desk"'))
    call.played()
    ev = event(call.cmds[0].transfer_id)
    if isinstance(ev, e.TimerFired):
        ev = e.TimerFired(2, call.state.scratch.timer)
    assert call.send(ev)[-2:] == ["Visit(sorry)", "Play(sorry#2)"]
    assert call.logs("transfer_failed")


def test_transfer_failure_without_edge_ends_with_error(make):
    call = make(TRANSFER.replace("TO", '"PJSIP/desk"').replace("  failed -> sorry\n", ""))
    call.played()
    assert call.send(e.TransferResult(2, False, "busy")) == ["Cancel", "Hangup(normal)", "End(error)"]


def test_stale_transfer_result_is_ignored(make):
    call = make(TRANSFER.replace("TO", '"PJSIP/desk"'))
    call.played()
    assert call.send(e.TransferResult(2, True, transfer_id="old")) == []


def test_computed_destination_needs_the_transfer_allowlist(make):
    call = make(TRANSFER.replace("TO", "dest"))
    call.played()
    assert call.state.node == "sorry" and "allowlist" in call.logs("transfer_failed")[0].data["reason"]
    call = make(TRANSFER.replace("TO", "dest"), resources={"transfer_allowlist": ("PJSIP/*",)})
    assert call.played() == ["Transfer(PJSIP/sales)", "Timer(30)"]


QUEUE = """
var tier: number = 3
queue start {
  say "Please hold"
  skills billing: 2, english: 1
  priority tier * 2
  strategy skill_level
  announce position, wait
  announce_every 30s
  max_wait 2m
  callback_after 1m
  overflow -> vm
  callback -> cb
  after -> survey
}
hangup vm {
  say "vm"
}
hangup cb {
  say "cb"
}
survey survey {
  question q {
    say "Rate us"
    type csat
  }
  -> bye
}
hangup bye {
  say "bye"
}
"""


def queued(make, body=QUEUE):
    call = make(body)
    call.played()
    return call


def test_enqueue_carries_the_queue_settings(make):
    call = queued(make)
    enq, timer = call.cmds
    assert enq == c.Enqueue("start", (("billing", 2), ("english", 1)), 6.0, "skill_level", ("position", "wait"),
                            30.0, 120.0, 60.0, 15.0, "default", enq.request_id)
    assert timer == c.StartTimer(timer.timer_id, 130.0)


@pytest.mark.parametrize("outcome,node", [("overflow", "vm"), ("callback", "cb"), ("agent_ended", "survey")])
def test_queue_outcomes(make, outcome, node):
    call = queued(make)
    call.send(e.QueueResult(50, outcome, "agent1", 40.0))
    assert call.state.node == node


def test_agent_ended_without_after_ends_queued(make):
    call = queued(make, QUEUE.replace("  after -> survey\n", ""))
    assert call.send(e.QueueResult(50, "agent_ended", "a1", 3.0)) == ["Cancel", "Hangup(normal)", "End(queued)"]


def test_survey_after_agent_keeps_the_queued_outcome(make):
    call = queued(make)
    call.send(e.QueueResult(50, "agent_ended", "a1", 3.0))
    call.press("4")
    call.played()
    assert call.var("survey.q") == 4 and call.ended.outcome == "queued"


def test_hangup_while_queued_is_abandoned_and_before_is_caller_hangup(make):
    call = queued(make)
    assert call.hangup() == ["End(abandoned)"]
    call = make(QUEUE)
    assert call.hangup() == ["End(caller_hangup)"]
    call = queued(make)
    assert call.send(e.QueueResult(9, "caller_hangup")) == ["Cancel", "End(abandoned)"]


def test_queue_guard_dequeues_and_overflows(make):
    call = queued(make)
    rid = call.state.scratch.request
    assert call.timeout() == ["Dequeue", "Visit(vm)", "Play(vm#2)"]
    assert call.cmds[0] == c.Dequeue("start", rid)
    call = queued(make, QUEUE.replace("  overflow -> vm\n", ""))
    assert call.timeout()[-1] == "End(error)"


def test_queue_result_with_another_request_id_is_ignored(make):
    call = queued(make)
    assert call.send(e.QueueResult(5, "agent_ended", request_id="other")) == []
    assert call.send(e.QueueResult(5, "bogus")) == []


SURVEY = """
survey start {
  question sat {
    say "CSAT"
    type csat
    retries 1
  }
  question rec {
    say "NPS"
    type nps
    phrases 推荐: 10
  }
  question again {
    say "Again?"
    type yesno
  }
  -> bye
}
hangup bye {
  say "bye"
}
"""


def answers(call) -> tuple:
    return tuple(call.var(f"survey.{q}") for q in ("sat", "rec", "again"))


def test_survey_by_keys(make):
    call = make(SURVEY)
    call.press("5")   # barge-in on the CSAT question
    call.played()
    call.press("1")
    assert summary(call.cmds) == ["Cancel", "Timer(1.5)"]  # a 1 may be the start of 10
    call.press("0")
    call.press("2")
    assert answers(call) == (5, 10, "no") and call.state.node == "bye"


def test_survey_nps_lone_one_and_retries(make):
    call = make(SURVEY)
    call.press("7")   # out of range for CSAT: re-ask
    assert call.state.scratch.index == 0 and call.state.scratch.attempts == 1
    call.press("3")
    call.press("1")
    call.timeout()    # the window closed: the answer is 1
    call.press("9")   # not 1 or 2 for yes/no: re-ask
    call.press("1")
    assert answers(call) == (3, 1, "yes")


def test_survey_by_speech_and_phrases(make):
    call = make(SURVEY)
    call.played()
    call.say("I would say four")
    call.played()
    call.say("我会推荐")
    call.played()
    call.say("不是")
    assert answers(call) == (4, 10, "no")


def test_unanswered_questions_are_skipped_not_trapping(make):
    call = make(SURVEY)
    for _ in range(20):
        if call.state.node != "start":
            break
        call.played()
        call.timeout()
    assert answers(call) == (None, None, None) and call.state.node == "bye"
    assert len(call.logs("survey_skipped")) == 3


def test_survey_answer_types_follow_the_declared_variables(make):
    call = make("""
    var ok: bool = false
    var score: number = 0
    survey start {
      question a {
        say "Resolved?"
        type yesno
        into ok
      }
      question b {
        say "Score"
        type csat
        into score
      }
      -> bye
    }
    hangup bye {
      say "bye"
    }
    """)
    call.press("1")
    call.played()
    call.timeout()
    call.played()
    call.timeout()
    call.played()
    call.timeout()
    # yes/no into a bool is true/false; the skipped CSAT keeps its default 0 (not null)
    assert call.var("ok") is True and call.var("score") == 0 and call.state.node == "bye"
