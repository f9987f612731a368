#!/usr/bin/env python3
"""Model-based property test of the money rules (issue 13): hypothesis draws sequences of Stripe events —
payments at the right or a wrong price, discounts, pay what you want, partial and full refunds, disputes,
subscriptions with updates, renewals and cancellations, a renewal's refund — shuffled, some sent twice, to a
real lecternd over HTTP (signed with the `stripe` library). After each sequence the database's access state
for that buyer must equal a small reference model's: whether an order exists and is flagged, whether a grant
is live, and when a subscription's access ends.

Every sequence uses its own buyer and ids, so one daemon serves them all. Seeded: a run is repeatable.

usage: money_model.py --bin DIR [--seed 1] [--examples 2000]
"""
import argparse, http.client, json, os, signal, socket, sqlite3, subprocess, sys, time
from datetime import datetime, timezone

import stripe

try:
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings, strategies as st
except ImportError:
    sys.exit("the money model needs hypothesis: python3 -m pip install hypothesis")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
import example_site  # noqa: E402

SECRET = "whsec_money_model"
DAY = 86_400
GRACE = 3 * DAY  # [subscriptions] grace, the default: the example site sets none
# The example site's catalog: (product, price in cents, pay what you want).
PRODUCTS = [("practical-sqlite", 4900, False), ("every-course", 5900, False), ("sqlite-pay-what-you-can", 900, True)]


# MARK: the reference model, written from the rules in docs/webhooks.md, not from lecternd's code


def price_matches(price, pwyw, list_amount):
    return list_amount >= price if pwyw else list_amount == price


def access_end(state):
    """When a subscription's access ends in `state`; None for open-ended."""
    status, period_end, cancelling, at = state["status"], state["period_end"], state["cancelling"], state["at"]
    if status == "active":
        return None if period_end is None else period_end + (0 if cancelling else GRACE)
    if status == "past_due":
        return max(period_end or at, at) + GRACE
    return state.get("ended_at") or at


def expected(sequence):
    """(orders, flagged, live grants, access end or None) after every event of `sequence`, in any order."""
    kinds = {event["kind"] for event in sequence["events"]}
    if "pay" not in kinds:
        return {"orders": 0, "live": 0}
    if sequence["type"] == "one-time":
        flagged = not price_matches(sequence["price"], sequence["pwyw"], sequence["list"])
        reversed_ = bool(kinds & {"refund-full", "dispute"})
        return {"orders": 1, "flagged": flagged, "live": 0 if flagged or reversed_ else 1}
    # A renewal's refund reaches the subscription only once the invoice names its payment intent.
    reversed_ = "refund-renewal" in kinds and "invoice" in kinds
    states = [event["state"] for event in sequence["events"] if "state" in event]
    latest = max(states, key=lambda s: s["at"]) if states else None
    if reversed_:
        return {"orders": 1, "flagged": False, "live": 0}
    return {"orders": 1, "flagged": False, "live": 1, "ends": access_end(latest) if latest else None}


# MARK: drawing sequences

SEQUENCE = [0]


