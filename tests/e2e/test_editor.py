"""The web editor end to end: `flowc edit` serving the built front end, driven in Debian's headless
Chromium by Playwright (no downloaded browser). One flow is edited the way an analyst would: add a
menu from the palette, connect it, see the validation error on the node and in the problems list,
fix it in the property panel, save, and read the .flow on disk. Then a broken flow, a save
conflict, and a test call with the keypad.

Skipped (with the reason) only when /usr/bin/chromium, Python playwright or editor-web/dist is
missing; `scripts/setup` installs and builds all three, so in CI these tests run.
FLOWLANG_UPDATE_SCREENSHOT=1 rewrites docs/img/editor.png from the test-call step.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowlang.fmt import format_source
from flowlang.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "editor-web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKEN = "e2e-token-" + os.urandom(6).hex()

playwright_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed "
                                     "(pip install playwright; no browser download is needed)")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (/usr/bin/chromium)"),
    pytest.mark.skipif(not (DIST / "index.html").exists(),
                       reason="editor-web/dist is not built (cd editor-web && npm ci && npm run build)"),
]

HOTLINE = """\
# A tiny hotline for the editor's end-to-end test.
flow hotline {
  title "Hotline"
  languages zh-CN, en-US
  entry welcome
}

prompt welcome {
  zh-CN "您好，欢迎致电。"
  en-US "Hello and welcome."
}

prompt bye {
  zh-CN "再见。"
  en-US "Goodbye."
}

play welcome {
  say welcome
  -> goodbye  # straight to the end, for now
}

hangup goodbye {
  say bye
}
"""
BROKEN = "flow broken {\n  languages en-US\n  entry a\n}\n\nplay a {\n  say \"hi\n  -> \n}\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`flowc edit` on a folder with the hotline and a broken flow; yields (base URL, folder)."""
    folder = tmp_path_factory.mktemp("flows")
    (folder / "hotline.flow").write_text(HOTLINE, encoding="utf-8")
    (folder / "broken.flow").write_text(BROKEN, encoding="utf-8")
    env = {**os.environ, "FLOWC_EDIT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    code = "from flowlang.cli import main; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "edit", str(folder), "--no-browser"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    url = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and url is None:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        m = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=", line)
        url = m.group(1) if m else None
    if url is None:
        proc.kill()
        pytest.fail("flowc edit did not print its URL: " + (proc.stderr.read() or ""))
    yield url, folder
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15000)
    yield pg
    ctx.close()
    assert not errors, f"the page raised: {errors}"


def _open(page, url: str, flow: str) -> None:
    page.goto(f"{url}/?token={TOKEN}&flow={flow}")
    page.wait_for_selector("[data-testid=flow-path]")


def _drag(page, source, target) -> None:
    """Drag with real mouse events from one element's centre to another's (React Flow connects)."""
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()


def _handle(page, node: str, handle: str):
    return page.locator(f"[data-testid='node-{node}'] .react-flow__handle[data-handleid='{handle}']")


def test_without_the_token_the_page_is_refused(served, page):
    url, _ = served
    resp = page.goto(f"{url}/")
    assert resp.status == 401
    resp = page.goto(f"{url}/api/flows")
    assert resp.status == 401


def test_add_connect_fix_and_save_a_menu(served, page):
    url, folder = served
    _open(page, url, "hotline.flow")
    page.wait_for_selector("[data-testid='node-welcome']")
    assert page.locator("[data-testid=summary]").inner_text() == "0 error(s)"

    page.get_by_test_id("palette-menu").click()  # add a menu node from the palette
    page.wait_for_selector("[data-testid='node-menu_1']")

    # connect: drag welcome's `next` handle onto the new menu (replaces `-> goodbye`)
    _drag(page, _handle(page, "welcome", "next"), _handle(page, "menu_1", "in"))
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('-> menu_1')")

    # the validator's error shows on the node and in the problems list
    node = page.get_by_test_id("node-menu_1")
    page.wait_for_selector("[data-testid='node-menu_1'] [data-testid=node-errors]")
    assert "has-error" in node.get_attribute("class")
    problem = page.locator("[data-testid=problem][data-code=FL202]")
    assert problem.count() == 1 and problem.get_attribute("data-node") == "menu_1"

    problem.click()  # clicking the problem selects its node
    page.wait_for_selector("[data-testid=properties] [data-testid=prop-name]")
    assert page.get_by_test_id("prop-name").input_value() == "menu_1"

    # fix it in the property panel: a prompt, and a choice that goes to goodbye
    page.get_by_test_id("prop-prompt-zh-CN").fill("请按1结束通话。")
    page.get_by_test_id("prop-prompt-zh-CN").press("Enter")
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('请按1结束通话。')")
    page.get_by_test_id("new-choice-target").select_option("goodbye")
    page.get_by_test_id("add-choice").click()
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('key 1 -> goodbye')")
    page.wait_for_selector("[data-testid='node-menu_1'] [data-testid=node-errors]", state="detached")
    assert page.locator("[data-testid=problem][data-code=FL202]").count() == 0
    assert page.locator("[data-testid=summary]").inner_text() == "0 error(s)"

    page.keyboard.press("Control+s")  # save through the Python formatter
    page.wait_for_selector("[data-testid=dirty]", state="detached")
    text = (folder / "hotline.flow").read_text(encoding="utf-8")
    assert "menu menu_1 {\n  say menu_1_prompt\n  key 1 -> goodbye\n}\n" in text
    assert "  -> menu_1  # straight to the end, for now\n" in text  # the comment survived the edit
    assert 'prompt menu_1_prompt {\n  zh-CN "请按1结束通话。"\n}' in text
    assert text.startswith("# A tiny hotline for the editor's end-to-end test.\n")
    assert format_source(SourceFile("hotline.flow", text))[0] == text  # canonical text on disk
    layout = (folder / "hotline.layout.json").read_text(encoding="utf-8")
    assert '"menu_1"' in layout and '"welcome"' in layout

    # undo brings the previous text back into the source view (and redo again)
    page.get_by_test_id("undo").click()
    page.wait_for_function("!document.querySelector('[data-testid=source-text]').value.includes('key 1 -> goodbye')")
    page.get_by_test_id("redo").click()
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('key 1 -> goodbye')")


