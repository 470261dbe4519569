"""The built book in headless Chromium: figures, formulas and widgets render, links resolve, nothing leaves the machine.

Uses Debian's ``/usr/bin/chromium`` (``make setup`` installs it) driven by the ``playwright`` package, on the
small book that ``test_book.py`` builds once per session. The network check reads Chromium's own net log, so it
sees every request the pages make, whatever the protocol; a page with a planted CDN script proves it can fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import require_program
from test_book import FIGURES, build_small_book

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = sorted(list(FIGURES) + ["intro", "reproduce"])
MATH_PAGES = ("intro", "methodology", "s3_1_mas_fis", "reproduce")
CDN_SCRIPT = "https://cdn.jsdelivr.net/npm/plotly.js-dist-min@2.35.2/plotly.min.js"
#: Figures inside the explore page's dashboard panel (surface, heatmap, accuracy; the small run has one seed, so
#: the seed band is a sentence).
EXPLORE_PANEL_FIGURES = 3


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    require_program("chromium", CHROMIUM.is_file())
    built = build_small_book(tmp_path_factory)
    assert built.returncode == 0, "book/build.py failed:\n" + built.log[-6000:]
    return built.html


class Browser:
    """One headless Chromium with a fresh profile, recording a net log until it is closed."""

    def __init__(self, folder: Path) -> None:
        from playwright.sync_api import sync_playwright

        self.net_log = folder / "net-log.json"
        self._playwright = sync_playwright().start()
        self.context = self._playwright.chromium.launch_persistent_context(
            str(folder / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            viewport={"width": 1280, "height": 1000},
            args=[
                "--no-sandbox",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--log-net-log={self.net_log}",
                "--net-log-capture-mode=Default",
            ],
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, url: str, settle_ms: int = 1500) -> None:
        self.page.goto(url, wait_until="load")
        # Plotly draws 3D scenes asynchronously; MathJax typesets after load.
        self.page.wait_for_timeout(settle_ms)

    def close(self) -> list[str]:
        """Close the browser and return the URLs of every request that was not a local file."""
        self.context.close()
        self._playwright.stop()
        return outside_requests(self.net_log)


def outside_requests(net_log: Path) -> list[str]:
    """URLs of URL_REQUEST_START_JOB events that left the machine, from a Chromium net log.

    Chromium's own background requests carry the initiator "not an origin"; they are not the pages'.
    """
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        if event.get("type") != start_job or "url" not in params:
            continue
        url = params["url"]
        if url.split(":", 1)[0] in ("file", "data", "blob", "about", "chrome", "devtools"):
            continue
        if params.get("initiator") == "not an origin":
            continue
        urls.append(url)
    return urls


FIGURE_REPORT = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(div => ({
    modebar: (b => b && [b.left, b.top, b.right, b.bottom])(div.querySelector('.modebar')?.getBoundingClientRect()),
    title: (b => b && [b.left, b.top, b.right, b.bottom])(div.querySelector('.gtitle')?.getBoundingClientRect()),
    svg: div.querySelectorAll('.main-svg').length,
    scene: !!(div._fullLayout && div._fullLayout.scene),
    canvas: Array.from(div.querySelectorAll('.gl-container canvas')).filter(c => c.width > 0 && c.height > 0).length,
    webglError: !!div.querySelector('.no-webgl'),
    traces: (div.data || []).length,
}))"""


EXPLORER_STATE = """() => { const gd = document.querySelector('.plotly-graph-div'), trace = gd._fullData[0];
  return {title: gd.layout.title.text, z: trace.z.map(row => Array.from(row))}; }"""


