"""Drive JupyterLab + jupyterlab-lsp (headless Debian chromium): nb.ipynb gets mlint's
diagnostics through pylsp's mlint plugin, next to pylsp's own (pyflakes).

Usage: drive_jupyterlab.py BASE_URL SHOTS_DIR; exit 1 when something expected does not show.
"""

import os
import shutil
import sys
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

BASE, SHOTS = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
MARK = ".jp-Notebook .cm-lintRange"
failures: list[str] = []


def check(ok: bool, message: str) -> None:
    print(("ok: " if ok else "FAILED: ") + message, flush=True)
    if not ok:
        failures.append(message)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    t0 = time.monotonic()
    page.goto(f"{BASE}/lab/tree/nb.ipynb")
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=90_000)
    opened = time.monotonic()
    print(f"[{opened - t0:5.2f}s] notebook open", flush=True)
    try:
        page.wait_for_selector(MARK, timeout=90_000)
        print(f"first underline {time.monotonic() - opened:.2f}s after the notebook opened")
    except PlaywrightTimeout:
        print("no underline within 90 s", flush=True)
    page.wait_for_timeout(4000)
    underlined = []
    for cell in page.query_selector_all(".jp-Notebook .jp-Cell"):
        underlined.append([r.inner_text() for r in cell.query_selector_all(".cm-lintRange")])
    print(f"underlines per cell: {underlined}", flush=True)
    check(any("net.forward" in t for t in underlined[1]), "cell 2 (needs cell 1) underlined")
    check(any("m.forward" in t for t in underlined[2]), "cell 3 underlined")
    page.keyboard.press("Control+Shift+C")
    page.keyboard.type("Show diagnostics panel")
    page.keyboard.press("Enter")
    rows: list[str] = []
    try:
        page.wait_for_selector(".lsp-diagnostics-listing tbody tr", timeout=20_000)
        rows = [
            " | ".join(r.inner_text().split("\t"))
            for r in page.query_selector_all(".lsp-diagnostics-listing tbody tr")
        ]
    except PlaywrightTimeout:
        print("diagnostics panel: no rows", flush=True)
    for row in rows:
        print("panel: " + row, flush=True)
    check(sum("ML501" in r and "mlint" in r for r in rows) == 2, "two ML501 rows from mlint")
    check(any("pyflakes" in r for r in rows), "pylsp's own pyflakes diagnostic still shown")
    page.screenshot(path=f"{SHOTS}/jupyterlab-notebook.png")
    status = page.request.get(f"{BASE}/lsp/status").json()
    servers = [name for name, s in status["sessions"].items() if s["handler_count"]]
    check(servers == ["pylsp"], f"connected language servers: {servers}")
    browser.close()
sys.exit(1 if failures else 0)
