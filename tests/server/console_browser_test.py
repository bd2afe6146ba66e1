#!/usr/bin/python3
"""The web console in a real browser: Debian's headless Chromium, driven by python3-selenium
through chromium-driver, against a real tqdb-server with API keys and a small partitioned
collection with payloads.

Checks that the page asks for the key (the first load is refused, and says so), that with the
key it lists the collection and draws its lists, and that a search run from the form (by a
stored point's id, with a filter) renders the neighbours the HTTP API returns for the same
request, payloads included. Keeps a screenshot of the page (the path is printed).

Usage: console_browser_test.py TQDB_SERVER_BINARY SCREENSHOT_PATH
Exits 77 (skipped) with a message where Chromium, its driver or selenium is absent.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
KEY = "console-test-key"


def skip(why):
    print(f"console_browser_test skipped: {why} (scripts/install-deps.sh installs chromium, "
          "chromium-driver and python3-selenium)")
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    skip("python3-selenium is not installed")
if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    skip("chromium or chromedriver is not installed")


def call(port, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def start_server(binary, work):
    with open(os.path.join(work, "keys"), "w") as keys:
        keys.write(hashlib.sha256(KEY.encode()).hexdigest() + " admin\n")
    log = open(os.path.join(work, "server.log"), "w+")
    server = subprocess.Popen(
        [binary, f"--data_dir={work}/data", "--listen=127.0.0.1:0", "--threads=2",
         "--http_listen=127.0.0.1:0", f"--api_keys_file={work}/keys"],
        stderr=log)
    for _ in range(300):
        log.seek(0)
        match = re.search(r" http=127\.0\.0\.1:(\d+)", log.read())
        if match:
            return server, int(match.group(1))
        if server.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    raise RuntimeError("the server did not start:\n" + log.read())


def load_collection(port):
    call(port, "PUT", "/collections/places", {"dimension": 8, "bits": 4})
    cities = ["Paris", "Rome", "Oslo"]
    points = []
    for i in range(400):
        vector = [((i * 7 + j * 13) % 17) / 17.0 - 0.4 + (0.5 if j == i % 8 else 0) for j in range(8)]
        points.append({"id": i, "vector": vector,
                       "payload": {"name": f"place {i}", "city": cities[i % 3]}})
    call(port, "PUT", "/collections/places/points", {"points": points})
    call(port, "POST", "/collections/places/repartition", {"lists": 6})


def main():
    binary, screenshot = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="tqdb-console-")
    server, port = start_server(binary, work)
    driver = None
    try:
        load_collection(port)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1400",
                         f"--user-data-dir={work}/chromium"]:
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.set_page_load_timeout(30)
        wait = WebDriverWait(driver, 20)

        # Without the key the page says the server refused it.
        driver.get(f"http://127.0.0.1:{port}/")
        error = wait.until(EC.visibility_of_element_located((By.ID, "error")))
        assert "UNAUTHENTICATED" in error.text, error.text

        # With it, the collection is listed; its row opens the lists chart.
        driver.find_element(By.ID, "api-key").send_keys(KEY)
        driver.find_element(By.CSS_SELECTOR, "#key-form button").click()
        row = wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, "#collections tbody tr[data-name='places']")))
        assert "400" in row.text, row.text
        row.click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "lists-summary"), "6 lists"))
        bars = driver.find_elements(By.CSS_SELECTOR, "#list-chart rect")
        assert len(bars) == 6, len(bars)

        # A search from the form: neighbours of point 7 among the places in Oslo.
        Select(driver.find_element(By.ID, "search-collection")).select_by_value("places")
        Select(driver.find_element(By.ID, "search-mode")).select_by_value("id")
        k = driver.find_element(By.ID, "search-k")
        k.clear()
        k.send_keys("5")
        driver.find_element(By.ID, "search-query").send_keys("7")
        city_filter = {"must": [{"key": "city", "match": {"value": "Oslo"}}]}
        driver.find_element(By.ID, "search-filter").send_keys(json.dumps(city_filter))
        driver.find_element(By.ID, "search-submit").click()
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-searches") == "1")
        rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
        shown = [(r.find_elements(By.TAG_NAME, "td")[1].text,
                  json.loads(r.find_elements(By.TAG_NAME, "td")[3].text)) for r in rows]

        expected = call(port, "POST", "/collections/places/points/search",
                        {"id": 7, "limit": 5, "filter": city_filter, "with_payload": True,
                         "params": {"nprobe": 0, "rerank": False}})["result"]
        assert len(shown) == 5, shown
        assert [s[0] for s in shown] == [e["id"] for e in expected], (shown, expected)
        assert all(payload["city"] == "Oslo" for _, payload in shown), shown
        assert [s[1] for s in shown] == [e["payload"] for e in expected], (shown, expected)

        driver.save_screenshot(screenshot)
        print(f"console screenshot: {screenshot}")
        print("console_browser_test: passed (" + ", ".join(s[0] for s in shown) + ")")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
