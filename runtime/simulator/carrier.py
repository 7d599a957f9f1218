"""The network side of the simulator: inbound callers, originated calls and their far ends.

Originating to `PJSIP/…` (or SIP/IAX2/DAHDI) consults the endpoint behaviours, a simple carrier
model: the far end answers, is busy, never answers, is unreachable, or is an answering machine.
Originating to `Local/exten@context` creates the two halves and runs the `;2` half in the
simulated dialplan, like the traces. Events: Dial (dialstatus "") at once; ChannelStateChange
"Ringing"; then Dial ANSWER + StasisStart on answer, or Dial BUSY/NOANSWER/CHANUNAVAIL and
ChannelDestroyed (causes 17, 19, 20). A `CarrierMix` draws each call's outcome and ring time at
random (probabilities, ring-time ranges, answering machines, seeded) for campaign load.
"""

from __future__ import annotations

import fnmatch
import math
import random
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

from .calls import SimCall
from .clock import SimTimer
from .model import AriHttpError, SimChannel, channel_json

if TYPE_CHECKING:
    from .switch import Switch

OUTCOMES = ("answer", "busy", "noanswer", "unreachable", "machine")
TECHS = frozenset({"PJSIP", "SIP", "IAX2", "DAHDI", "Local"})
RINGING_AFTER = 0.05  # simulated seconds until the far end signals ringing
MACHINE_HANGUP_AFTER = 20.0  # an answering machine hangs up after its greeting and beep


@dataclass
class EndpointBehaviour:
    """What a simulated far end does when a call is originated to an endpoint matching `pattern`."""

    pattern: str
    outcome: str = "answer"
    ring_seconds: float = 1.0
    hangup_after: float | None = None
    on_answer: Callable[[SimCall], Awaitable[None] | None] | None = None
    mix: CarrierMix | None = None  # draw outcome and ring time per call instead (see CarrierMix)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")

    def drawn(self) -> EndpointBehaviour:
        """This behaviour for one call: with a mix, a concrete outcome and ring time drawn from it."""
        if self.mix is None:
            return self
        outcome, ring, talk = self.mix.draw()
        return EndpointBehaviour(self.pattern, outcome, ring, talk if talk is not None else self.hangup_after,
                                 self.on_answer)


@dataclass
class CarrierMix:
    """A statistical carrier for outbound campaigns: each call's outcome is drawn with these
    probabilities (normalised), its ring time uniformly from `ring` (answer, machine, no answer
    until the originate timeout) or `busy_ring` (busy), and, when `talk` is set, a person who
    answers hangs up after a lognormal talk time with that mean (seconds). Seeded: same run, same calls.

        sim.switch.carrier.add_mix("PJSIP/*@trunk", CarrierMix(answer=0.25, machine=0.08, seed=7))
    """

    answer: float = 0.25
    machine: float = 0.08
    busy: float = 0.10
    noanswer: float = 0.45
    unreachable: float = 0.12
    ring: tuple[float, float] = (5.0, 30.0)
    busy_ring: tuple[float, float] = (2.0, 8.0)
    talk: float | None = None
    talk_sigma: float = 0.6
    seed: int | None = None
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        weights = self.weights()
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("carrier mix probabilities must be >= 0 and not all 0")
        self.rng = random.Random(self.seed)

    def weights(self) -> tuple[float, ...]:
        return (self.answer, self.busy, self.noanswer, self.unreachable, self.machine)

    def draw(self) -> tuple[str, float, float | None]:
        """(outcome, ring seconds, talk seconds or None) for one call."""
        outcome = self.rng.choices(OUTCOMES, self.weights())[0]
        low, high = self.busy_ring if outcome == "busy" else self.ring
        ring = self.rng.uniform(low, high)
        talk = None
        if outcome == "answer" and self.talk:
            mu = math.log(self.talk) - self.talk_sigma ** 2 / 2
            talk = self.rng.lognormvariate(mu, self.talk_sigma)
        return outcome, ring, talk


@dataclass
class Origin:
    """How an originated channel was requested (kept on the channel until it is answered)."""

    dialstring: str
    app: str | None = None
    args: list[str] = field(default_factory=list)
    context: str | None = None
    extension: str | None = None
    priority: int | None = None
    timeout: float | None = 30.0
    behaviour: EndpointBehaviour | None = None
    timer: SimTimer | None = None


def parse_caller_id(caller_id: str | None) -> tuple[str, str]:
    """`"Name" <number>` or `number` → (name, number)."""
    if not caller_id:
        return "", ""
    if "<" in caller_id and caller_id.endswith(">"):
        name, _, number = caller_id[:-1].partition("<")
        return name.strip().strip('"'), number.strip()
    return "", caller_id.strip()


