#!/usr/bin/env python3
"""Opens a URL in headless Chromium and reports what a reader's browser ended up with.

Talks the DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4, messages
separated by NUL), so it needs nothing beyond Python's standard library and Debian's chromium.

usage: browser_peer.py URL SCREENSHOT.png [--width 1280] [--height 1000] [--mobile] [--dark]
                        [--eval NAME=EXPRESSION ...] [--wait-for-url TEXT [--wait 30]]
                        [--then URL=SCREENSHOT.png ...] [--settle 0.3] [--cookies FILE]
--wait-for-url: after the first load, wait until the page itself navigates to a URL containing TEXT (a
page's script moving on) and that page has loaded.
--then: after the first page, open each URL in turn in the same browser (its cookies kept), shoot it, and
report it in "then" (url, title, text, status, values); --settle: seconds to let scripts finish after a load.
--cookies: a browser profile over several runs: its cookies are loaded from FILE (if it exists) before the
first page and saved to it at the end (as Chromium's DevTools protocol gives them).
--ax: also report "ax", the accessible names of the page's text nodes in document order (what a screen reader
reads, from Chromium's accessibility tree).
--timeout: the whole run's limit in seconds (each DevTools call also gets at most 30 s). A browser that stops
answering ends the run with exit status 3 and the step it hung on, never a test that waits forever.
prints JSON: {"url": final URL, "title": ..., "text": innerText of <main>, "document_cookie": ...,
              "cookies": [{name, path, httpOnly, secure, sameSite}], "status": HTTP status of the page,
              "values": {NAME: value of EXPRESSION evaluated in the page}}
"""
import argparse, base64, json, os, select, shutil, signal, subprocess, sys, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("shot")
parser.add_argument("--width", type=int, default=1280)
parser.add_argument("--height", type=int, default=1000)
parser.add_argument("--mobile", action="store_true")
parser.add_argument("--dark", action="store_true")
parser.add_argument("--eval", action="append", default=[])
parser.add_argument("--wait-for-url")
parser.add_argument("--wait", type=float, default=30)
parser.add_argument("--then", action="append", default=[])
parser.add_argument("--settle", type=float, default=0.3)
parser.add_argument("--cookies")
parser.add_argument("--timeout", type=float, default=150)
parser.add_argument("--ax", action="store_true")
options = parser.parse_args()
url, shot, width, height = options.url, options.shot, options.width, options.height

to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
for fd in (to_chrome_r, to_chrome_w, from_chrome_r, from_chrome_w):
    os.set_inheritable(fd, True)
profile = tempfile.mkdtemp(prefix="lectern-chromium-")
chrome = subprocess.Popen(
    ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
     "--force-device-scale-factor=1", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
    # Chromium reads commands on fd 3 and writes replies on fd 4. close_fds would close them again
    # after preexec_fn, so it is off; the child's other inherited pipe ends do no harm.
    # Its own session, so every Chromium process (renderers, GPU, zygote) is killed with it at the end.
    close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    preexec_fn=lambda: (os.dup2(to_chrome_r, 3), os.dup2(from_chrome_w, 4)))
os.close(to_chrome_r); os.close(from_chrome_w)
writer = os.fdopen(to_chrome_w, "wb")
buffer, next_id, events, step = b"", 0, [], "start"
CALL_LIMIT = 30

class Hung(Exception):
    pass

give_up_at = time.time() + options.timeout

def receive(limit=CALL_LIMIT):
    global buffer
    # Bounded by a deadline rather than an alarm: a parent may start this with SIGALRM blocked.
    deadline = min(time.time() + limit, give_up_at)
    while b"\0" not in buffer:
        left = deadline - time.time()
        if left <= 0 or not select.select([from_chrome_r], [], [], left)[0]:
            if time.time() >= give_up_at:
                raise Hung(f"browser_peer: no result after {options.timeout:.0f} s (at {step})")
            raise Hung(f"browser_peer: chromium gave no answer in {limit} s (at {step})")
        chunk = os.read(from_chrome_r, 65536)
        if not chunk:
            raise SystemExit("chromium closed the pipe")
        buffer += chunk
    message, buffer = buffer.split(b"\0", 1)
    return json.loads(message)

