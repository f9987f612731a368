#!/usr/bin/env python3
"""Test peer for WeChat Pay API v3: plays WeChat Pay's side with no network. wechatpayv3 (PyPI) decodes
every notification the tests send (signature and AES-256-GCM) before lecternd gets it, so lecternd is
checked against WeChat Pay's scheme as that library implements it.

usage:
  wechatpay_peer.py keys DIR               -> test keys into DIR (below)
  wechatpay_peer.py serve DIR LOG [forge]  -> a local v3 API on a free port (printed first): checks each order's
                                              Authorization with the merchant public key, appends the order to LOG
                                              as JSON, answers a code_url / h5_url signed with the platform key
                                              (`forge`: signed with another key, which lecternd must refuse)
  wechatpay_peer.py notify DIR             -> {"event_type", "resource"} as JSON on stdin; prints the notification
                                              ({"headers", "body"}) once wechatpayv3's callback() accepts it

Keys in DIR: wechatpay-apiclient-key.pem (merchant, 0600) and wechatpay-merchant-public.pem;
wechatpay-platform-private.pem (plays WeChat Pay's key) and wechatpay-public-key.pem (its public key, what
the creator downloads); wechatpay-apiv3.key (32 characters, 0600).
"""
import base64, functools, http.server, json, os, secrets, string, sys, time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MCHID, APPID, SERIAL, KEY_ID = "1900000109", "wx8888888888888888", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "PUB_KEY_ID_0000000000000024101100397200000006"


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def write(folder, name, data, mode=0o644):
    fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


@functools.lru_cache(maxsize=8)
def private_key(folder, name):
    """Loaded once: loading checks the key, which costs far more than a signature."""
    return serialization.load_pem_private_key(read(folder, name), password=None)


def signed_headers(folder, body, key_name="wechatpay-platform-private.pem"):
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16).upper()
    message = f"{timestamp}\n{nonce}\n{body}\n".encode()
    signature = private_key(folder, key_name).sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": KEY_ID,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": base64.b64encode(signature).decode()}


def main():
    command, folder = sys.argv[1], sys.argv[2]
    if command == "keys":
        os.makedirs(folder, exist_ok=True)
        for name, public_name in (("wechatpay-apiclient-key.pem", "wechatpay-merchant-public.pem"),
                                  ("wechatpay-platform-private.pem", "wechatpay-public-key.pem")):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write(folder, name, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()), 0o600)
            write(folder, public_name, key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        alphabet = string.ascii_letters + string.digits
        write(folder, "wechatpay-apiv3.key", "".join(secrets.choice(alphabet) for _ in range(32)).encode(), 0o600)
    elif command == "serve":
        serve(folder, sys.argv[3], forge=len(sys.argv) > 4 and sys.argv[4] == "forge")
    elif command == "notify":
        notify(folder, json.load(sys.stdin))
    else:
        sys.exit(f"unknown command {command}")


def serve(folder, log, forge):
    merchant = serialization.load_pem_public_key(read(folder, "wechatpay-merchant-public.pem"))

    class API(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            auth = self.headers.get("Authorization", "")
            fields = dict(part.split("=", 1) for part in auth.removeprefix("WECHATPAY2-SHA256-RSA2048 ").split(",")
                          if "=" in part)
            fields = {k: v.strip('"') for k, v in fields.items()}
            message = f"POST\n{self.path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n".encode()
            try:
                merchant.verify(base64.b64decode(fields.get("signature", "")), message, padding.PKCS1v15(), hashes.SHA256())
                verified = auth.startswith("WECHATPAY2-SHA256-RSA2048 ") and fields.get("mchid") == MCHID \
                    and fields.get("serial_no") == SERIAL and abs(int(fields.get("timestamp", "0")) - time.time()) < 300
            except (InvalidSignature, ValueError):
                verified = False
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path, "verified": verified, "order": json.loads(body)}) + "\n")
            if not verified:
                status, answer = 401, {"code": "SIGN_ERROR", "message": "签名错误"}
            elif self.path.endswith("/native"):
                status, answer = 200, {"code_url": "weixin://wxpay/bizpayurl?pr=" + secrets.token_urlsafe(9)}
            else:
                status, answer = 200, {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx"
                                       + secrets.token_hex(8) + "&package=2150917749"}
            text = json.dumps(answer, ensure_ascii=False)
            with open(log, "a") as f:
                f.write(json.dumps({"answer": answer}) + "\n")
            headers = signed_headers(folder, text, "wechatpay-apiclient-key.pem" if forge else "wechatpay-platform-private.pem")
            self.send_response(status)
            for name, value in dict(headers, **{"Content-Type": "application/json"}).items():
                self.send_header(name, value)
            data = text.encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), API)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def sealed_body(folder, event_type, resource, associated="transaction"):
    """A notification's body: the resource sealed with the APIv3 key (AEAD_AES_256_GCM), as WeChat Pay sends it.
    Sign it with signed_headers() when it is sent (the signature carries the time)."""
    apiv3 = read(folder, "wechatpay-apiv3.key").decode()
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay sends
    plain = json.dumps(resource, ensure_ascii=False).encode()
    ciphertext = base64.b64encode(AESGCM(apiv3.encode()).encrypt(nonce.encode(), plain, associated.encode())).decode()
    envelope = {"id": secrets.token_hex(8), "create_time": "2026-11-22T20:00:00+08:00",
                "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
                "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                             "associated_data": associated, "nonce": nonce}}
    return json.dumps(envelope, ensure_ascii=False)


def notify(folder, spec):
    from wechatpayv3 import WeChatPay, WeChatPayType
    body = sealed_body(folder, spec["event_type"], spec["resource"], spec.get("associated_data", "transaction"))
    headers = signed_headers(folder, body)
    sdk = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=MCHID, appid=APPID, cert_serial_no=SERIAL,
                    private_key=read(folder, "wechatpay-apiclient-key.pem").decode(),
                    apiv3_key=read(folder, "wechatpay-apiv3.key").decode(),
                    public_key=read(folder, "wechatpay-public-key.pem").decode(), public_key_id=KEY_ID)
    decoded = sdk.callback(headers, body)
    if not decoded or decoded["resource"] != spec["resource"]:
        sys.exit("wechatpayv3 does not accept the notification")
    print(json.dumps({"headers": headers, "body": body}, ensure_ascii=False))


if __name__ == "__main__":
    main()
