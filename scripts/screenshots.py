"""Screenshots of the web app's main pages at desktop and phone width, into docs/screenshots/
(`make screenshots`; issue #17). Serves the demo's data (`make demo` first) on a free port and
drives Debian's Chromium with Playwright: the wizard is completed for the example start-up case,
so its result is shown too."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
DATA = ROOT / "out" / "registry"
CHROMIUM = os.environ.get("DISTILLGOV_CHROMIUM", "/usr/bin/chromium")
PAGES = {
    "home": "/",
    "assess": "/assess",
    "registry": "/registry",
    "jurisdictions": "/jurisdictions",
    "watch-terms": "/watch-terms",
    "framework": "/framework",
}
WIDTHS = {"desktop": (1280, 900), "phone": (360, 780)}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wizard(page: object, base: str) -> None:
    """Every step left as "Don't know" but the jurisdiction: the result then lists what is
    still unknown."""
    page.goto(f"{base}/assess")  # type: ignore[attr-defined]
    page.evaluate("sessionStorage.clear()")  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    page.wait_for_selector("text=Step 1 of 10")  # type: ignore[attr-defined]
    page.select_option("#teacher-id", "gpt-4o")  # type: ignore[attr-defined]
    while not page.locator("#jurisdiction").count():  # type: ignore[attr-defined]
        page.click("button:has-text('Next')")  # type: ignore[attr-defined]
        page.wait_for_timeout(150)  # type: ignore[attr-defined]
    page.select_option("#jurisdiction", "cn")  # type: ignore[attr-defined]
    page.fill("#on", "2025-03-01")  # type: ignore[attr-defined]
    page.click("button:has-text('Review')")  # type: ignore[attr-defined]
    page.wait_for_selector("text=Check your answers")  # type: ignore[attr-defined]
    page.click("button:has-text('Get the determination')")  # type: ignore[attr-defined]
    page.wait_for_selector(".outcome")  # type: ignore[attr-defined]


def main() -> None:
    if not (DATA / "distillgov.sqlite").exists():
        sys.exit("no demo data: run `make demo` first")
    OUT.mkdir(parents=True, exist_ok=True)
    port = _port()
    env = {**os.environ, "DISTILLGOV_DATA_DIR": str(DATA / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "distillgov", "serve", "--port", str(port),
         "--database", f"sqlite:///{DATA / 'distillgov.sqlite'}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for size, (width, height) in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES.items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=True)
                _wizard(page, base)
                page.screenshot(path=str(OUT / f"determination-{size}.png"), full_page=True)
                print(f"{size}: {len(PAGES) + 1} pages")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"wrote {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