def call(method, params=None, session=None):
    global next_id, step
    next_id += 1
    step = method
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    writer.write(json.dumps(message).encode() + b"\0"); writer.flush()
    while True:
        reply = receive()
        if reply.get("id") == next_id:
            if "error" in reply:
                raise SystemExit(f"{method}: {reply['error']}")
            return reply["result"]
        events.append(reply)

try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": options.mobile}, session)
    call("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark" if options.dark else "light"}]}, session)
    call("Network.enable", {}, session)
    if options.cookies and os.path.exists(options.cookies):
        with open(options.cookies) as f:
            call("Network.setCookies", {"cookies": json.load(f)}, session)
    call("Page.enable", {}, session)
    call("Page.navigate", {"url": url}, session)
    deadline = time.time() + 20
    def evaluate(expression):
        return call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)["result"].get("value")
    while time.time() < deadline:
        if evaluate("document.readyState") == "complete" and evaluate("location.href") != "about:blank":
            break
        time.sleep(0.1)
    if options.wait_for_url:
        deadline = time.time() + options.wait
        while time.time() < deadline:
            href = evaluate("location.href") or ""
            if options.wait_for_url in href and evaluate("document.readyState") == "complete":
                break
            time.sleep(0.2)
    time.sleep(options.settle)
    statuses = [e["params"]["response"]["status"] for e in events
                if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document"]
    cookies = call("Network.getCookies", {}, session)["cookies"]
    result = {
        "url": evaluate("location.href"),
        "title": evaluate("document.title"),
        "text": evaluate("(document.querySelector('main') || document.body).innerText"),
        "document_cookie": evaluate("document.cookie"),
        "cookies": [{k: c.get(k) for k in ("name", "path", "httpOnly", "secure", "sameSite")} for c in cookies],
        "status": statuses[-1] if statuses else None,
        "values": {name: evaluate(expression) for name, expression in (item.split("=", 1) for item in options.eval)},
    }
    if options.ax:
        call("Accessibility.enable", {}, session)
        nodes = call("Accessibility.getFullAXTree", {}, session)["nodes"]
        result["ax"] = [n["name"]["value"] for n in nodes
                        if n.get("role", {}).get("value") == "StaticText" and n.get("name", {}).get("value")]
    if options.eval:
        # An expression may start a navigation (a form submitted): let the next page load before the screenshot,
        # which Chromium may otherwise hold back until that page paints.
        time.sleep(options.settle)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if evaluate("document.readyState") == "complete":
                    break
            except SystemExit:  # the old page's context went away mid-call
                pass
            time.sleep(0.1)
    png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    result["then"] = []
    for item in options.then:
        next_url, next_shot = item.rsplit("=", 1)
        events.clear()
        call("Page.navigate", {"url": next_url}, session)
        deadline = time.time() + 20
        time.sleep(0.2)
        while time.time() < deadline and evaluate("document.readyState") != "complete":
            time.sleep(0.1)
        time.sleep(options.settle)
        statuses = [e["params"]["response"]["status"] for e in events
                    if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document"]
        result["then"].append({
            "url": evaluate("location.href"), "title": evaluate("document.title"),
            "text": evaluate("(document.querySelector('main') || document.body).innerText"),
            "status": statuses[-1] if statuses else None,
            "values": {name: evaluate(expression) for name, expression in (i.split("=", 1) for i in options.eval)},
        })
        png = call("Page.captureScreenshot", {"format": "png"}, session)["data"]
        with open(next_shot, "wb") as f:
            f.write(base64.b64decode(png))
    if options.cookies:
        kept = [{k: v for k, v in c.items() if k in ("name", "value", "domain", "path", "expires", "httpOnly",
                                                     "secure", "sameSite")}
                for c in call("Storage.getCookies", {})["cookies"]]  # every path, not only the page's
        with open(options.cookies, "w") as f:
            json.dump(kept, f)
    print(json.dumps(result))
except Hung as hung:
    print(hung, file=sys.stderr)
    sys.exit(3)
finally:
    try:
        os.killpg(chrome.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    chrome.wait()
    shutil.rmtree(profile, ignore_errors=True)