def local_target(page_url: str, href: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points to (None for outside links and mailto:)."""
    if href.startswith(("mailto:", "javascript:")):
        return None
    absolute = urlparse(href)
    if absolute.scheme and absolute.scheme != "file":
        return None
    base = urlparse(page_url)
    if absolute.scheme == "file":
        path = unquote(absolute.path)
    elif href.startswith("#"):
        path = unquote(base.path)
    else:
        path = str((Path(unquote(base.path)).parent / unquote(absolute.path)).resolve())
    return Path(path), absolute.fragment


def ids_in(path: Path) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(errors="replace")))


def test_every_page_renders_offline(html, tmp_path):
    browser = Browser(tmp_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    links: dict[str, list[str]] = {}
    try:
        for name in PAGES:
            url = (html / "book" / f"{name}.html").as_uri()
            browser.open(url, settle_ms=2500 if FIGURES.get(name) else 1000)
            page = browser.page
            figures = page.evaluate(FIGURE_REPORT)
            # Every figure the notebook produced is drawn by plotly.js ...
            # (the explore page has more: the figures inside the dashboard panel's saved outputs)
            panel = EXPLORE_PANEL_FIGURES if name == "explore" else 0
            assert len(figures) == FIGURES.get(name, 0) + panel, (name, figures)
            for figure in figures:
                assert figure["svg"] >= 1 and figure["traces"] >= 1, (name, figure)
                # ... with its title clear of plotly's modebar, which appears over the figure on hover.
                if figure["title"] and figure["modebar"]:
                    (l1, t1, r1, b1), (l2, t2, r2, b2) = figure["title"], figure["modebar"]
                    assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (name, figure)
                # ... and every 3D surface has a live WebGL canvas.
                if figure["scene"]:
                    assert figure["canvas"] >= 1 and not figure["webglError"], (name, figure)
            if name.startswith("s3_"):
                scenes = sum(f["scene"] for f in figures)
                assert scenes == (2 if name == "s3_1_mas_fis" else 1), (name, figures)
            if name in MATH_PAGES:
                assert page.locator("mjx-container").count() > 0, f"{name}: no formula typeset"
                assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax error"
            if name == "explore":
                # The dashboard panel, rendered from the state papermill saved: run and pair menus, the task
                # slider, its views, and the note that says where the live version is.
                assert page.locator(".jupyter-widgets.widget-dropdown select").count() == 2
                assert page.locator(".jupyter-widgets.widget-slider").count() == 1
                assert page.locator(".pc-dashboard .plotly-graph-div .main-svg").count() >= EXPLORE_PANEL_FIGURES
                assert "make dashboard" in page.locator(".pc-static-note").first.text_content()
                # The kernel-free explorer (the page's first figure): another pair from its menu, other numbers.
                explorer = page.locator(".plotly-graph-div").first
                before = page.evaluate(EXPLORER_STATE)
                explorer.locator(".updatemenu-header-group").nth(1).click()
                explorer.locator(".updatemenu-dropdown-button", has_text="FIS–SIG").click()
                page.wait_for_timeout(800)
                after = page.evaluate(EXPLORER_STATE)
                assert after["title"].startswith("FIS–SIG") and after["z"] != before["z"], (before, after)
            # The Pearson/Spearman buttons work without a kernel.
            if name == "s3_2_mas_si":
                title = page.locator(".plotly-graph-div .gtitle").first
                assert "Pearson" in title.text_content()
                page.locator(".plotly-graph-div .updatemenu-button").nth(1).click()
                page.wait_for_timeout(500)
                assert "Spearman" in title.text_content()
                visible = page.evaluate("() => document.querySelector('.plotly-graph-div').data.map(t => t.visible)")
                assert visible == [False, True, True]
                page.locator(".plotly-graph-div .updatemenu-button").nth(0).click()
            if name in ("s3_1_mas_fis", "explore"):
                # The first surface (or the widget panel) in view, with the text above it.
                anchor = ".jupyter-widgets" if name == "explore" else ".plotly-graph-div"
                page.evaluate(f"() => window.scrollTo(0, document.querySelector('{anchor}').getBoundingClientRect().top + window.scrollY - 250)")
                page.wait_for_timeout(500)
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
            links[url] = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        assert not [e for e in browser.errors if "THEBE_JS_URL" not in e], browser.errors
    finally:
        outside = browser.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert (SCREENSHOTS / "s3_1_mas_fis.png").stat().st_size > 10_000

    # Every internal link resolves: the file exists and, for a #fragment, so does the element.
    broken = []
    for url, hrefs in links.items():
        for href in hrefs:
            target = local_target(url, href)
            if target is None:
                continue
            path, fragment = target
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file() or (fragment and path.suffix == ".html" and fragment not in ids_in(path)):
                broken.append(f"{url}: {href}")
    assert not broken, broken
    assert sum(len(h) for h in links.values()) > 50


def test_net_log_check_catches_a_planted_cdn_script(html, tmp_path):
    """The same check, on a copy of a page with a CDN script added: it must report the request."""
    planted = html / "book" / "_planted_cdn.html"
    text = (html / "book" / "intro.html").read_text()
    planted.write_text(text.replace("</head>", f'<script src="{CDN_SCRIPT}"></script></head>', 1))
    try:
        browser = Browser(tmp_path)
        try:
            browser.open(planted.as_uri(), settle_ms=1000)
        finally:
            outside = browser.close()
    finally:
        planted.unlink()
    assert CDN_SCRIPT in outside


def test_local_target_resolution():
    page = "file:///book/html/book/intro.html"
    assert local_target(page, "methodology.html#setup") == (Path("/book/html/book/methodology.html"), "setup")
    assert local_target(page, "#top") == (Path("/book/html/book/intro.html"), "top")
    assert local_target(page, "../_downloads/x/a.csv") == (Path("/book/html/_downloads/x/a.csv"), "")
    assert local_target(page, "https://example.org/") is None
