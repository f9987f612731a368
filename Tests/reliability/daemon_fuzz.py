#!/usr/bin/env python3
"""Daemon fuzz: start a real lecternd on 127.0.0.1 and send it seeded, hostile HTTP requests over raw sockets (so malformed
bytes reach it unchanged). lecternd must never exit, must answer every well-formed request with `HTTP/1.1 <100-599>` and
no 5xx but 503, and must stop cleanly on SIGTERM; closing without an answer is accepted only for requests malformed at the
HTTP level. hypothesis builds the requests from --seed, so a run is repeatable (--jobs 1: strictly one after another).

usage: daemon_fuzz.py --bin DIR [--seed 1] [--examples 12000] [--seconds 70] [--jobs 12]
"""
import argparse, atexit, base64, collections, hashlib, hmac, json, os, re, shutil, signal, socket, subprocess, sys, time
import urllib.parse
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

try:
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings, strategies as st
except ImportError:
    sys.exit("daemon fuzz needs hypothesis: python3 -m pip install hypothesis")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402
STRIPE_SECRET, STANDARD_KEY, LEMON_SECRET, METRICS_TOKEN = "whsec_fuzz_stripe", bytes(range(32)), "fuzz-lemon", "5a" * 32
PROVIDERS = ("stripe", "standard", "lemonsqueezy", "alipay", "wechatpay")
ALIPAY_APP_ID = "2021000000000001"
# Alipay notifications name an order lecternd placed: this placeholder becomes one (placed at start) when sent.
PLACED_ORDER = "PLACED-ORDER"
ALIPAY = {}  # the python-alipay-sdk signer and the placed order's number, set in main()
WECHATPAY = {}  # the site's keys folder, set in main()
BIG = ["-9223372036854775808", "9223372036854775807", "9223372036854775808", "99999999999999999999", "18446744073709556516",
       "-1", "0", "-0", "1.0", "1e400", "-1e400", "1e-400", "2147483648", "-2147483648", "nan", "inf", "0x10", "+5", ""]
PATHS = ["/", "/courses/practical-sqlite/", "/courses/practical-sqlite/why-sqlite/", "/learn/practical-sqlite/",
         "/learn/practical-sqlite/transactions/", "/learn/all-access/?token=x", "/access/claim?session_id=cs_x", "/access/resend",
         "/webhooks/stripe", "/webhooks/standard", "/webhooks/lemonsqueezy", "/metrics", "/healthz", "/.well-known/jwks.json",
         "/webhooks/alipay", "/pay/alipay", "/access/claim?out_trade_no=" + "0" * 32,
         "/webhooks/wechatpay", "/pay/wechatpay", "/pay/status?out_trade_no=" + "0" * 32, "/pay/status?out_trade_no=",
         "/library/", "/access/library.json", "/access/progress", "/access/sign-out", "/access/sign-out-others",
         "/style.css", "/search-index.json"]
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: methods and header names

# Strategies are built once: building them is the slow part of hypothesis. TEXT has no control characters, so
# most header values stay well-formed; RAW_TEXT has them, for the requests that are meant to be malformed.
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
RAW_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
NUMBER = st.sampled_from(BIG) | st.integers().map(str)
B64 = st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode())
HEX = st.binary(max_size=40).map(bytes.hex)


def insert(piece):
    """A path mutation: `piece` (a strategy) inserted at a random place."""
    return lambda path, draw: (lambda i: path[:i] + draw(piece) + path[i:])(draw(st.integers(0, len(path))))


MUTATIONS = [
    insert(st.sampled_from(["/..", "/../..", "/%2e%2e", "/..%2f..", "/.%2E/", "%2f", "/.", "\\..\\", "//"])),
    insert(st.sampled_from(["%00", "\x00", "%", "%zz", "%e0%80", "%c0%af", "%ff", "%25", "+", "#frag", ";x"])),
    insert(st.sampled_from([255, 256, 1024, 4096, 9000, 70000]).map(lambda n: "/" + "a" * n)),  # 70000: past any head limit
    insert(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=8)),
    insert(TEXT.map(lambda s: "".join("%%%02X" % b for b in s.encode()))),  # Unicode, percent-encoded
    insert(RAW_TEXT),  # raw Unicode, spaces and control bytes (NUL too): malformed, the target must be visible ASCII
    lambda p, d: p + ("&" if "?" in p else "?") + d(st.sampled_from(["token", "session_id", "page", "x"])) + "=" + d(NUMBER),
    lambda p, d: p + "?" + "&".join(["a=1"] * d(st.integers(1, 3000))),
]