class Carrier:
    """Creates channels that come from, or go to, the simulated telephone network."""

    def __init__(self, switch: Switch, *, inbound_context: str, trunk: str) -> None:
        self.sw = switch
        self.inbound_context = inbound_context
        self.trunk = trunk
        self.behaviours: list[EndpointBehaviour] = []

    def behaviour_for(self, endpoint: str) -> EndpointBehaviour:
        """The most recently added behaviour whose pattern matches; by default the far end answers."""
        for behaviour in reversed(self.behaviours):
            if fnmatch.fnmatchcase(endpoint, behaviour.pattern):
                return behaviour.drawn()
        return EndpointBehaviour("*")

    def add_mix(self, pattern: str, mix: CarrierMix) -> EndpointBehaviour:
        """Originates to endpoints matching `pattern` draw their outcome from `mix` (newest rule wins)."""
        behaviour = EndpointBehaviour(pattern, "answer", mix=mix)
        self.behaviours.append(behaviour)
        return behaviour

    # ---- inbound ---------------------------------------------------------------------------
    def inbound(self, *, app: str, caller: str, caller_name: str, dialed: str,
                args: tuple[str, ...], language: str) -> SimCall:
        """A caller dials in on the trunk; the channel runs the dialplan (default: Stasis(app))."""
        ch = SimChannel(
            id=self.sw.new_channel_id(),
            name=f"PJSIP/{self.trunk}-{self.sw.next_name_index()}",
            state="Ring", creationtime=self.sw.clock.timestamp(), language=language,
            caller_name=caller_name, caller_number=caller,
            protocol_id=f"{uuid.uuid4().hex}@sim", context=self.inbound_context, exten=dialed)
        call = SimCall(self.sw, ch, direction="inbound", caller=caller, dialed=dialed,
                       language=language)
        self.sw.channels[ch.id] = ch
        self.sw.add_call(call)
        self.sw.dialplan.start(ch, self.inbound_context, dialed, 1,
                               fallback=[("Stasis", ",".join([app, *args]))])
        return call

    # ---- outbound --------------------------------------------------------------------------
    def originate(self, *, endpoint: str, app: str | None, app_args: str | None,
                  caller_id: str | None, timeout: int, channel_id: str | None,
                  other_channel_id: str | None, variables: dict[str, str],
                  context: str | None, extension: str | None, priority: int | None) -> SimChannel:
        """POST /channels: create the channel and dial; the 200 body is the channel, state Down."""
        tech, _, resource = endpoint.partition("/")
        if not resource or tech not in TECHS:
            raise AriHttpError(400, "Invalid endpoint specified")
        for ident in (channel_id, other_channel_id):
            if ident and ident in self.sw.channels:
                raise AriHttpError(409, "Channel with given unique ID already exists")
        origin = Origin(dialstring=resource, app=app,
                        args=app_args.split(",") if app_args else [],
                        context=context, extension=extension, priority=priority,
                        timeout=None if timeout < 0 else float(timeout),
                        behaviour=None if tech == "Local" else self.behaviour_for(endpoint))
        name, number = parse_caller_id(caller_id)
        index = self.sw.next_name_index()
        if tech == "Local":
            exten, _, ctx = resource.partition("@")
            ctx = ctx.split("/")[0] or "default"
            ch = self._new(channel_id, f"Local/{resource}-{index};1", ctx, exten, origin, app)
            two = SimChannel(id=other_channel_id or self.sw.new_channel_id(),
                             name=f"Local/{resource}-{index};2", state="Ring",
                             creationtime=ch.creationtime, context=ctx, exten=exten,
                             subscribers={app} if app else set())
            ch.peer, two.peer = two, ch
            self.sw.channels[two.id] = two
        else:
            peer_name = resource.split("@", 1)[1] if "@" in resource else resource
            ch = self._new(channel_id, f"{tech}/{peer_name}-{index}", "default", "s", origin, app)
            ch.protocol_id = f"{uuid.uuid4().hex}@sim"
            call = SimCall(self.sw, ch, direction="outbound", caller=number,
                           dialed=resource.split("@", 1)[0], language=ch.language)
            self.sw.add_call(call)
        ch.caller_name, ch.caller_number = name, number
        ch.vars.update(variables)
        self.sw.soon(self._dial, ch)
        return ch

    def _new(self, channel_id: str | None, name: str, context: str, exten: str, origin: Origin,
             app: str | None) -> SimChannel:
        ch = SimChannel(id=channel_id or self.sw.new_channel_id(), name=name, state="Down",
                        creationtime=self.sw.clock.timestamp(), context=context, exten=exten,
                        app_name="AppDial2", app_data="(Outgoing Line)", originated=True,
                        subscribers={app} if app else set(), origin=origin)
        self.sw.channels[ch.id] = ch
        return ch

    def _dial(self, ch: SimChannel) -> None:
        origin: Origin = ch.origin
        if ch.hungup:
            return
        self._dial_event(ch, "")
        timeout = origin.timeout
        if ch.peer is not None:  # Local: the ;2 half runs the dialplan and answers (or not)
            self.sw.dialplan.start(ch.peer, ch.peer.context, ch.peer.exten, 1)
            if timeout is not None:
                origin.timer = self.sw.schedule(ch, timeout, self._fail, ch, "NOANSWER", 19)
            return
        behaviour = origin.behaviour or EndpointBehaviour("*")
        if behaviour.outcome == "unreachable":
            self.sw.schedule(ch, RINGING_AFTER, self._fail, ch, "CHANUNAVAIL", 20)
            return
        self.sw.schedule(ch, RINGING_AFTER, self._ringing, ch)
        in_time = timeout is None or behaviour.ring_seconds < timeout
        if behaviour.outcome in ("answer", "machine") and in_time:
            origin.timer = self.sw.schedule(ch, behaviour.ring_seconds, self._far_answer, ch)
        elif behaviour.outcome == "busy" and in_time:
            self.sw.schedule(ch, behaviour.ring_seconds, self._fail, ch, "BUSY", 17)
        elif timeout is not None:
            origin.timer = self.sw.schedule(ch, timeout, self._fail, ch, "NOANSWER", 19)

    def _ringing(self, ch: SimChannel) -> None:
        if ch.state == "Down":
            self.sw.set_state(ch, "Ringing")
            self.sw.note(ch, "ringing")

    def _fail(self, ch: SimChannel, status: str, cause: int) -> None:
        if ch.state == "Up" or ch.hungup:
            return
        self._dial_event(ch, status)
        self.sw.hangup(ch, cause=cause, by="network")

    def _far_answer(self, ch: SimChannel) -> None:
        origin: Origin = ch.origin
        behaviour = origin.behaviour or EndpointBehaviour("*")
        call = ch.call
        machine = behaviour.outcome == "machine"
        ch.vars.update(AMDSTATUS="MACHINE" if machine else "HUMAN",
                       AMDCAUSE="LONGGREETING-2000-1500" if machine else "HUMAN-300-300")
        if call is not None:
            call.is_machine = machine
        self.sw.note(ch, "answered")
        self.remote_answered(ch)
        hangup_after = behaviour.hangup_after
        if hangup_after is None and machine:
            hangup_after = MACHINE_HANGUP_AFTER
        if hangup_after is not None:
            self.sw.schedule(ch, hangup_after, self.sw.hangup, ch, cause=16, by="caller")
        if behaviour.on_answer is not None and call is not None:
            call.run(behaviour.on_answer(call))

    def remote_answered(self, ch: SimChannel) -> None:
        """The far end (or the other Local half) answered: Up, Dial ANSWER, then Stasis or dialplan."""
        origin: Origin | None = ch.origin
        if ch.hungup or ch.state == "Up" or origin is None:
            return
        if origin.timer is not None:
            origin.timer.cancel()
        self.sw.set_state(ch, "Up")
        self._dial_event(ch, "ANSWER")
        if origin.app:
            if not self.sw.stasis_enter(ch, origin.app, origin.args):
                self.sw.hangup(ch, cause=16, by="dialplan")
        else:
            self.sw.dialplan.start(ch, origin.context or "default", origin.extension or "s",
                                   origin.priority or 1)

    def _dial_event(self, ch: SimChannel, status: str) -> None:
        origin: Origin = ch.origin
        if ch.subscribers:
            self.sw.hub.publish(ch.subscribers, "Dial", {
                "dialstatus": status, "forward": "", "dialstring": origin.dialstring,
                "peer": channel_json(ch)})

    # ---- external media --------------------------------------------------------------------
    def external_media(self, *, app: str, external_host: str, fmt: str, channel_id: str | None,
                       encapsulation: str, transport: str, variables: dict[str, str]) -> SimChannel:
        """POST /channels/externalMedia: an UnicastRTP channel that enters the app at once; with
        RTP over UDP it streams the audio of its bridge to external_host (audio.MediaStreams)."""
        if channel_id and channel_id in self.sw.channels:
            raise AriHttpError(409, "Channel with given unique ID already exists")
        fallback_port = 10000 + int(self.sw.next_name_index(), 16) % 10000
        tech = "AudioSocket" if encapsulation == "audiosocket" else "UnicastRTP"
        ch = SimChannel(id=channel_id or self.sw.new_channel_id(),
                        name=f"{tech}/{external_host}-{uuid.uuid4().hex[:16]}", state="Down",
                        creationtime=self.sw.clock.timestamp(),
                        origin=Origin(dialstring=external_host, app=app))
        local_port = self.sw.streams.open(ch, external_host, fmt, encapsulation, transport) or fallback_port
        rtp = {"UNICASTRTP_LOCAL_ADDRESS": "127.0.0.1", "UNICASTRTP_LOCAL_PORT": str(local_port)}
        ch.channelvars = dict(rtp)
        ch.vars.update(variables, **rtp)
        ch.vars["SIM_EXTERNAL_MEDIA"] = f"{fmt}/{encapsulation}/{transport}"
        self.sw.channels[ch.id] = ch
        if not self.sw.stasis_enter(ch, app, []):
            self.sw.channels.pop(ch.id, None)
            self.sw.streams.close(ch)
            raise AriHttpError(400, "Stasis application not connected")
        return ch

