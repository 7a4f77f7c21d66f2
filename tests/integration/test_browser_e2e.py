"""Neo4j Browser in a real (headless) Chromium: the newcomer's path of docs/browser.md.

Load examples/platform, serve kg's guide (`kg browser --serve`), open the Browser link
it prints, connect, click "apply the style" and "set the parameters" in the guide, run
its neighbourhood query for papi, and check the drawing: styled nodes, and papi, its
Kustomization and vault-papi in the result. A screenshot goes to
.ci/artifacts/browser-papi.png (KG_BROWSER_ARTIFACTS to change the folder).

Needs Chromium (/usr/bin/chromium, Debian's `chromium`; KG_CHROMIUM to point elsewhere),
Playwright for Python (never its own browser download) and the Browser of the test Neo4j
(KG_BROWSER_URL, default http://<bolt host>:NEO4J_HTTP_PORT|7474/browser/). Without them
the tests skip with the reason, or fail when KG_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import browser
from kg.cli import app

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("KG_BROWSER_ARTIFACTS") or PROJECT_ROOT / ".ci" / "artifacts")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000
# The Browser keeps the style in localStorage (written shortly after it changes).
STYLE_STORED = "() => (localStorage.getItem('neo4j.grass') || '').includes('node.Kustomization')"


def _unavailable(reason: str):
    if os.environ.get("KG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"KG_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _chromium_path() -> str | None:
    explicit = os.environ.get("KG_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def playwright_chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    executable = _chromium_path()
    if not executable:
        _unavailable("no Chromium: apt-get install -y chromium (or set KG_CHROMIUM)")
    with sync_playwright() as playwright:
        yield playwright.chromium, executable


@pytest.fixture
def browser_url(neo4j_settings):
    url = os.environ.get("KG_BROWSER_URL") or browser.default_browser_url(neo4j_settings.uri)
    if not browser.browser_answers(url, timeout=10):
        _unavailable(f"Neo4j Browser does not answer at {url} (set KG_BROWSER_URL)")
    return url


@pytest.fixture
def page(playwright_chromium, tmp_path):
    chromium, executable = playwright_chromium
    context = chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),  # a fresh profile: no stored style, credentials or guides
        executable_path=executable,
        args=CHROMIUM_ARGS,
        headless=True,
        viewport={"width": 1600, "height": 1000},
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


@pytest.fixture
def loaded(cli_env, example_repo, repo_name):
    result = CliRunner().invoke(app, ["load", str(example_repo), "--repo-name", repo_name], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return repo_name


def connect(page, url: str, settings) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.locator("[data-testid=password]").fill(settings.password)
    page.locator("[data-testid=connect]").click()
    page.get_by_text("You are connected as user").wait_for()


def wait_until_drawn(page) -> None:
    """Until the force layout (and any zoom) stops moving: two equal looks, 0.5 s apart."""
    page.evaluate("() => { window.__kgLayout = null; }")
    page.wait_for_function(
        """() => {
            const now = Array.from(document.querySelectorAll('svg g[transform]')).map(g => g.getAttribute('transform')).join('|');
            const same = window.__kgLayout === now;
            window.__kgLayout = now;
            return same && now.length > 0;
        }""",
        polling=500,
    )


def stored_style(page) -> dict:
    return json.loads(page.evaluate("() => localStorage.getItem('neo4j.grass')") or "{}")


def test_guide_styles_and_shows_the_neighbourhood_of_papi(page, browser_url, neo4j_settings, loaded):
    style = browser.parse_grass(browser.style_text())
    with browser.GuideServer(neo4j_settings.uri, neo4j_settings.user, port=0, overrides={"repo": loaded}) as guide:
        connect(
            page,
            browser.browser_link(browser_url, neo4j_settings.uri, neo4j_settings.user, guide.guide_url),
            neo4j_settings,
        )

        # the guide opened from the link (cmd=guide): apply the style, set the parameters
        page.locator("a.kg-apply-style").click()
        style_frame = page.locator("[data-testid=frame]", has_text=f":style {guide.style_url}")
        style_frame.get_by_text("node.Kustomization").wait_for()
        page.wait_for_function(STYLE_STORED)
        assert stored_style(page)["node.Kustomization"]["color"] == style["node.Kustomization"]["color"]

        page.locator("a.kg-set-params").click()
        page.locator("[data-testid=rawParamData]", has_text=loaded).wait_for()

        # the neighbourhood query: from the guide into the editor, then run
        page.locator("[data-testid=guideNextSlide]").click()
        page.locator("pre.kg-query[data-kg-query=service]").click()
        page.locator("[data-testid=activeEditor]", has_text="MATCH (w)").wait_for()
        page.locator("[data-testid=editor-Run]").click()

        result = page.locator(
            "[data-testid=frame]", has=page.locator("[data-testid=cypherFrameSidebarVisualization]")
        ).first
        result.locator("svg g.node text.caption", has_text="papi").first.wait_for()
        result.locator("svg g.node").nth(9).wait_for()  # the neighbourhood has well over 10 nodes

        # styled: every node drawn in one of kg's label colours, none in the default grey
        fills = set(
            result.locator("svg g.node circle.b-outline").evaluate_all(
                "cs => cs.map(c => c.getAttribute('fill').toUpperCase())"
            )
        )
        label_colours = {rules["color"].upper() for selector, rules in style.items() if selector.startswith("node.")}
        assert fills <= label_colours, f"unstyled nodes: {fills - label_colours}"
        for label in ("Workload", "Kustomization", "SecretProviderClass", "Service", "VaultPath", "SecretBackend"):
            assert style[f"node.{label}"]["color"].upper() in fills, f"no {label} drawn"
        captions = result.locator("svg g.node text.caption").all_text_contents()
        assert "papi" in {c.strip() for c in captions}, captions

        # the names, whole, in the table view
        result.locator("[data-testid=cypherFrameSidebarTable]").click()
        table = result.locator("[data-testid=frame-loaded-contents]")
        table.get_by_text("runwhen-backend-services").first.wait_for()
        text = table.inner_text()
        for name in ("papi", "runwhen-backend-services", "vault-papi", loaded):
            assert name in text, f"{name} not in the table view"

        # the picture: graph view, full frame, layout settled
        result.locator("[data-testid=cypherFrameSidebarVisualization]").click()
        result.locator("svg g.node").nth(9).wait_for()
        page.locator("[data-testid=navigationGuides]").click()  # close the guide drawer
        page.locator("[data-testid=guidesDrawer]").wait_for(state="detached")
        result.locator("button[title=Fullscreen]").click()
        wait_until_drawn(page)
        result.locator("[aria-label=zoom-to-fit]").click()
        wait_until_drawn(page)
        result.locator("[aria-label=zoom-out]").click()  # a margin, clear of the overview panel
        wait_until_drawn(page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-papi.png"))


def test_pasted_and_dropped_style_apply_without_kg_serving(page, browser_url, neo4j_settings):
    """The routes `kg browser` prints when nothing is served: paste `kg browser --style`
    into the editor, or drag style.grass onto the window."""
    style = browser.parse_grass(browser.style_text())
    connect(page, browser.browser_link(browser_url, neo4j_settings.uri, neo4j_settings.user), neo4j_settings)

    printed = CliRunner().invoke(app, ["browser", "--style"], catch_exceptions=False).output
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", printed)
    page.locator("[data-testid=activeEditor] .monaco-editor[role=code]").click()
    page.keyboard.press("Control+V")
    last_rule = re.findall(r"(?m)^(\S+) \{", printed)[-1]  # the editor draws only the lines in view
    page.locator("[data-testid=activeEditor]", has_text=last_rule).wait_for()
    page.locator("[data-testid=editor-Run]").click()
    page.wait_for_function(STYLE_STORED)
    assert stored_style(page) == style

    page.locator("[data-testid=activeEditor] .monaco-editor[role=code]").click()
    page.keyboard.type(":style reset")
    page.locator("[data-testid=editor-Run]").click()
    page.wait_for_function(f"() => !({STYLE_STORED})()")

    data = page.evaluate_handle(
        "text => { const d = new DataTransfer(); d.items.add(new File([text], 'style.grass', {type: 'text/plain'})); return d; }",
        browser.style_text(),
    )
    main = page.locator("[data-testid=main]")
    main.dispatch_event("dragenter", {"dataTransfer": data})
    main.dispatch_event("dragover", {"dataTransfer": data})
    page.locator(".filedrop").first.dispatch_event("drop", {"dataTransfer": data})
    page.wait_for_function(STYLE_STORED)
    assert stored_style(page) == style
