#!/usr/bin/env python3
"""Test peer: signs webhook payloads with the providers' own Python libraries, so the tests check
lecternd against the real schemes, not our reading of them.

usage (payload on stdin, header value on stdout):
  webhook_peer.py stripe SECRET TIMESTAMP           -> Stripe-Signature value (stripe library)
  webhook_peer.py stripe-verify SECRET HEADER       -> exit 0 when stripe.WebhookSignature accepts it
  webhook_peer.py standard SECRET MSG_ID TIMESTAMP  -> webhook-signature value (standardwebhooks library)
  webhook_peer.py lemonsqueezy SECRET               -> X-Signature value (hex HMAC-SHA256, Lemon Squeezy's documented scheme)
"""
import base64, datetime, hashlib, hmac, sys


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    payload = sys.stdin.buffer.read()
    if kind == "stripe":
        import stripe
        secret, timestamp = args
        print(stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=int(timestamp)))
    elif kind == "stripe-verify":
        import stripe
        secret, header = args
        stripe.WebhookSignature.verify_header(payload.decode(), header, secret, tolerance=300)
        print("ok")
    elif kind == "standard":
        import standardwebhooks
        secret, msg_id, timestamp = args
        try:
            when = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            # Hostile timestamps (Int64.min) that no datetime can hold: the scheme by hand, as the
            # library computes it (HMAC-SHA256 of "id.timestamp.body" with the base64-decoded key).
            key = base64.b64decode(secret.removeprefix("whsec_"))
            mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + payload, hashlib.sha256).digest()
            print("v1," + base64.b64encode(mac).decode())
            return
        print(standardwebhooks.Webhook(secret).sign(msg_id, when, payload.decode()))
    elif kind == "lemonsqueezy":
        (secret,) = args
        print(hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest())
    else:
        sys.exit(f"unknown peer command {kind}")


if __name__ == "__main__":
    main()
