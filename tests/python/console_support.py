"""Browser tests of the web console: Playwright driving Debian's Chromium (never a downloaded
browser), a screenshot of each step kept as test output, and accessibility checks in the same
run (axe-core's WCAG 2 A/AA rules, every field labelled, keyboard focus visible and in order)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CROSSLINK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Kept after the run: one folder per test, one PNG per step.
SHOTS = Path(os.environ.get("CROSSLINK_SCREENSHOTS", Path(__file__).resolve().parents[2] / "target" / "console-screenshots"))

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class Steps:
    """Names each step's screenshot `NN-name.png` in the test's folder."""

    def __init__(self, page, test_name: str):
        self.page = page
        self.dir = SHOTS / re.sub(r"[^A-Za-z0-9_.-]", "_", test_name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def shot(self, name: str, full_page: bool = True) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def check_a11y(page, what: str) -> None:
    """axe-core's WCAG 2 A and AA rules (labels, contrast, names, landmarks) must find nothing
    serious, and every visible form control must have a label."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {what}:\n" + "\n".join(bad)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => e.offsetParent !== null)
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
            .map(e => e.name || e.id)"""
    )
    assert not unlabelled, f"fields without a label on {what}: {unlabelled}"


def check_focus_order(page, what: str, presses: int = 40) -> None:
    """Tab walks forward through the page in document order, each stop visible with a focus
    ring (a positive tabindex or a hidden focus target would break either)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => {
                const e = document.activeElement;
                if (!e || e === document.body) return null;
                const all = [...document.querySelectorAll('*')];
                const r = e.getBoundingClientRect();
                const style = getComputedStyle(e);
                return {index: all.indexOf(e), tag: e.tagName, text: (e.innerText || e.value || e.name || '').slice(0, 40),
                        visible: r.width > 0 && r.height > 0,
                        ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                        tabindex: e.tabIndex};
            }"""
        )
        if info is None or (seen and info["index"] <= seen[0]["index"] and len(seen) > 1):
            break  # wrapped around to the start (or left the document)
        seen.append(info)
    assert seen, f"nothing on {what} takes keyboard focus"
    for a, b in zip(seen, seen[1:]):
        assert b["index"] > a["index"], f"focus order on {what} jumps back: {a} then {b}"
    for s in seen:
        assert s["visible"], f"a focused element on {what} is invisible: {s}"
        assert s["ring"], f"no visible focus ring on {what}: {s}"
        assert s["tabindex"] <= 0, f"positive tabindex on {what}: {s}"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test installs the Debian package `chromium`")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def console(browser, server, request):
    """A fresh browser context (no cookies) at 1280 px on the console; `.steps` takes the
    screenshots."""
    context = browser.new_context(viewport=DESKTOP, base_url=server.admin_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.steps = Steps(page, request.node.name)
    yield page
    context.close()


def sign_in_digitalocean(page, token: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Personal access token").fill(token)
    page.get_by_role("button", name="Sign in to DigitalOcean").click()


def sign_in_megaport(page, access_key: str, secret: str = "secret") -> None:
    page.goto("/sign-in")
    page.get_by_label("API key (access key)").fill(access_key)
    page.get_by_label("API key secret").fill(secret)
    page.get_by_role("button", name="Sign in to Megaport").click()


def create_vpc(page, name: str, region: str) -> None:
    """Networking → VPC → Create VPC network, back to the list."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="Create VPC network").click()
    page.get_by_label("Datacenter region").select_option(region)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create VPC Network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("link", name="← VPC networks").click()
