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
from test_book import FIGURES, MANUAL_TEXT, NARRATED_PAGES, build_small_book

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = sorted(list(FIGURES) + ["glossary", "references"] + MANUAL_TEXT)
MATH_PAGES = ("intro", "methodology", "s3_1_mas_fis", "reproduce")
CDN_SCRIPT = "https://cdn.jsdelivr.net/npm/plotly.js-dist-min@2.35.2/plotly.min.js"
#: The pages that open with a verdict box, and how far down it may end (the first screen of a 1280 × 900 window).
VERDICT_PAGES = NARRATED_PAGES
FIRST_SCREEN = 900


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
        # What a page logs as an error in the console counts too (a theme or extension script that fails there).
        self.page.on("console", lambda message: self.errors.append(f"console: {message.text}")
                     if message.type == "error" else None)

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


#: Every text a plotly figure draws in SVG (3D scenes draw their axes in WebGL, out of reach), with the size it
#: is drawn at on screen (plotly shrinks bar labels by a transform, so the CSS font size alone would not tell).
#: Texts of closed dropdown menus and of the modebar are left out: they are not shown.
FIGURE_TEXTS = """() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const page = article.getBoundingClientRect();
  return Array.from(document.querySelectorAll('.plotly-graph-div')).map((div, index) => {
    const r = div.getBoundingClientRect();
    const texts = Array.from(div.querySelectorAll('svg text')).filter(t => {
      const style = getComputedStyle(t), box = t.getBoundingClientRect();
      return t.textContent.trim() && style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0
        && !t.closest('.modebar') && !t.closest('.updatemenu-dropdown-button-group');
    }).map(t => {
      const box = t.getBoundingClientRect(), m = t.getScreenCTM();
      return {text: t.textContent.trim().slice(0, 40), box: [box.left, box.top, box.right, box.bottom],
              size: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)};
    });
    return {index, title: (div.querySelector('.gtitle') || {}).textContent || '', box: [r.left, r.top, r.right, r.bottom],
            page: [page.left, page.right], texts};
  });
}"""

#: Every table wider than the box the theme puts it in (which then scrolls sideways, hiding its last columns).
WIDE_TABLES = """() => Array.from(document.querySelectorAll('article table')).map(t => ({
    head: Array.from(t.querySelectorAll('th')).map(th => th.textContent.trim()).join(' | ').slice(0, 60),
    width: t.parentElement.scrollWidth, column: t.parentElement.clientWidth,
})).filter(t => t.width > t.column + 1)"""

#: The smallest text a figure may draw, in CSS pixels.
SMALLEST_TEXT_PX = 10


def overlapping(first: list[float], second: list[float], tolerance: float = 1.0) -> bool:
    """Whether two boxes (left, top, right, bottom) share more than ``tolerance`` pixels each way."""
    return (min(first[2], second[2]) - max(first[0], second[0]) > tolerance
            and min(first[3], second[3]) - max(first[1], second[1]) > tolerance)


def legibility_problems(name: str, figures: list[dict]) -> list[str]:
    """What keeps a reader from reading a page's figures: a figure wider than the text column, a text smaller than
    SMALLEST_TEXT_PX, two texts drawn over each other, a text outside its figure."""
    problems = []
    for figure in figures:
        where = f"{name}, figure {figure['index'] + 1} ({figure['title'][:50]!r})"
        left, top, right, bottom = figure["box"]
        if left < figure["page"][0] - 1 or right > figure["page"][1] + 1:
            problems.append(f"{where}: {right - left:.0f} px wide, wider than the page")
        texts = figure["texts"]
        for text in texts:
            if text["size"] < SMALLEST_TEXT_PX - 0.05:
                problems.append(f"{where}: {text['text']!r} drawn at {text['size']:.1f} px")
            if text["box"][0] < left - 1 or text["box"][2] > right + 1:
                problems.append(f"{where}: {text['text']!r} runs outside the figure")
        for i, first in enumerate(texts):
            for second in texts[i + 1:]:
                if overlapping(first["box"], second["box"]):
                    problems.append(f"{where}: {first['text']!r} overlaps {second['text']!r}")
    return problems


def test_overlap_and_size_rules():
    assert overlapping([0, 0, 10, 10], [5, 5, 20, 20]) and not overlapping([0, 0, 10, 10], [10, 0, 20, 10])
    figure = {"index": 0, "title": "t", "box": [100, 0, 500, 300], "page": [90, 510],
              "texts": [{"text": "0.84", "box": [200, 10, 220, 20], "size": 12},
                        {"text": "0.86", "box": [215, 10, 235, 20], "size": 12},
                        {"text": "tiny", "box": [300, 10, 310, 20], "size": 7}]}
    problems = legibility_problems("p", [figure])
    assert any("'0.84' overlaps '0.86'" in p for p in problems) and any("'tiny' drawn at 7.0 px" in p for p in problems)
    figure["box"] = [80, 0, 520, 300]
    assert any("wider than the page" in p for p in legibility_problems("p", [figure]))


EXPLORER_STATE = """() => { const gd = document.querySelector('.plotly-graph-div'), trace = gd._fullData[0];
  return {title: gd.layout.title.text, z: trace.z.map(row => Array.from(row)),
          menus: gd.layout.updatemenus.map(menu => menu.buttons.map(button => button.label))}; }"""