@st.composite
def sequences(draw):
    SEQUENCE[0] += 1
    n = SEQUENCE[0]
    now = int(time.time())
    email, session, intent = f"model{n}@example.com", f"cs_model{n}", f"pi_model{n}"
    events = []
    if draw(st.sampled_from(["one-time", "one-time", "subscription"])) == "one-time":
        product, price, pwyw = draw(st.sampled_from(PRODUCTS))
        list_amount = draw(st.sampled_from([price, price + 100, price - 100, 2 * price]))
        discount = draw(st.sampled_from([0, 0, list_amount // 10, list_amount]))
        paid = list_amount - discount
        sequence = {"type": "one-time", "price": price, "pwyw": pwyw, "list": list_amount, "events": events}
        session_object = {
            "id": session, "object": "checkout.session", "payment_status": "paid" if paid else "no_payment_required",
            "amount_total": paid, "amount_subtotal": list_amount, "currency": "usd", "payment_intent": intent,
            "metadata": {"course": product}, "customer_details": {"email": email},
            "total_details": {"amount_discount": discount, "amount_tax": 0, "amount_shipping": 0},
        }
        events.append({"kind": "pay", "type": "checkout.session.completed", "object": session_object})
        if paid > 1:
            partials = sorted(set(draw(st.lists(st.integers(1, paid - 1), max_size=2))))
            for total in partials:
                events.append({"kind": "refund-part", "type": "charge.refunded", "object": {
                    "id": f"ch_model{n}", "object": "charge", "payment_intent": intent, "amount": paid,
                    "amount_refunded": total, "refunded": False}})
            if draw(st.booleans()):
                events.append({"kind": "refund-full", "type": "charge.refunded", "object": {
                    "id": f"ch_model{n}", "object": "charge", "payment_intent": intent, "amount": paid,
                    "amount_refunded": paid, "refunded": True}})
        if draw(st.integers(0, 4)) == 0:
            events.append({"kind": "dispute", "type": "charge.dispute.created", "object": {
                "id": f"dp_model{n}", "object": "dispute", "payment_intent": intent, "charge": f"ch_model{n}"}})
        if draw(st.integers(0, 9)) == 0:
            events = [event for event in events if event["kind"] != "pay"]  # never paid: nothing may grant
            sequence["events"] = events
    else:
        sub = f"sub_model{n}"
        sequence = {"type": "subscription", "events": events}
        events.append({"kind": "pay", "type": "checkout.session.completed", "object": {
            "id": session, "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
            "amount_total": 5900, "amount_subtotal": 5900, "currency": "usd", "payment_intent": None,
            "subscription": sub, "metadata": {"course": "every-course"}, "customer_details": {"email": email},
            "total_details": {"amount_discount": 0, "amount_tax": 0, "amount_shipping": 0}}})
        # Distinct provider times, assigned before the events are shuffled: the newest must win.
        times = draw(st.permutations(range(6)))
        for i in range(draw(st.integers(0, 4))):
            at = now - 1000 + 100 * times[i]
            status = draw(st.sampled_from(["active", "trialing", "past_due", "canceled"]))
            period_end = now + draw(st.integers(-40, 40)) * DAY
            cancelling = status != "canceled" and draw(st.booleans())
            state = {"status": {"trialing": "active"}.get(status, "ended" if status == "canceled" else status),
                     "period_end": period_end, "cancelling": cancelling, "at": at, "ended_at": at - 5}
            events.append({"kind": f"state{i}", "type": "customer.subscription.deleted" if status == "canceled"
                           else "customer.subscription.updated", "created": at, "state": state, "object": {
                               "id": sub, "object": "subscription", "status": status,
                               "cancel_at_period_end": cancelling, "cancel_at": None,
                               "ended_at": at - 5 if status == "canceled" else None,
                               "items": {"object": "list", "data": [{"current_period_end": period_end}]}}})
        if draw(st.booleans()):
            at = now - 1000 + 100 * times[5]
            period_end = now + draw(st.integers(1, 40)) * DAY
            events.append({"kind": "invoice", "type": "invoice.paid", "created": at,
                           "state": {"status": "active", "period_end": period_end, "cancelling": False, "at": at},
                           "object": {"id": f"in_model{n}", "object": "invoice", "subscription": sub,
                                      "payment_intent": f"pi_renewal{n}", "charge": f"ch_renewal{n}",
                                      "lines": {"object": "list", "data": [{"period": {"end": period_end}}]}}})
        if draw(st.integers(0, 3)) == 0:
            events.append({"kind": "refund-renewal", "type": "charge.refunded", "object": {
                "id": f"ch_renewal{n}", "object": "charge", "payment_intent": f"pi_renewal{n}", "amount": 5900,
                "amount_refunded": 5900, "refunded": True}})
    for i, event in enumerate(events):
        event["id"] = f"evt_model{n}_{i}"
    order = draw(st.permutations(events))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=2)) if events else []
    sequence["email"], sequence["session"], sequence["sent"] = email, session, list(order) + duplicates
    return sequence


# MARK: the daemon and the database


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, binary, site):
        self.port = free_port()
        env = dict(os.environ, LECTERN_STRIPE_WEBHOOK_SECRET=SECRET, LOG_LEVEL="error")
        self.process = subprocess.Popen([binary, "--config", os.path.join(site, "lectern.toml"), "--port",
                                         str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.conn = None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.connection().request("GET", "/healthz")
                response = self.conn.getresponse()
                response.read()
                if response.status == 200:
                    return
            except (OSError, http.client.HTTPException):
                self.conn = None
                time.sleep(0.05)
        raise SystemExit("lecternd did not start")

    def connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        return self.conn

    def post(self, event):
        body = json.dumps({"id": event["id"], "object": "event", "type": event["type"],
                           "created": event.get("created", int(time.time())), "data": {"object": event["object"]}})
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=int(time.time()))
        conn = self.connection()
        conn.request("POST", "/webhooks/stripe", body=body.encode(),
                     headers={"Stripe-Signature": header, "Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200:
            raise AssertionError(f"{event['type']} {event['id']}: {response.status} {answer[:300]!r}")


def observed(db, sequence):
    # A flagged order keeps its reason (`flag`) when a refund or dispute changes its status later.
    orders = db.execute("SELECT flag FROM orders WHERE provider_order_id = ?", (sequence["session"],)).fetchall()
    grants = db.execute("""SELECT g.ends_at FROM grants g JOIN buyers b ON b.id = g.buyer_id
                           WHERE b.email = ? AND g.revoked_at IS NULL""", (sequence["email"],)).fetchall()
    state = {"orders": len(orders), "live": len(grants)}
    if orders:
        state["flagged"] = orders[0][0] is not None
    if sequence["type"] == "subscription" and grants:
        text = grants[0][0]
        state["ends"] = None if text is None else int(
            datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp())
    return state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    site = example_site.make(args.bin, prefix="lectern-money-model-")
    daemon = Daemon(os.path.join(args.bin, "lecternd"), site)
    db = sqlite3.connect(f"file:{os.path.join(site, 'lectern.sqlite')}?mode=ro", uri=True, isolation_level=None)
    checked = {"sequences": 0, "events": 0}

    @hseed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(sequences())
    def property_holds(sequence):
        for event in sequence["sent"]:
            daemon.post(event)
        want, got = expected(sequence), observed(db, sequence)
        if "ends" in want and "ends" in got and want["ends"] is not None and got["ends"] is not None:
            # Stored to the millisecond, compared to the second.
            if abs(want["ends"] - got["ends"]) <= 1:
                got["ends"] = want["ends"]
        if want != {k: got.get(k) for k in want}:
            sent = [event["type"] + " " + event["kind"] for event in sequence["sent"]]
            raise AssertionError(f"model {want} != lecternd {got}\nsent: {sent}")
        checked["sequences"] += 1
        checked["events"] += len(sequence["sent"])

    started = time.time()
    try:
        property_holds()
    finally:
        daemon.process.send_signal(signal.SIGTERM)
        daemon.process.wait(timeout=30)
    print(f"money model: {checked['sequences']} sequences, {checked['events']} events, the database equal to the "
          f"model after each (seed {args.seed}, {time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
