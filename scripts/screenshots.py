#!/usr/bin/env python3
"""Screenshots of every role's home and a few key pages, at desktop and phone widths, in
Chinese and English. Run by scripts/screenshots.sh, which starts the demo server.

    screenshots.py SERVER_URL OUT_DIR USERS_FILE

USERS_FILE holds one `name role password` per line (the demo users the server printed, and
the admin). The browser is the Debian Chromium driven by chromedriver over plain WebDriver
HTTP (no Python packages needed). Each page is captured whole (Chrome's
`Page.captureScreenshot` beyond the viewport) as OUT_DIR/<role>-<page>-<lang>-<width>.png.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTHS = [(1366, 900), (390, 844)]
LANGS = ["zh", "en"]

# Pages per role: (name, path). `{account}` is one account the role may open (its own for a
# rep); `{content}` a playbook every role reads.
COMMON = [
    ("home", "/"),
    ("search", "/search?q=%E5%9B%9E%E6%AC%BE"),
    ("accounts", "/accounts"),
    ("account", "/accounts/{account}"),
    ("content", "/content/strategic-routine-visit"),
    ("coverage", "/coverage"),
    ("me", "/me"),
    ("not-found", "/no-such-page"),
]
BY_ROLE = {
    "rep": COMMON + [("courses", "/my/courses")],
    "trainer": COMMON + [("my-content", "/my/content"), ("misses", "/search/misses")],
    "manager": COMMON + [("review", "/review"), ("pareto", "/pareto")],
    "admin": COMMON + [("problems", "/problems"), ("pareto", "/pareto"), ("import", "/accounts/import")],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return response.headers, (json.loads(text) if text else None)


class Driver:
    def __init__(self, width, height):
        self.port = free_port()
        self.process = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        options = {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-dev-shm-usage", "--hide-scrollbars",
                     f"--window-size={width},{height}"],
        }
        if width < 600:
            options["mobileEmulation"] = {"deviceMetrics": {
                "width": width, "height": height, "pixelRatio": 2.0, "touch": True}}
        for _ in range(100):
            try:
                _, answer = call(self.base + "/session", "POST", {
                    "capabilities": {"alwaysMatch": {"browserName": "chrome",
                                                     "goog:chromeOptions": options}}})
                self.session = answer["value"]["sessionId"]
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("chromedriver did not start")

    def command(self, method, path, body=None):
        _, answer = call(f"{self.base}/session/{self.session}{path}", method, body)
        return answer["value"] if answer else None

    def goto(self, url):
        self.command("POST", "/url", {"url": url})

    def set_cookie(self, name, value):
        self.command("POST", "/cookie", {"cookie": {"name": name, "value": value, "path": "/"}})

    def clear_cookies(self):
        self.command("DELETE", "/cookie")

    def screenshot(self, path):
        try:
            shot = self.command("POST", "/goog/cdp/execute", {
                "cmd": "Page.captureScreenshot",
                "params": {"format": "png", "captureBeyondViewport": True}})["data"]
        except Exception:  # an older chromedriver: the viewport only
            shot = self.command("GET", "/screenshot")
        with open(path, "wb") as out:
            out.write(base64.b64decode(shot))

    def quit(self):
        try:
            self.command("DELETE", "")
        finally:
            self.process.kill()
            self.process.wait()


def sign_in(server, name, password):
    headers, session = call(server + "/api/v1/session", "POST",
                            {"name": name, "password": password}, {"Origin": server})
    cookie = headers["Set-Cookie"].split(";")[0]
    cookie_name, cookie_value = cookie.split("=", 1)
    return cookie_name, cookie_value


def an_account(server, cookie, name, role):
    query = "?limit=1" + (f"&owner={urllib.parse.quote(name)}" if role == "rep" else "")
    _, answer = call(server + "/api/v1/accounts" + query, headers={"Cookie": "=".join(cookie)})
    accounts = answer.get("accounts") or [{"id": "none"}]
    return urllib.parse.quote(accounts[0]["id"], safe="")


def main():
    server, out_dir, users_file = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out_dir, exist_ok=True)
    users = {}
    for line in open(users_file, encoding="utf-8"):
        parts = line.split()
        if len(parts) == 3 and parts[1] not in users:
            users[parts[1]] = (parts[0], parts[2])
    missing = [role for role in BY_ROLE if role not in users]
    if missing:
        raise SystemExit(f"no user for the roles {missing} in {users_file}")
    written = 0
    for width, height in WIDTHS:
        driver = Driver(width, height)
        try:
            for role, pages in BY_ROLE.items():
                name, password = users[role]
                cookie = sign_in(server, name, password)
                account = an_account(server, cookie, name, role)
                for lang in LANGS:
                    driver.goto(server + "/login")
                    driver.clear_cookies()
                    driver.set_cookie(*cookie)
                    driver.set_cookie("lang", lang)
                    for page, path in pages:
                        driver.goto(server + path.format(account=account))
                        time.sleep(0.3)  # the lookup script and fonts settle
                        target = os.path.join(out_dir, f"{role}-{page}-{lang}-{width}.png")
                        driver.screenshot(target)
                        written += 1
        finally:
            driver.quit()
    print(f"{written} screenshots in {out_dir}")


if __name__ == "__main__":
    main()
