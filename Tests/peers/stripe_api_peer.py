#!/usr/bin/env python3
"""A local stand-in for Stripe's API, for lecternd's instant access (LECTERN_STRIPE_API_KEY): it serves the
Checkout Sessions a test wrote as JSON files, to a caller with the right secret key. Nothing reaches Stripe.

  stripe_api_peer.py serve DIR KEY          serve DIR/<session id>.json; prints "listening on port N"
  stripe_api_peer.py check PORT KEY ID      read a session through the `stripe` library pointed at the peer
                                            (proves the served objects are what Stripe's own client reads)
"""
import json, os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SESSION = re.compile(r"^/v1/checkout/sessions/(cs_[A-Za-z0-9_]+)$")


def error(handler, status, message, kind="invalid_request_error"):
    body = json.dumps({"error": {"type": kind, "message": message}}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def serve(folder, key):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.headers.get("Authorization") != f"Bearer {key}":
                return error(self, 401, "Invalid API Key provided", "authentication_error")
            url = urlsplit(self.path)
            match = SESSION.match(url.path)
            path = match and os.path.join(folder, match.group(1) + ".json")
            if not path or not os.path.exists(path):
                return error(self, 404, f"No such checkout.session: '{url.path.rsplit('/', 1)[-1]}'")
            with open(path) as f:
                session = json.load(f)
            # Line items are only in the answer when asked for, as Stripe does.
            # (Stripe's clients write `expand[0]=`, lecternd `expand[]=`: both are Stripe's form encoding.)
            expanded = [v for k, values in parse_qs(url.query).items() if k.startswith("expand[") for v in values]
            if "line_items" not in expanded:
                session.pop("line_items", None)
            body = json.dumps(session).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", "req_peer")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"listening on port {server.server_address[1]}", flush=True)
    server.serve_forever()


def check(port, key, session_id):
    import stripe
    client = stripe.StripeClient(key, base_addresses={"api": f"http://127.0.0.1:{port}"})
    session = client.v1.checkout.sessions.retrieve(session_id, params={"expand": ["line_items"]})
    print(session.id, session.payment_status, session.line_items.data[0].price.id, session.amount_subtotal)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "check":
        check(int(sys.argv[2]), sys.argv[3], sys.argv[4])
