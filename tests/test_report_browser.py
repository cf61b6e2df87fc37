"""The HTML report in a real headless Chromium: offline, no console errors, filters work, the XSS
payload in a quote stays text. Needs `chromium`, `chromedriver` and `selenium`; skipped otherwise.

Set OBJECTIONS_UPDATE_DOCS=1 to also refresh docs/report.png from the screenshot.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from objections.report import write_html

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = (
    "/usr/bin/chromedriver"
    if Path("/usr/bin/chromedriver").exists()
    else shutil.which("chromedriver")
)
XSS_QUOTE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> too pricey'


def _load_make_doc() -> Any:
    """`make_doc` from test_report.py, whatever pytest's import mode."""
    spec = importlib.util.spec_from_file_location(
        "_report_doc", Path(__file__).with_name("test_report.py")
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_doc


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip("no chromium binary on PATH (apt-get install chromium chromium-driver)")
    if not CHROMEDRIVER:
        pytest.skip("no chromedriver (apt-get install chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def page(driver: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("report")
    doc = _load_make_doc()(audio_dir=out)
    doc["themes"][2]["quotes"][0]["text"] = XSS_QUOTE
    url: str = write_html(doc, out / "report.html").as_uri()
    driver.get("about:blank")
    for log in ("browser", "performance"):  # drop what the start-up tab logged
        driver.get_log(log)
    driver.get(url)
    return url


def _visible_ids(driver: Any) -> set[str]:
    from selenium.webdriver.common.by import By

    cards = driver.find_elements(By.CSS_SELECTOR, "article.theme")
    return {c.get_attribute("data-theme-id") for c in cards if c.is_displayed()}


def _set_filters(driver: Any, category: str = "", text: str = "") -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "category")).select_by_value(category)
    box = driver.find_element(By.ID, "search")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() fires no input event
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)


def test_no_console_errors_and_no_requests(driver: Any, page: str) -> None:
    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == []
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls == [page]


def test_controls_show_when_script_runs(driver: Any, page: str) -> None:
    from selenium.webdriver.common.by import By

    assert driver.find_element(By.ID, "controls").is_displayed()
    assert _visible_ids(driver) == {"t-3f9a2c", "t-77b1e0", "t-0c4d11"}


def test_category_filter_hides_other_themes(driver: Any, page: str) -> None:
    from selenium.webdriver.common.by import By

    _set_filters(driver, category="security")
    assert _visible_ids(driver) == {"t-0c4d11"}
    rows = driver.find_elements(By.CSS_SELECTOR, "#ranked tbody tr")
    assert [r.get_attribute("data-theme-id") for r in rows if r.is_displayed()] == ["t-0c4d11"]
    assert driver.find_element(By.ID, "filter-status").text == "1 of 3 themes shown"
    _set_filters(driver)
    assert len(_visible_ids(driver)) == 3


def test_search_filters_on_label_keywords_and_quotes(driver: Any, page: str) -> None:
    from selenium.webdriver.common.by import By

    _set_filters(driver, text="nightmare")  # only in a quote
    assert _visible_ids(driver) == {"t-77b1e0"}
    _set_filters(driver, text="SUMMER headcount")  # keyword, any case, all terms
    assert _visible_ids(driver) == {"t-3f9a2c"}
    _set_filters(driver, category="price", text="deputy")
    assert _visible_ids(driver) == set()
    assert driver.find_element(By.ID, "no-match").is_displayed()
    _set_filters(driver)
    assert len(_visible_ids(driver)) == 3


def test_xss_quote_renders_as_text(driver: Any, page: str) -> None:
    from selenium.webdriver.common.by import By

    quote = driver.find_element(By.CSS_SELECTOR, "#t-0c4d11 blockquote")
    assert quote.text == XSS_QUOTE
    assert quote.find_elements(By.CSS_SELECTOR, "img, script") == []
    assert driver.execute_script("return window.__xss") is None


def test_narrow_layout_and_screenshot(driver: Any, page: str) -> None:
    from selenium.webdriver.common.by import By

    driver.set_window_size(420, 900)
    try:
        assert not driver.find_element(By.CSS_SELECTOR, "th.col-accounts").is_displayed()
        assert driver.find_element(By.ID, "search").is_displayed()
    finally:
        driver.set_window_size(1280, 900)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    png = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "report.png"
    shot.write_bytes(base64.b64decode(png["data"]))
    assert shot.stat().st_size > 10_000
    if os.environ.get("OBJECTIONS_UPDATE_DOCS") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "report.png")
