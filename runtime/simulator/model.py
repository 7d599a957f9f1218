"""State records of the simulated Asterisk objects and their ARI JSON forms.

Field names and nesting follow Asterisk 22's models (channels.json, bridges.json, playbacks.json,
recordings.json, applications.json) and the recorded traces in ../shared/ari-traces.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import SimTimer

if TYPE_CHECKING:
    from .calls import SimCall

# Asterisk's hang-up cause texts (main/channel.c causes table) for the causes the simulator uses.
CAUSES: dict[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    58: "Bearer capability not available",
    127: "Interworking, unspecified",
}

# DELETE /channels/{id}?reason=… → cause (res/ari/resource_channels.c).
HANGUP_REASONS: dict[str, int] = {
    "normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 18, "rejected": 21,
    "unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
    "interworking": 127, "failure": 38, "answered_elsewhere": 26,
}

# ChannelHangupRequest.cause for a hang-up asked over ARI: AST_SOFTHANGUP_EXPLICIT, as in the traces.
EXPLICIT_SOFT_HANGUP = 32


def cause_text(cause: int) -> str:
    """Asterisk's text for a hang-up cause."""
    return CAUSES.get(cause, "Unknown")


class AriHttpError(Exception):
    """A REST failure the simulator answers with Asterisk's status code and `{"message": …}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


@dataclass(eq=False)
class SimChannel:
    """One simulated channel: everything Asterisk would snapshot into Channel JSON, plus sim state."""

    id: str
    name: str
    state: str
    creationtime: str
    language: str = "en"
    caller_name: str = ""
    caller_number: str = ""
    connected_name: str = ""
    connected_number: str = ""
    protocol_id: str = ""
    accountcode: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    originated: bool = False
    subscribers: set[str] = field(default_factory=set)
    stasis_app: str | None = None
    stasis_done: asyncio.Future[Any] | None = None
    vars: dict[str, str] = field(default_factory=dict)
    bridge_id: str | None = None
    peer: SimChannel | None = None
    call: SimCall | None = None
    hungup: bool = False
    current_playback: SimPlayback | None = None
    play_queue: deque[SimPlayback] = field(default_factory=deque)
    recording: SimRecording | None = None
    timers: set[SimTimer] = field(default_factory=set)
    dtmf_in_free_at: float = 0.0
    dtmf_out_free_at: float = 0.0
    dialplan_task: asyncio.Task[None] | None = None
    channelvars: dict[str, str] | None = None
    origin: Any = None

    @property
    def tech(self) -> str:
        """The channel technology, e.g. PJSIP or Local."""
        return self.name.split("/", 1)[0]

    @property
    def in_stasis(self) -> bool:
        """True while the channel is inside a Stasis application."""
        return self.stasis_app is not None


def channel_json(ch: SimChannel) -> dict[str, Any]:
    """The Channel model, exactly as Asterisk 22 nests it."""
    data: dict[str, Any] = {
        "id": ch.id,
        "name": ch.name,
        "state": ch.state,
        "protocol_id": ch.protocol_id,
        "caller": {"name": ch.caller_name, "number": ch.caller_number},
        "connected": {"name": ch.connected_name, "number": ch.connected_number},
        "accountcode": ch.accountcode,
        "dialplan": {
            "context": ch.context,
            "exten": ch.exten,
            "priority": ch.priority,
            "app_name": ch.app_name,
            "app_data": ch.app_data,
        },
        "creationtime": ch.creationtime,
        "language": ch.language,
    }
    if ch.channelvars is not None:
        data["channelvars"] = dict(ch.channelvars)
    return data


@dataclass(eq=False)
class SimPlayback:
    """A playback (one media URI or a playlist) on a channel or a bridge."""

    id: str
    medias: list[str]
    target_uri: str
    language: str
    state: str = "queued"
    index: int = 0
    canceled: bool = False
    timer: SimTimer | None = None

    @property
    def media(self) -> str:
        """The media URI currently (or last) playing."""
        return self.medias[self.index]


def playback_json(pb: SimPlayback) -> dict[str, Any]:
    """The Playback model; `next_media_uri` only while a playlist has a next item."""
    data: dict[str, Any] = {"id": pb.id, "media_uri": pb.media}
    if pb.index < len(pb.medias) - 1:
        data["next_media_uri"] = pb.medias[pb.index + 1]
    data.update(target_uri=pb.target_uri, language=pb.language, state=pb.state)
    return data


@dataclass(eq=False)
class SimRecording:
    """A live recording on a channel or a bridge."""

    name: str
    format: str
    target_uri: str
    state: str = "queued"
    started_at: float = 0.0
    max_duration: int = 0
    max_silence: int = 0
    terminate_on: str = "none"
    duration: int | None = None
    silence_duration: int | None = None
    talking_duration: int | None = None
    speech: list[str] = field(default_factory=list)
    talking: float = 0.0
    if_exists: str = "fail"
    silence_timer: SimTimer | None = None
    max_timer: SimTimer | None = None


def recording_json(rec: SimRecording) -> dict[str, Any]:
    """The LiveRecording model; durations appear once the recording is done."""
    data: dict[str, Any] = {
        "name": rec.name, "format": rec.format, "state": rec.state, "target_uri": rec.target_uri,
    }
    if rec.duration is not None:
        data["duration"] = rec.duration
    if rec.talking_duration is not None:
        data["talking_duration"] = rec.talking_duration
    if rec.silence_duration is not None:
        data["silence_duration"] = rec.silence_duration
    return data


@dataclass(eq=False)
class StoredRecording:
    """A finished recording kept under /recordings/stored (no audio: its length and the caller's words)."""

    name: str
    format: str
    duration: int = 0
    speech: list[str] = field(default_factory=list)


@dataclass(eq=False)
class SimBridge:
    """A bridge created over ARI."""

    id: str
    name: str
    bridge_type: str
    creationtime: str
    channels: list[str] = field(default_factory=list)
    subscribers: set[str] = field(default_factory=set)
    current_playback: SimPlayback | None = None
    play_queue: deque[SimPlayback] = field(default_factory=deque)
    recording: SimRecording | None = None
    timers: set[SimTimer] = field(default_factory=set)
    destroyed: bool = False

    @property
    def technology(self) -> str:
        """Asterisk picks the bridging technology from the type and the number of channels."""
        if self.bridge_type == "holding":
            return "holding_bridge"
        return "simple_bridge" if len(self.channels) <= 2 else "softmix"


def bridge_json(br: SimBridge) -> dict[str, Any]:
    """The Bridge model as in the traces."""
    return {
        "id": br.id,
        "technology": br.technology,
        "bridge_type": br.bridge_type,
        "bridge_class": "stasis",
        "creator": "Stasis",
        "name": br.name,
        "channels": list(br.channels),
        "creationtime": br.creationtime,
        "video_mode": "talker" if br.bridge_type == "mixing" else "none",
    }


def application_json(name: str, channel_ids: list[str], bridge_ids: list[str]) -> dict[str, Any]:
    """The Application model: plain ids in `channel_ids`, as app_to_json() builds them."""
    return {
        "name": name,
        "channel_ids": channel_ids,
        "bridge_ids": bridge_ids,
        "endpoint_ids": [],
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }
