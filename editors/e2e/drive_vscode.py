"""Drive code-server (headless Debian chromium) with the mlint extension installed.

model.py: ML501 squiggle, Problems panel, quick fix from a cursor at column 0 of the line.
nb.ipynb: cells 2 (needs cell 1's class) and 3 squiggled, quick fix inside cell 2.
Usage: drive_vscode.py URL SHOTS_DIR; exit 1 when something expected does not show.
"""

import os
import shutil
import sys
import time

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

URL, SHOTS = sys.argv[1], sys.argv[2]
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
SQUIGGLE = ".squiggly-warning, .squiggly-error"
T0 = time.monotonic()
failures: list[str] = []


def log(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.2f}s] {message}", flush=True)


def text(page: Page, selector: str) -> str:
    return page.inner_text(selector).replace("\u00a0", " ")


def open_file(page: Page, name: str) -> None:
    page.keyboard.press("Control+P")
    page.wait_for_selector(".quick-input-widget input", state="visible")
    page.keyboard.type(name)
    page.wait_for_selector(".quick-input-list .monaco-list-row")
    page.keyboard.press("Enter")


FIX_TITLE = "mlint (ML501): Call the module"


def quick_fix_menu(page: Page) -> bool:
    """Whether the Ctrl+. menu shows mlint's fix and its "Disable" action."""
    titles: list[str] = []
    for _ in range(60):
        titles = page.eval_on_selector_all(
            ".monaco-list-row.action .title", "rows => rows.map(row => row.textContent)"
        )
        if FIX_TITLE in titles:
            break
        page.wait_for_timeout(500)
    log(f"quick-fix menu: {titles}")
    return FIX_TITLE in titles and "Disable ML501 for this line" in titles


def check(ok: bool, message: str) -> None:
    log(("ok: " if ok else "FAILED: ") + message)
    if not ok:
        failures.append(message)


def python_file(page: Page) -> None:
    open_file(page, "model.py")
    page.wait_for_selector(".monaco-editor .view-lines", timeout=30_000)
    opened = time.monotonic()
    page.wait_for_selector(f".monaco-editor :is({SQUIGGLE})", timeout=60_000)
    log(f"model.py: first squiggle {time.monotonic() - opened:.2f}s after the editor opened")
    page.keyboard.press("Control+Shift+M")
    page.wait_for_selector(".markers-panel .monaco-list-row", timeout=30_000)
    problems = text(page, ".markers-panel")
    check(
        "ML501" in problems and "mlint" in problems,
        "Problems panel: " + " | ".join(problems.split("\n")),
    )
    page.screenshot(path=f"{SHOTS}/vscode-1-py-diagnostic.png")
    # Cursor at column 0 of the flagged line (click into it, Home twice), then Ctrl+.
    page.keyboard.press("Escape")
    page.click(f".monaco-editor :is({SQUIGGLE})", force=True)
    page.keyboard.press("Home")
    page.keyboard.press("Home")
    page.wait_for_timeout(500)
    page.keyboard.press("Control+.")
    check(quick_fix_menu(page), "quick-fix menu for a cursor at column 0 offers mlint's fix")
    page.screenshot(path=f"{SHOTS}/vscode-2-py-quickfix.png")
    page.click(f".monaco-list-row.action:has-text('{FIX_TITLE}')")
    page.wait_for_function(
        "() => document.querySelector('.monaco-editor .view-lines').innerText"
        ".replace(/\\u00a0/g, ' ').includes('return net(x)')",
        timeout=30_000,
    )
    page.wait_for_selector(f".monaco-editor :is({SQUIGGLE})", state="detached", timeout=30_000)
    log("model.py: fix applied (`return net(x)`), squiggle gone")
    page.keyboard.press("Control+Z")  # leave the file as found (hot exit would keep the edit)
    page.keyboard.press("Control+K")
    page.keyboard.press("W")  # close all editors


def notebook(page: Page) -> None:
    open_file(page, "nb.ipynb")
    page.wait_for_selector(".notebook-editor .cell-editor-container .view-lines", timeout=60_000)
    opened = time.monotonic()
    try:
        page.wait_for_selector(f".notebook-editor :is({SQUIGGLE})", timeout=30_000)
        log(f"nb.ipynb: first squiggle {time.monotonic() - opened:.2f}s after open")
    except PlaywrightTimeout:
        log("nb.ipynb: no squiggle within 30 s")
    page.wait_for_timeout(2000)
    cells = page.query_selector_all(".notebook-editor .cell-editor-container")
    counts = [len(cell.query_selector_all(SQUIGGLE)) for cell in cells]
    check(counts[:3] == [0, 1, 1], f"squiggles per cell: {counts} (want [0, 1, 1])")
    page.keyboard.press("Control+Shift+M")
    page.wait_for_timeout(1000)
    problems = text(page, ".markers-panel")
    log("Problems panel: " + " | ".join(problems.split("\n")))
    page.screenshot(path=f"{SHOTS}/vscode-3-notebook.png")
    # Quick fix in cell 2, whose diagnostic exists only because cell 1 is linted with it.
    cells[1].query_selector(SQUIGGLE).click(force=True)
    page.keyboard.press("Control+.")
    check(quick_fix_menu(page), "cell 2's quick-fix menu offers mlint's fix")
    page.click(f".monaco-list-row.action:has-text('{FIX_TITLE}')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.notebook-editor .view-lines')].some("
        "e => e.innerText.replace(/\\u00a0/g, ' ').includes('y = net(torch.zeros'))",
        timeout=30_000,
    )
    page.wait_for_timeout(1500)
    counts = [
        len(c.query_selector_all(SQUIGGLE))
        for c in page.query_selector_all(".notebook-editor .cell-editor-container")
    ]
    check(counts[:3] == [0, 0, 1], f"after the fix in cell 2, squiggles per cell: {counts}")
    page.screenshot(path=f"{SHOTS}/vscode-4-notebook-fixed.png")
    page.keyboard.press("Control+Z")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(URL)
    page.wait_for_selector(".explorer-folders-view .monaco-list-row", timeout=90_000)
    log("workbench ready")
    for step in (python_file, notebook):
        try:
            step(page)
        except Exception as exc:  # noqa: BLE001  (report, take a picture, go on)
            failures.append(f"{step.__name__}: {exc}")
            log(f"FAILED: {step.__name__}: {str(exc).splitlines()[0]}")
            page.screenshot(path=f"{SHOTS}/vscode-failed-{step.__name__}.png")
    browser.close()
sys.exit(1 if failures else 0)