@st.composite
def paths(draw):
    path = draw(st.sampled_from(PATHS))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(MUTATIONS))(path, draw)
    return path


def repeat(strategy, counts, sep=","):
    """`strategy`'s value repeated: hundreds of entries without hundreds of draws."""
    return st.builds(lambda v, n: sep.join([v] * n), strategy, st.sampled_from(counts))


def header_strategies(real_cookie):
    """Interesting request headers with hostile values. `real_cookie` is a valid access cookie from this run."""
    flipped = st.builds(lambda i, c: real_cookie[:i] + c + real_cookie[i + 1:], st.integers(0, len(real_cookie) - 1),
                        st.sampled_from("A_-.=0%"))
    mac = B64.map(lambda s: s.replace("+", "-").replace("/", "_").rstrip("="))
    access = st.builds("v1.{}.{}.{}".format, NUMBER, NUMBER, mac) | st.builds("v2.{}.{}.{}.{}".format, NUMBER, NUMBER, mac, mac)
    q = st.builds("{};q={}".format, st.sampled_from(["gzip", "deflate", "br", "*", "identity", "GZIP", ""]),
                  st.sampled_from(["nan", "1e999", "-1", "0", "1", "0.5", "-0", "inf", "", "abc", "99999999999999999999"]))
    date = st.builds("{}, {} {} {} {}:00:00 GMT".format, st.sampled_from(["Sun", "Mon", "Xyz", ""]), NUMBER,
                     st.sampled_from(["Jan", "Dec", "Foo", "january"]),
                     st.sampled_from(["-2147483648", "99999", "0000", "1969", "9999"]) | NUMBER, NUMBER)
    other_dates = st.sampled_from(["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Thu, 01 Jan 1970 00:00:00 GMT"])
    return {
        "If-Modified-Since": date | other_dates | TEXT,
        "If-None-Match": st.lists(st.sampled_from(['"x"', "*", 'W/"x"', "W/", '"', "", " , "]) | TEXT, max_size=8).map(",".join),
        "Accept-Encoding": repeat(q | st.sampled_from(["gzip", "br", "*"]), [1, 2, 50, 2000]),
        "Cookie": st.builds(lambda name, v, n, other: "; ".join([name + "=" + v] * n + [other]),
                            st.sampled_from(["lectern_access", "lectern_access", "lectern_library"]),
                            st.one_of(access, st.just(real_cookie), flipped, TEXT), st.integers(1, 3), TEXT),
        "X-Forwarded-For": st.lists(st.ip_addresses().map(str) | TEXT, max_size=10).map(", ".join)
                           | repeat(st.sampled_from(["", "1.2.3.4", "::1"]), [2, 5000]),
        "Accept": st.sampled_from(["application/json", "text/html", "*/*", "application/json;q=nan", "application/problem+json"]) | TEXT,
        "Content-Type": st.sampled_from(["application/json", "application/x-www-form-urlencoded", "APPLICATION/JSON; charset=utf-16",
                                         "text/plain"]) | TEXT,
        "Stripe-Signature": st.builds("t={},{}{}".format, NUMBER, repeat(HEX.map("v1={}".format), [0, 1, 8, 9, 300]),
                                      st.sampled_from(["", ",", ",t=1", ",v0=00", ",=,==,"])),
        "webhook-id": TEXT | st.integers(250, 300).map(lambda n: "m" * n),
        "webhook-timestamp": NUMBER,
        "webhook-signature": repeat(B64.map("v1,{}".format), [0, 1, 8, 9, 200], " "),
        "X-Signature": HEX | TEXT,
        "Authorization": st.sampled_from(["Bearer " + METRICS_TOKEN, "Bearer " + METRICS_TOKEN + "0", "bearer  " + METRICS_TOKEN,
                                          "Basic Og=="]) | TEXT.map("Bearer {}".format) | TEXT,
        "Range": st.builds("bytes={}".format, repeat(st.builds("{}-{}".format, NUMBER, NUMBER), [1, 2, 50])),
        "Expect": st.just("100-continue"),
        "Host": st.sampled_from(["", "127.0.0.1:1", "ex ample", "a" * 300]),
    }


