#!/usr/bin/env python3
"""Test peer for Alipay: python-alipay-sdk (PyPI) checks the orders lecternd signs and signs the
notifications the tests send, so lecternd is tested against Alipay's scheme as that library implements
it, not against our own reading.

usage:
  alipay_peer.py keys DIR               -> writes the test key pairs into DIR (see below)
  alipay_peer.py verify-order DIR URL   -> exit 0 when the SDK accepts the gateway URL's signature (made with
                                           the app private key); prints its parameters as JSON
  alipay_peer.py notify DIR APP_ID      -> fields as JSON on stdin; signs them with the test "Alipay" key,
                                           checks the result with the SDK's own verify(), prints the form body

Keys in DIR: alipay-app-private-key.pem (the creator's app key, PKCS #1, mode 0600),
alipay-app-public-key.pem, alipay-signing-key.pem (plays Alipay's own key) and alipay-public-key.pem
(Alipay's public key as its site shows it: bare base64, no PEM lines).
"""
import json, os, sys, urllib.parse

from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def pem_private(key, pkcs1=False):
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def pem_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def read(folder, name):
    with open(os.path.join(folder, name)) as f:
        return f.read()


def write(folder, name, text, mode=0o644):
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main():
    command, folder = sys.argv[1], sys.argv[2]
    if command == "keys":
        os.makedirs(folder, exist_ok=True)
        app = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        alipay = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write(folder, "alipay-app-private-key.pem", pem_private(app, pkcs1=True), 0o600)
        write(folder, "alipay-app-public-key.pem", pem_public(app))
        write(folder, "alipay-signing-key.pem", pem_private(alipay), 0o600)
        bare = "".join(line for line in pem_public(alipay).splitlines() if not line.startswith("-----"))
        write(folder, "alipay-public-key.pem", bare + "\n")
    elif command == "verify-order":
        url = sys.argv[3]
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))
        # The SDK's key slots: it verifies with `alipay_public_key`, here the creator's app public key.
        sdk = AliPay(appid=params.get("app_id", ""), app_notify_url=None,
                     app_private_key_string=read(folder, "alipay-signing-key.pem"),
                     alipay_public_key_string=read(folder, "alipay-app-public-key.pem"), sign_type="RSA2")
        sign = params.pop("sign")
        message = "&".join(f"{k}={v}" for k, v in sdk._ordered_data(dict(params)))
        if not sdk._verify(message, sign):
            sys.exit("python-alipay-sdk rejected the order's signature")
        params["biz_content"] = json.loads(params["biz_content"])
        print(json.dumps(params, ensure_ascii=False))
    elif command == "notify":
        app_id = sys.argv[3]
        fields = {k: str(v) for k, v in json.load(sys.stdin).items()}
        tamper = fields.pop("_tamper", None)
        sdk = AliPay(appid=app_id, app_notify_url=None,
                     app_private_key_string=read(folder, "alipay-signing-key.pem"),
                     alipay_public_key_string=pem_public_from(read(folder, "alipay-signing-key.pem")),
                     sign_type="RSA2")
        unsigned = "&".join(f"{k}={v}" for k, v in sdk._ordered_data(dict(fields)))
        sign = sdk._sign(unsigned)
        if not sdk.verify(dict(fields, sign_type="RSA2"), sign):
            sys.exit("python-alipay-sdk does not accept its own notification")
        fields.update(sign=sign, sign_type="RSA2")
        if tamper:  # changed after signing: what an attacker would send
            key, value = tamper.split("=", 1)
            fields[key] = value
        print(urllib.parse.urlencode(fields))
    else:
        sys.exit(f"unknown command {command}")


def pem_public_from(private_pem):
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return pem_public(key)


if __name__ == "__main__":
    main()