#: The entries of the explorer's open menu, and those drawn outside its figure.
MENU_INSIDE = """() => { const gd = document.querySelector('.plotly-graph-div'), box = gd.getBoundingClientRect();
  const shown = Array.from(gd.querySelectorAll('.updatemenu-dropdown-button')).map(b => b.getBoundingClientRect())
    .filter(b => b.width > 0 && b.height > 0);
  return {buttons: shown.length, outside: shown.filter(b => b.left < box.left || b.right > box.right
    || b.top < box.top || b.bottom > box.bottom).map(b => [b.left, b.top, b.right, b.bottom])}; }"""


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
    (SCREENSHOTS / "pages").mkdir(parents=True, exist_ok=True)
    links: dict[str, list[str]] = {}
    illegible: list[str] = []
    try:
        for name in PAGES:
            url = (html / "book" / f"{name}.html").as_uri()
            browser.open(url, settle_ms=2500 if FIGURES.get(name) else 1000)
            page = browser.page
            figures = page.evaluate(FIGURE_REPORT)
            # Every figure the notebook produced is drawn by plotly.js ...
            assert len(figures) == FIGURES.get(name, 0), (name, figures)
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
                assert scenes == 1, (name, figures)
            if name in MATH_PAGES:
                assert page.locator("mjx-container").count() > 0, f"{name}: no formula typeset"
                assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax error"
            if name == "explore":
                # The live dashboard needs a kernel: the page shows a picture of it, no widget that looks live, and
                # the command that serves it.
                assert page.locator(".jupyter-widgets").count() == 0
                picture = page.locator("article img[src*='dashboard']")
                assert picture.count() == 1 and picture.evaluate("img => img.complete && img.naturalWidth") >= 1000
                assert "make dashboard" in page.locator("article").text_content()
                # The kernel-free explorer (the page's first figure) chooses its run with one menu per level; each
                # menu, opened, stays inside the figure.
                explorer = page.locator(".plotly-graph-div").first
                for index in range(5):
                    explorer.locator(".updatemenu-header-group").nth(index).click()
                    page.wait_for_timeout(300)
                    inside = page.evaluate(MENU_INSIDE)
                    explorer.locator(".updatemenu-header-group").nth(index).click()  # closed again
                    assert inside["buttons"] and inside["outside"] == [], (index, inside)
                # The small build's run is not in the study: the first menu offers it, then the study's parts. A
                # part of the study shown, the menus below offer what it holds (split MNIST: EWC-MAS only).
                before = page.evaluate(EXPLORER_STATE)
                assert before["menus"][0][0] == "this page's run" and "split MNIST" in before["menus"][0], before
                explorer.locator(".updatemenu-header-group").nth(0).click()
                explorer.locator(".updatemenu-dropdown-button", has_text="split MNIST").click()
                page.wait_for_timeout(800)
                split = page.evaluate(EXPLORER_STATE)
                assert "split MNIST, EWC-MAS" in split["title"] and split["menus"][1] == ["EWC-MAS"], split
                assert split["z"] != before["z"] and len(split["menus"][3]) >= 3, split
                # Another pair from its menu (the second row's first), other numbers.
                explorer.locator(".updatemenu-header-group").nth(4).click()
                explorer.locator(".updatemenu-dropdown-button", has_text="FIS–SIG").click()
                page.wait_for_timeout(800)
                after = page.evaluate(EXPLORER_STATE)
                assert after["title"].startswith("FIS–SIG") and after["z"] != split["z"], (split, after)
            if name in VERDICT_PAGES:
                # The verdict opens the page: its box ends inside the first screen at 1280 px.
                box = page.evaluate("() => { const v = document.querySelector('div.verdict'); "
                                    "return v && v.getBoundingClientRect().bottom + window.scrollY; }")
                assert box is not None and box <= FIRST_SCREEN, (name, box)
                # No figure offers a toggle: a claim's figures show what it is graded on, and only that.
                assert page.locator(".plotly-graph-div .updatemenu-button").count() == 0, name
            if name in ("s3_1_mas_fis", "explore"):
                # The first surface (or the dashboard's picture) in view, with the text above it.
                anchor = "article img" if name == "explore" else ".plotly-graph-div"
                page.evaluate(f"() => window.scrollTo(0, document.querySelector('{anchor}').getBoundingClientRect().top + window.scrollY - 250)")
                page.wait_for_timeout(500)
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
            # Every figure legible at 1280 px ...
            illegible += legibility_problems(name, page.evaluate(FIGURE_TEXTS))
            # ... and every table within the text column.
            illegible += [f"{name}: table ({t['head']!r}) is {t['width']} px wide in a {t['column']} px column"
                          for t in page.evaluate(WIDE_TABLES)]
            # The whole page kept as a picture for a reader's check.
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=str(SCREENSHOTS / "pages" / f"{name}.png"), full_page=True)
            links[url] = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
        assert not browser.errors, browser.errors
    finally:
        outside = browser.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert (SCREENSHOTS / "s3_1_mas_fis.png").stat().st_size > 10_000
    assert not illegible, "\n".join(illegible)

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
