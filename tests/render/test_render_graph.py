"""Flow diagrams: golden DOT per test flow, styles, escaping, heat/times, and SVG/PNG smoke tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flowlang import ir
from flowlang.render import graph
from flowlang.render.graph import RenderError, render, to_dot
from flowlang.render.style import ERROR_EVENTS, NODE_STYLES, edge_style, heat_colour
from flowlang.render.text import expr_text, truncate, width

GOLDEN = Path(__file__).parent / "golden"
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed (Debian package graphviz)")
SVG = "{http://www.w3.org/2000/svg}"


def _node_line(dot: str, node_id: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f'"{node_id}" ['))


def _edge_lines(dot: str, source: str, target: str) -> list[str]:
    return [line for line in dot.splitlines() if f'"{source}" -> "{target}"' in line]


@pytest.mark.parametrize("name", ["bank_service", "subflow", "all_kinds"])
def test_dot_matches_golden(name, flow, golden_file):
    golden_file(GOLDEN / f"{name}.dot", to_dot(flow(name)))


def test_dot_with_heat_and_times_matches_golden(flow, golden_file):
    f = flow("subflow")
    heat = {"hello": 1.0, "identify": 0.8, "desk": 0.5, "bye": 0.1, "ask_member.ask": 0.75}
    times = {"hello": 95.0, "identify": 90.0, "desk": 0.0, "bye": float("inf")}
    golden_file(GOLDEN / "subflow-heat.dot", to_dot(f, heat=heat, times=times))


def test_same_ir_gives_same_bytes_also_after_a_json_round_trip(flow):
    f = flow("bank_service")
    again = ir.Flow.from_json(f.to_json())
    assert to_dot(f) == to_dot(again) == to_dot(f)
    assert render(f, "dot") == to_dot(f).encode("utf-8")


def test_every_kind_has_its_own_look():
    looks = [(s.shape, s.fill) for s in NODE_STYLES.values()]
    assert len(set(looks)) == len(looks)
    assert len({s.fill for s in NODE_STYLES.values()}) == len(NODE_STYLES)
    assert NODE_STYLES["queue"].shape == "house" and NODE_STYLES["hangup"].shape == "octagon"
    assert NODE_STYLES["transfer"].shape == "doubleoctagon" and NODE_STYLES["branch"].shape == "diamond"


def test_each_node_is_drawn_with_its_kind_style(flow):
    f = flow("all_kinds")
    dot = to_dot(f)
    for node in f.nodes:
        line = _node_line(dot, node.id)
        st = NODE_STYLES[node.kind]
        assert f'shape="{st.shape}"' in line and f'fillcolor="{st.fill}"' in line, line
        assert f'<FONT POINT-SIZE="9">{node.kind}</FONT>' in line


def test_error_edges_are_dashed_red_and_others_are_not(flow):
    f = flow("all_kinds")
    dot = to_dot(f)
    for e in f.edges:
        line = next(l for l in _edge_lines(dot, e.source, e.target) if edge_style(e.event).color in l)
        if e.event.split(":")[0] in ERROR_EVENTS:
            assert 'style="dashed"' in line and "#c92a2a" in line, line
        else:
            assert 'style="dashed"' not in line, line
    assert {"noinput", "nomatch", "exhausted", "error", "overflow"} <= ERROR_EVENTS


def test_labels_show_summaries_choices_and_event_names(flow):
    f = flow("all_kinds")
    dot = to_dot(f)
    main = _node_line(dot, "main")
    assert "请选择：1 或 2。" in main  # the menu's prompt, in the default language
    assert "[1] 一 / one" in main and "[2]" in main and "voice: help" in main
    assert "digits 4–6 → code (secure)" in _node_line(dot, "ask")
    assert "if 1: caller.number in vip" in _node_line(dot, "route")
    assert "if 2: open(office)" in _node_line(dot, "route")
    assert "[1] → zh-CN" in _node_line(dot, "lang")
    assert "general:2, billing:1, max 2m" in _node_line(dot, "desk")
    assert "POST api.example.com/v1/lookup?co…" in _node_line(dot, "fetch_it")
    assert any("label=<1 / 一 / one>" in l for l in _edge_lines(dot, "main", "ask"))
    assert any("label=<if 1>" in l for l in _edge_lines(dot, "route", "vip_set"))
    assert any("label=<noinput>" not in l and "label=<nomatch>" in l for l in _edge_lines(dot, "main", "desk"))
    assert any("label=<after>" in l for l in _edge_lines(dot, "desk", "poll"))
    assert any("label=<ok>" in l for l in _edge_lines(dot, "fetch_it", "db"))
    assert any("label=<↩ ok>" in l for l in _edge_lines(dot, "sub", "poll"))


def test_flow_text_is_escaped_inside_labels(flow):
    dot = to_dot(flow("all_kinds"))
    start = _node_line(dot, "start")
    assert "欢迎 &lt;b&gt;致电&lt;/b&gt; &amp; 测试" in start
    assert "<b>" not in dot
    assert "All &lt;kinds&gt; &amp; &quot;quotes&quot;" in dot.splitlines()[1]
    assert 'want = "' not in dot  # quotes inside labels are entities, never raw


def test_subflows_are_clusters_and_calls_point_at_their_entry(flow):
    f = flow("subflow")
    dot = to_dot(f)
    cluster = dot[dot.index('subgraph "cluster_0"'):]
    cluster = cluster[:cluster.index("\n  }")]
    assert "subflow ask_member() → number: string" in cluster
    for node in f.nodes:
        assert (f'"{node.id}" [' in cluster) == node.id.startswith("ask_member.")
    assert "▶ entry of ask_member" in _node_line(dot, "ask_member.ask")
    call = _edge_lines(dot, "identify", "ask_member.ask")
    assert len(call) == 1 and 'style="dotted"' in call[0] and "label=<call>" in call[0]


def test_the_entry_is_marked(flow):
    f = flow("bank_service")
    dot = to_dot(f)
    line = _node_line(dot, f.entry)
    assert "▶ entry" in line and "penwidth=3" in line
    assert sum("▶ entry<" in l or "▶ entry</" in l for l in dot.splitlines()) == 1


def test_heat_recolours_nodes_and_clamps_bad_values(flow):
    f = flow("subflow")
    dot = to_dot(f, heat={"hello": 1.0, "bye": float("nan"), "desk": 7.0, "nonexistent": 0.5})
    assert 'fillcolor="#e03131"' in _node_line(dot, "hello") and "traffic 100%" in _node_line(dot, "hello")
    assert 'fillcolor="#ffffff"' in _node_line(dot, "bye") and "traffic 0%" in _node_line(dot, "bye")
    assert "traffic 100%" in _node_line(dot, "desk")
    assert "traffic 0%" in _node_line(dot, "identify")  # no data: no traffic
    assert "nonexistent" not in dot
    assert heat_colour(0.0) == ("#ffffff", "#212529") and heat_colour(1.0)[1] == "#ffffff"
    assert heat_colour(0.5)[0] == "#ffd43b" and heat_colour(-3)[0] == "#ffffff"


def test_times_show_seconds_to_an_agent(flow):
    dot = to_dot(flow("subflow"), times={"hello": 95.04, "desk": 0.0, "bye": float("inf")})
    assert "reached ≤ 1m35s after call start" in _node_line(dot, "hello")
    assert "reached ≤ 0s after call start" in _node_line(dot, "desk")
    assert "no path to an agent" in _node_line(dot, "bye")
    assert "after call start" not in _node_line(dot, "identify")


def test_text_helpers():
    assert width("ab中文") == 6
    assert truncate("一二三四五六", 7) == "一二三…" and truncate("short", 10) == "short"
    assert truncate("a\nb\tc", 10) == "a b c"
    assert expr_text({"op": "and", "args": [{"call": "luhn", "args": [{"var": "input"}]},
                                            {"op": "not", "args": [{"lit": True, "type": "bool"}]}]}) \
        == "luhn(input) and not true"
    assert expr_text({"get": {"var": "r"}, "key": "x"}) == "r.x"
    assert expr_text({"lit": "a\"b", "type": "string"}) == '"a\\"b"'
    assert expr_text({"weird": 1}) == "?"


def test_unknown_format_is_an_error(flow):
    with pytest.raises(RenderError, match="unknown diagram format"):
        render(flow("subflow"), "gif")


def test_missing_dot_program_names_the_package(flow, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(RenderError, match=r"Debian package `graphviz`"):
        render(flow("subflow"), "svg")


@needs_dot
@pytest.mark.parametrize("name", ["bank_service", "subflow", "all_kinds"])
def test_svg_has_one_node_group_per_ir_node(name, flow):
    f = flow(name)
    root = ET.fromstring(render(f, "svg"))
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(nodes) == len(f.nodes)
    assert sorted(g.find(f"{SVG}title").text for g in nodes) == sorted(n.id for n in f.nodes)
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert f.title.split(" ")[0] in texts  # the Chinese title reaches the drawing


@needs_dot
def test_png_is_a_png_and_dpi_scales_it(flow):
    f = flow("subflow")
    small, large = render(f, "png"), render(f, "png", dpi=192)
    assert small[:8] == b"\x89PNG\r\n\x1a\n" and large[:8] == b"\x89PNG\r\n\x1a\n"
    w_small = int.from_bytes(small[16:20], "big")
    w_large = int.from_bytes(large[16:20], "big")
    assert 1.8 < w_large / w_small < 2.2


@needs_dot
def test_dot_accepts_the_hostile_labels(flow):
    out = subprocess.run(["dot", "-Tcanon"], input=to_dot(flow("all_kinds")).encode(), capture_output=True)
    assert out.returncode == 0, out.stderr.decode()
    assert not re.search(rb"(?i)syntax error|warning", out.stderr), out.stderr.decode()


@needs_dot
def test_a_cjk_font_is_installed_for_png_output():
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.skip("fontconfig's fc-list is not installed")
    fonts = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert fonts.strip(), ("no font with Chinese glyphs: PNG diagrams would show empty boxes; "
                           "install the Debian package fonts-wqy-microhei (or fonts-noto-cjk)")


def test_graph_module_keeps_to_its_layer():
    source = Path(graph.__file__).read_text(encoding="utf-8")
    assert "import networkx" not in source and "flowlang.compile" not in source