def test_typing_in_the_source_view_updates_the_graph(served, page):
    url, _ = served
    _open(page, url, "hotline.flow")
    page.wait_for_selector("[data-testid='node-goodbye']")
    area = page.get_by_test_id("source-text")
    area.fill(area.input_value() + "\nplay extra {\n  say \"one more\"\n  -> goodbye\n}\n")
    page.wait_for_selector("[data-testid='node-extra']")


def test_common_actions_without_a_mouse(served, page):
    url, _ = served
    _open(page, url, "hotline.flow")
    page.wait_for_selector("[data-testid='node-welcome']")
    page.keyboard.press("Alt+p")  # the palette's first kind has the focus
    assert page.evaluate("document.activeElement.dataset.testid") == "palette-play"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # adds a menu
    page.wait_for_selector("[data-testid='node-menu_1']")
    page.wait_for_selector("[data-testid=properties] [data-testid=prop-name]")  # the new node is selected
    page.keyboard.press("Alt+n")  # the selected node's properties: rename it
    assert page.evaluate("document.activeElement.dataset.testid") == "prop-name"
    page.keyboard.press("Control+a")
    page.keyboard.type("ask_more")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid='node-ask_more']")
    page.get_by_test_id("prop-event-noinput").focus()  # connect from the panel: noinput -> goodbye
    page.keyboard.press("g")
    page.keyboard.press("Tab")
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('noinput -> goodbye')")
    page.keyboard.press("Escape")
    page.get_by_test_id("undo").focus()
    page.keyboard.press("Control+z")
    page.wait_for_function("!document.querySelector('[data-testid=source-text]').value.includes('noinput -> goodbye')")


def test_a_broken_flow_opens_in_the_source_view_with_errors_marked(served, page):
    url, _ = served
    _open(page, url, "broken.flow")
    page.wait_for_selector("[data-testid=no-graph]")
    assert page.locator("[data-testid=source-mark]").count() >= 1
    assert page.get_by_test_id("source-text").input_value().startswith("flow broken {")
    assert page.locator("[data-testid=problem]").count() >= 1
    assert page.get_by_test_id("summary").inner_text() == "syntax errors"


def test_a_save_over_a_changed_file_is_a_conflict(served, page):
    url, folder = served
    path = folder / "hotline.flow"
    _open(page, url, "hotline.flow")
    page.wait_for_selector("[data-testid='node-welcome']")
    page.get_by_test_id("palette-play").click()
    page.wait_for_selector("[data-testid='node-play_1']")
    theirs = path.read_text(encoding="utf-8").replace('"Hotline"', '"Hotline (their edit)"')
    path.write_text(theirs, encoding="utf-8")  # another tab (or person) saved meanwhile
    page.get_by_test_id("save").click()
    page.wait_for_selector("[data-testid=conflict]")
    assert path.read_text(encoding="utf-8") == theirs  # nothing overwritten silently
    page.get_by_test_id("conflict-theirs").click()
    page.wait_for_function("document.querySelector('[data-testid=source-text]').value.includes('their edit')")
    page.get_by_test_id("undo").click()  # ours is one undo away
    page.wait_for_selector("[data-testid='node-play_1']")


def test_a_test_call_with_the_keypad(served, page, tmp_path):
    url, folder = served
    _open(page, url, "hotline.flow")
    page.wait_for_selector("[data-testid='node-menu_1']")  # saved by the first test
    page.get_by_test_id("call-start").click()
    transcript = page.get_by_test_id("transcript")
    page.wait_for_function("document.querySelector('[data-testid=transcript]').innerText.includes('请按1结束通话。')")
    assert "您好，欢迎致电。" in transcript.inner_text()
    page.wait_for_selector("[data-testid='node-menu_1'].active")  # the current node is highlighted
    assert "visited" in page.get_by_test_id("node-welcome").get_attribute("class")
    assert page.locator(".react-flow__edge.taken").count() >= 1  # the path taken is drawn
    shot = ROOT / "docs" / "img" / "editor.png" if os.environ.get("FLOWLANG_UPDATE_SCREENSHOT") else tmp_path / "editor.png"
    page.get_by_test_id("node-menu_1").click()
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    page.get_by_test_id("key-1").click()
    page.wait_for_function("document.querySelector('[data-testid=transcript]').innerText.includes('再见。')")
    page.wait_for_function("document.querySelector('[data-testid=transcript]').innerText.includes('call ended')")
    assert "pressed 1" in transcript.inner_text()