def event(provider):
    """A payment event whose fields hold hostile values, written as raw JSON so numbers stay exactly as sent."""
    value = st.sampled_from(['"4900"', "4900", "null", "true", "false", "[]", "{}"] + [n for n in BIG if re.fullmatch(r"-?[\d.e]+", n)])
    string = st.sampled_from(['"practical-sqlite"', '"all-access"', '"USD"', '"usd"', '""', '"../x"', "null", "1"]) | TEXT.map(
        lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
    email = st.sampled_from(['"buyer@example.com"', '"a@b"', '"x\\r\\nBcc: y@z.com"', '"\\u0000@x.com"', '"\\ud800@x.com"', "7"])
    types = {"stripe": ['"checkout.session.completed"', '"charge.refunded"', '"customer.subscription.updated"', '"charge.dispute.created"'],
             "standard": ['"payment.succeeded"', '"payment.refunded"', '"payment.disputed"'],
             "lemonsqueezy": ['"order_created"', '"order_refunded"']}[provider] + ['"other"', "null", "1"]
    template = {
        "stripe": '{"id":"evt_%(n)s","type":%(type)s,"created":%(num)s,"data":{"object":{"id":"cs_%(n)s","payment_status":"paid",'
                  '"amount_total":%(amount)s,"currency":%(cur)s,"payment_intent":"pi_%(n)s","metadata":{"course":%(course)s},'
                  '"customer_details":{"email":%(email)s}}}}',
        "standard": '{"type":%(type)s,"data":{"payment_id":"pay_%(n)s","order_id":%(num)s,"product":%(course)s,"email":%(email)s,'
                    '"amount":%(amount)s,"currency":%(cur)s}}',
        "lemonsqueezy": '{"meta":{"event_name":%(type)s,"custom_data":{"course":%(course)s}},"data":{"id":%(num)s,"attributes":'
                        '{"status":"paid","total":%(amount)s,"currency":%(cur)s,"user_email":%(email)s}}}'}[provider]
    return st.fixed_dictionaries({"n": st.integers(0, 50), "type": st.sampled_from(types), "num": value, "amount": value, "cur": string,
                                  "course": string, "email": email}).map(lambda f: (template % f).encode())


def alipay_notification():
    """An Alipay notification (a form) whose fields hold hostile values; signed in encode() with the test Alipay key."""
    amount = st.sampled_from(["99.00", "9.90", "0.00", "99.001", "-1", "1e3", ""]) | NUMBER
    fields = st.fixed_dictionaries({
        "app_id": st.sampled_from([ALIPAY_APP_ID, "2021000000000002", ""]) | TEXT,
        "out_trade_no": st.sampled_from([PLACED_ORDER, PLACED_ORDER, "0" * 32, ""]) | TEXT,
        "trade_status": st.sampled_from(["TRADE_SUCCESS", "TRADE_FINISHED", "TRADE_CLOSED", "WAIT_BUYER_PAY", "X"]) | TEXT,
        "total_amount": amount, "subject": TEXT, "notify_id": TEXT},
        optional={"refund_fee": amount, "out_biz_no": TEXT, "sign_type": st.sampled_from(["RSA2", "RSA", ""])})
    return fields.map(lambda f: urllib.parse.urlencode(f).encode())


def wechatpay_notification():
    """A WeChat Pay notification's event type and decrypted resource with hostile values; sealed with the APIv3 key
    and signed in encode()."""
    amount = st.sampled_from([9900, 1, 0, -1, 10_000_000_001, 2 ** 63, "9900", 99.5, None]) | NUMBER
    resource = st.fixed_dictionaries({
        "mchid": st.sampled_from(["1900000109", "1900000999", ""]) | TEXT,
        "appid": st.sampled_from(["wx8888888888888888", "wx0", ""]) | TEXT,
        "out_trade_no": st.sampled_from([PLACED_ORDER, PLACED_ORDER, "0" * 32, ""]) | TEXT,
        "trade_state": st.sampled_from(["SUCCESS", "CLOSED", "REFUND", ""]) | TEXT,
        "amount": st.fixed_dictionaries({"total": amount, "currency": st.sampled_from(["CNY", "USD", ""])},
                                        optional={"refund": amount})},
        optional={"out_refund_no": TEXT, "refund_status": st.sampled_from(["SUCCESS", "ABNORMAL"])})
    kind = st.sampled_from(["TRANSACTION.SUCCESS", "REFUND.SUCCESS", "REFUND.ABNORMAL", "OTHER"]) | TEXT
    return st.builds(lambda k, r: json.dumps({"event_type": k, "resource": r}).encode(), kind, resource)


EVENTS = {p: event(p) for p in PROVIDERS if p not in ("alipay", "wechatpay")}
EVENTS["alipay"] = alipay_notification()
EVENTS["wechatpay"] = wechatpay_notification()
EMAIL = st.sampled_from(["buyer@example.com", "a@b.com\r\nBcc: x@y", '"a"@b.com', "%0d%0a@x.com", "a+b@example.com", "a@" + "b" * 300])
EMAIL = EMAIL | TEXT
COURSE = st.sampled_from(["zhishi-fufei-xiezuo", "practical-sqlite", "all-access", "../x"]) | TEXT
RESEND = st.builds(lambda e, c: f"email={e}&course={c}".encode(), EMAIL, COURSE) | st.builds(lambda e: ('{"email":"%s"}' % e).encode(), EMAIL)
BODIES = st.one_of(
    st.just(b""), st.sampled_from(PROVIDERS).flatmap(EVENTS.get), RESEND, st.binary(max_size=2000),
    st.builds(lambda n, o: o * n + b"1" + (b"]" if o == b"[" else b"}") * n, st.sampled_from([63, 64, 65, 1000, 10000, 100000]),
              st.sampled_from([b"[", b'{"a":'])),  # nesting around the daemon's limit (64) and far past it
    st.sampled_from([b"]" * 100 + b"[" * 100, b'"\\' + b"[" * 100, b"\xff\xfe\xc0\x80{}", b'{"id":"\xed\xa0\x80"}', b"x" * 1_100_000]))
METHODS = st.sampled_from(["GET"] * 6 + ["HEAD"] * 2 + ["POST"] * 6 + ["PUT", "DELETE", "OPTIONS", "PATCH", "odd", "odd"])
ODD_METHODS = st.sampled_from(["G\x00ET", "GET GET", "", "\xff", "BREW", "get", "X" * 300, "TRACE", "CONNECT"]) | RAW_TEXT
FRAMING = (st.tuples(st.just("Content-Length"), st.sampled_from(["-1", "99999999999999999999", "0", "5", "1, 2", " 5", "0x10", "+5", "100000000"]))
           | st.tuples(st.just("Transfer-Encoding"), st.sampled_from(["chunked", "gzip, chunked", "identity", "chunked, chunked"])))
ODD_NAMES = st.text("!#$%&'*+-.^_`|~0123456789abcXYZ", min_size=1, max_size=300) | RAW_TEXT


def requests(real_cookie):
    headers = header_strategies(real_cookie)

    @st.composite
    def request(draw):
        path, method = draw(paths()), draw(METHODS)
        method = draw(ODD_METHODS) if method == "odd" else method
        provider = path.removeprefix("/webhooks/")
        # Mostly POST to the POST routes, and mostly a signed payment event to a webhook: hostile values then get
        # past the signature check into the parsers and the store. (integers(0, 3) != 2: hypothesis favours 0.)
        if path in ("/access/resend", "/pay/alipay", "/pay/wechatpay", "/webhooks/" + provider) and draw(st.integers(0, 3)) != 2:
            method = "POST"
        webhook = provider in PROVIDERS and draw(st.integers(0, 3)) != 2
        resend = path in ("/access/resend", "/pay/alipay", "/pay/wechatpay") and draw(st.integers(0, 3)) != 2
        fields = [(name, draw(headers[name])) for name in draw(st.lists(st.sampled_from(sorted(headers)), max_size=5, unique=True))]
        if draw(st.integers(0, 15)) == 9:
            fields.append((draw(ODD_NAMES), draw(RAW_TEXT)))  # now and then an odd header name or value
        if draw(st.integers(0, 15)) == 9:
            fields.append(draw(FRAMING))  # now and then a body of the wrong length, or chunks the body does not have
        body = draw(EVENTS[provider] if webhook else RESEND if resend else BODIES)
        if resend and body.startswith(b"{"):
            fields.append(("Content-Type", "application/json"))
        return {"method": method, "path": path, "headers": fields, "body": body, "sign": webhook or draw(st.booleans())}
    return request()


class OutOfTime(BaseException):  # ends the run early: hypothesis passes a BaseException on, without shrinking or reporting
    pass


def generate(seed, count, real_cookie, submit):
    """Calls submit(request) for up to `count` requests, in an order fixed by `seed`."""
    @hseed(seed)
    @settings(max_examples=count, database=None, deadline=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(requests(real_cookie))
    def run(request):
        submit(request)
    try:
        run()
    except OutOfTime:
        pass


def encode(request):
    """The request's bytes, and whether it is malformed at the HTTP level (so the server may close without answering).
    A webhook request with `sign` gets valid signature headers, computed now (signatures carry a timestamp)."""
    method, path, headers, body = request["method"], request["path"], list(request["headers"]), request["body"]
    provider, ts = path.removeprefix("/webhooks/"), str(int(time.time()))
    if request["sign"] and provider == "alipay" and ALIPAY:
        fields = dict(urllib.parse.parse_qsl(body.decode(errors="replace").replace(PLACED_ORDER, ALIPAY["order"]),
                                             keep_blank_values=True))
        signer = ALIPAY["signer"]
        signed = {k: v for k, v in fields.items() if k not in ("sign", "sign_type") and v != ""}
        fields["sign"] = signer._sign("&".join(f"{k}={v}" for k, v in sorted(signed.items())))
        body = urllib.parse.urlencode(fields).encode()
    elif request["sign"] and provider == "wechatpay" and WECHATPAY:
        import wechatpay_peer
        try:
            spec = json.loads(body.decode().replace(PLACED_ORDER, ALIPAY.get("order", "")))
            body = wechatpay_peer.sealed_body(WECHATPAY["keys"], spec["event_type"], spec["resource"]).encode()
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            pass  # sent as drawn, signed all the same
        signed = wechatpay_peer.signed_headers(WECHATPAY["keys"], body.decode(errors="replace"))
        headers = [(n, v) for n, v in headers if n.lower() not in {k.lower() for k in signed}] + list(signed.items())
    elif request["sign"] and provider in PROVIDERS:
        def mac(key, data): return hmac.new(key, data, hashlib.sha256)
        standard = base64.b64encode(mac(STANDARD_KEY, f"msg_fuzz.{ts}.".encode() + body).digest()).decode()
        new = {"stripe": {"stripe-signature": f"t={ts},v1=" + mac(STRIPE_SECRET.encode(), f"{ts}.".encode() + body).hexdigest()},
               "standard": {"webhook-id": "msg_fuzz", "webhook-timestamp": ts, "webhook-signature": "v1," + standard},
               "lemonsqueezy": {"x-signature": mac(LEMON_SECRET.encode(), body).hexdigest()}}[provider]
        headers = [(n, v) for n, v in headers if n.lower() not in new] + list(new.items())
    names = {n.lower() for n, _ in headers}
    framing = "content-length" in names or "transfer-encoding" in names
    headers = ([] if "host" in names else [("Host", "127.0.0.1")]) + headers
    if not framing and (body or method in ("POST", "PUT", "PATCH")):
        headers.append(("Content-Length", str(len(body))))
    headers.append(("Connection", "close"))
    head = f"{method} {path} HTTP/1.1\r\n".encode() + b"".join(f"{n}: {v}\r\n".encode() for n, v in headers) + b"\r\n"
    malformed = (framing or len(body) > 1_048_576 or len(head) > 65_536 or not TOKEN.fullmatch(method.encode())
                 or not re.fullmatch(rb"[\x21-\x7e]+", path.encode())
                 or any(not TOKEN.fullmatch(n.encode()) or re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", v.encode()) for n, v in headers))
    return head + body, malformed


def send(port, data, malformed):
    """The answer's status, None if the connection closed or timed out without one, or the answer if it has no status line."""
    answer = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            try:
                s.sendall(data)
                if malformed:
                    s.shutdown(socket.SHUT_WR)  # a Content-Length past the body must not leave the server waiting 30 s
            except OSError:
                pass  # the server may answer (400, 413) and close before reading everything
            while b"\r\n" not in answer and (chunk := s.recv(4096)):
                answer += chunk
    except OSError:
        pass
    if not answer:
        return None
    match = re.match(rb"HTTP/1\.1 ([1-5]\d\d) ", answer)
    return int(match.group(1)) if match else answer[:80]


def show(request):
    text = repr(request)
    return text if len(text) < 700 else text[:700] + f"... ({len(text)} characters)"


REGRESSIONS = [dict(zip(("method", "path", "headers", "body", "sign"), r)) for r in [  # inputs that once ended the daemon
    ("GET", "/style.css", [("If-Modified-Since", "Sun, 01 Jan -2147483648 00:00:00 GMT")], b"", False),
    ("POST", "/webhooks/stripe", [("Stripe-Signature", "t=-9223372036854775808,v1=00")], b"{}", False),
    ("GET", "/learn/practical-sqlite/transactions/", [("Cookie", "lectern_access=v1.1.9223372036854775807.AAAA")], b"", False),
    ("POST", "/webhooks/standard", [], b"[" * 10000 + b"]" * 10000, True)]]


def start_daemon(bin_dir, site, env):
    """lecternd on a free port, and its stderr file. Waits a while for a binary that a build is replacing."""
    out, err = open(os.path.join(site, "lecternd.stdout"), "w+"), open(os.path.join(site, "lecternd.stderr"), "w+")
    binary = os.path.join(bin_dir, "lecternd")
    for _ in range(30):
        if os.access(binary, os.X_OK):
            break
        time.sleep(2)
    proc = subprocess.Popen([binary, "--config", os.path.join(site, "lectern.toml"), "--port", "0"], stdout=out, stderr=err, env=env)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        out.seek(0)
        if m := re.search(r"lecternd listening on port (\d+)", out.read()):
            return proc, int(m.group(1)), err
        time.sleep(0.05)
    err.seek(0)
    sys.exit(f"daemon fuzz: lecternd did not start (exit status {proc.poll()}):\n{err.read()[-3000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="folder holding lectern and lecternd")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--examples", type=int, default=12000, help="requests to generate (fewer if --seconds runs out)")
    ap.add_argument("--seconds", type=float, default=70, help="send no new request after this many seconds")
    ap.add_argument("--jobs", type=int, default=12, help="requests in flight (an /access/claim holds one for 5 s)")
    args = ap.parse_args()
    started = time.time()

    site = example_site.make(args.bin, prefix="lectern-fuzz-", alipay_app_id=ALIPAY_APP_ID, wechatpay=True)
    WECHATPAY["keys"] = os.path.join(site, "keys")
    api = subprocess.Popen(["python3", os.path.join(ROOT, "Tests", "peers", "wechatpay_peer.py"), "serve", WECHATPAY["keys"],
                            os.path.join(site, "wechatpay-api.log")], stdout=subprocess.PIPE, text=True)
    atexit.register(api.kill)
    example_site.set_wechatpay_api(site, f"http://127.0.0.1:{api.stdout.readline().strip()}")
    lectern = os.path.join(args.bin, "lectern")
    env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=STRIPE_SECRET, LECTERN_LEMONSQUEEZY_SECRET=LEMON_SECRET,
               LECTERN_STANDARD_WEBHOOK_SECRET="whsec_" + base64.b64encode(STANDARD_KEY).decode(), LECTERN_METRICS_TOKEN=METRICS_TOKEN,
               LOG_LEVEL="error")
    proc, port, stderr = start_daemon(args.bin, site, env)
    atexit.register(lambda: proc.poll() is None and proc.kill())  # never leave a daemon behind, whatever goes wrong

    # A real access cookie (from signing in with a real link), so that the paid lessons are fuzzed too. A link works only
    # for a grant, and `lectern grant` needs the database that lecternd creates.
    buyer = ["--root", site, "--email", "buyer@example.com", "--course", "practical-sqlite"]
    subprocess.run([lectern, "grant", *buyer], check=True, stdout=subprocess.DEVNULL)
    link = subprocess.run([lectern, "token", "issue", *buyer], check=True, capture_output=True, text=True).stdout.strip()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(f"GET {link[link.index('/learn/'):]} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b"".join(iter(lambda: s.recv(65536), b"")).decode("latin-1")
    if not (m := re.search(r"(?im)^set-cookie: lectern_access=([^;\r\n]+)", reply)):
        sys.exit(f"daemon fuzz: signing in with {link} set no access cookie:\n{reply[:500]}")
    real_cookie = m.group(1)

    # One order placed as the course page's form places it, so signed notifications can name it and reach the store.
    from alipay import AliPay
    keys = os.path.join(site, "keys")
    ALIPAY["signer"] = AliPay(appid=ALIPAY_APP_ID, app_notify_url=None,
                              app_private_key_string=open(os.path.join(keys, "alipay-signing-key.pem")).read(),
                              alipay_public_key_string=open(os.path.join(keys, "alipay-app-public-key.pem")).read())
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        form = b"course=zhishi-fufei-xiezuo&email=buyer%40example.com"
        s.sendall(b"POST /pay/alipay HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  + f"Content-Length: {len(form)}\r\n\r\n".encode() + form)
        reply = b"".join(iter(lambda: s.recv(65536), b"")).decode("latin-1")
    if not (m := re.search(r"(?im)^location: (\S+)", reply)):
        sys.exit(f"daemon fuzz: placing an Alipay order gave no redirect:\n{reply[:500]}")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(m.group(1)).query)
    ALIPAY["order"] = json.loads(query["biz_content"][0])["out_trade_no"]

    statuses, failures, closed, total = collections.Counter(), [], 0, 0
    recent = collections.deque(maxlen=args.jobs + 5)  # the requests that may have been in flight when the daemon died
    pool, pending = ThreadPoolExecutor(args.jobs), {}
    reproduce = f"reproduce: {sys.argv[0]} --bin {args.bin} --seed {args.seed} --examples {args.examples} --jobs 1"

    def check(request, malformed, status):
        nonlocal closed, total
        total += 1
        if proc.poll() is None and status is None and not malformed:
            try:
                proc.wait(timeout=10)  # a crash shows first as a dropped connection: give the process time to end
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is not None:
            stderr.seek(0)
            print(f"daemon fuzz FAILED: lecternd exited with status {proc.returncode}; the last requests sent:")
            print("\n".join("   " + show(r) for r in recent))
            print(f"lecternd stderr:\n{stderr.read()[-6000:]}\n{reproduce}\n(site and database kept in {site})")
            print(f"{total - 1} passed, 1 failed", flush=True)
            os._exit(1)  # at once: the pool's threads need not finish
        if status is None:
            closed += 1
            if not malformed:
                failures.append(f"no answer to a well-formed request: {show(request)}")
        elif isinstance(status, bytes):
            failures.append(f"invalid status line {status!r}: {show(request)}")
        else:
            statuses[status] += 1
            if status >= 500 and status != 503:
                failures.append(f"status {status}: {show(request)}")

    def drain(limit):
        """Checks finished requests until fewer than `limit` are in flight."""
        while pending and len(pending) >= limit:
            for future in wait(pending, return_when=FIRST_COMPLETED)[0]:
                check(*pending.pop(future), future.result())

    def submit(request):
        if time.time() - started > args.seconds:
            raise OutOfTime
        drain(args.jobs)
        recent.append(request)
        data, malformed = encode(request)
        pending[pool.submit(send, port, data, malformed)] = (request, malformed)

    for request in REGRESSIONS:  # one at a time, each checked before the next
        submit(request)
        drain(1)
    generate(args.seed, args.examples, real_cookie, submit)
    drain(1)
    pool.shutdown()

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "none: still running 15 s after SIGTERM, killed"
    if code != 0:
        failures.append(f"lecternd did not stop cleanly on SIGTERM: exit status {code}")
    for failure in failures:
        print("FAIL", failure)
    if failures:
        stderr.seek(0)
        print(f"lecternd stderr (end):\n{stderr.read()[-3000:]}\n{reproduce}\n(site and database kept in {site})")
    else:
        shutil.rmtree(site, ignore_errors=True)
    print(f"seed {args.seed}, {time.time() - started:.0f} s; {closed} malformed requests closed without an answer")
    print(f"daemon fuzz: {total} requests, statuses {dict(sorted(statuses.items()))}, daemon alive")
    print(f"{total - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
