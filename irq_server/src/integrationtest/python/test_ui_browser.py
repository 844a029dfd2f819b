"""The web view in a real browser: Debian's chromium driven headless by selenium against a
real `irq-server --simulate` of 256 CPUs x 2000 IRQs (chromium and chromium-driver installed
when missing). Screenshots and the measured timings land in the test's tmp dir."""
import json
import time

import pytest
import requests
from live_server import debian_tool, wait_for

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

FIRST_PAINT_TARGET_MS = 1000
REFRESH_TARGET_MS = 200


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = debian_tool("chromium", "chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1500,1700", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=debian_tool("chromedriver",
                                                                  "chromium-driver"))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def ui(driver, expression):
    return driver.execute_script(f"return window.irqUi && window.irqUi.{expression}")


def severe_console_messages(driver):
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_the_page_shows_a_big_host_fast_and_right(start_server, browser, tmp_path):
    server = start_server("--simulate", "256:4:2000", "--interval", "1")
    wait_for(lambda: requests.get(server.url + "/history", timeout=10).json()["samples"] >= 6,
             timeout=60)
    browser.get(server.url + "/ui/")
    wait_for(lambda: ui(browser, "ready"), timeout=30)
    first_paint = ui(browser, "firstPaintMs")
    wait_for(lambda: len(ui(browser, "refreshMainMs")) >= 4, timeout=30)  # three refreshes
    refreshes = ui(browser, "refreshMainMs")[1:]
    browser.save_screenshot(str(tmp_path / "ui.png"))
    timings = {"first_paint_ms": round(first_paint), "refresh_main_thread_ms": [
        round(ms, 1) for ms in refreshes], "targets": [FIRST_PAINT_TARGET_MS, REFRESH_TARGET_MS]}
    (tmp_path / "ui-timings.json").write_text(json.dumps(timings))
    print(f"\nui timings: {json.dumps(timings)}")
    assert not severe_console_messages(browser)
    assert not ui(browser, "errors")

    # the heatmap is drawn, and its brightest cell is the busiest IRQ x CPU of its window
    lit = browser.execute_script("""
        const c = document.getElementById('heatmap');
        const d = c.getContext('2d').getImageData(170, 0, c.width - 170, c.height - 40).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 240 || d[i + 1] < 240) n++;
        return n;""")
    assert lit > 1000
    busiest, span = ui(browser, "busiest"), ui(browser, "span")
    window = requests.get(server.url + "/interrupts/irqs", timeout=30, params={
        "start": span["start"], "end": span["end"]}).json()
    best = max(((n, irq["irq_num"], window["cpus"][j]) for irq in window["irqs"]
                for j, n in enumerate(irq["num_interrupts_per_cpu"])))
    assert (busiest["irq"], busiest["cpu"]) == (best[1], best[2])

    # a click on a row opens that IRQ's details
    rows, row_h = ui(browser, "rows"), ui(browser, "rowH")
    heatmap = browser.find_element(By.ID, "heatmap")
    scale = heatmap.size["height"] / browser.execute_script(
        "return document.getElementById('heatmap').height")
    ActionChains(browser).move_to_element_with_offset(
        heatmap, 20 - heatmap.size["width"] // 2,
        int((2.5 * row_h) * scale) - heatmap.size["height"] // 2).click().perform()
    details = browser.find_element(By.ID, "details")
    wait_for(lambda: "affinity" in details.text, timeout=10)
    irq = requests.get(f"{server.url}/irqs/{rows[2]}", timeout=10).json()
    assert rows[2] in details.text and irq["device_name"] in details.text
    browser.save_screenshot(str(tmp_path / "ui-details.png"))
    assert not severe_console_messages(browser)

    # hang guards only (machines are noisy); the measured figures are printed and saved above
    assert first_paint < 5 * FIRST_PAINT_TARGET_MS and max(refreshes) < 5 * REFRESH_TARGET_MS


def test_under_auth_reads_the_page_asks_for_a_token_once(start_server, browser, tmp_path):
    server = start_server("--simulate", "8:1:40", "--interval", "1", "--auth-reads")
    browser.get(server.url + "/ui/")
    prompt = browser.find_element(By.ID, "auth")
    wait_for(lambda: prompt.is_displayed(), timeout=15)
    browser.save_screenshot(str(tmp_path / "ui-auth.png"))
    browser.find_element(By.ID, "auth-token").send_keys(server.admin_token)
    browser.find_element(By.CSS_SELECTOR, "#auth-form button").click()
    wait_for(lambda: ui(browser, "ready"), timeout=30)
    assert not prompt.is_displayed()
    browser.refresh()  # kept for the tab: no second prompt
    wait_for(lambda: ui(browser, "ready"), timeout=30)
    assert not browser.find_element(By.ID, "auth").is_displayed()
    time.sleep(0.5)
    assert not [m for m in severe_console_messages(browser) if "401" not in m]
