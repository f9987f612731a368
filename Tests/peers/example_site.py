"""A throwaway copy of the repository's example site, built and with keys, for scripts that start a
real lecternd (the reliability suite, some benchmarks). Mail goes to files: no SMTP server needed."""
import os, shutil, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


WECHATPAY_API_PLACEHOLDER = "http://127.0.0.1:9"


def binaries(bin_dir=None):
    """The folder holding lectern and lecternd: `bin_dir` (a before/after comparison), else the release build,
    built first."""
    if bin_dir:
        return bin_dir
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def make(bin_dir, prefix="lectern-site-", alipay_app_id=None, wechatpay=False):
    """Returns the path of a new site folder: example content, `[mail] transport = "file"`, keys, built.
    With `alipay_app_id`, the site also sells through Alipay, with test keys from alipay_peer.py; with
    `wechatpay`, through WeChat Pay (wechatpay_peer.py's keys; point `api` at its server with set_wechatpay_api)."""
    site = tempfile.mkdtemp(prefix=prefix)
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write('\n[mail]\ntransport = "file"\n')
        if alipay_app_id:
            f.write(f'\n[alipay]\napp_id = "{alipay_app_id}"\n')
        if alipay_app_id or wechatpay:
            # One test client places every order: lift the per-address limit on checkouts.
            f.write('\n[daemon]\ncheckouts_per_client = 100000\n')
    if alipay_app_id:
        peer = os.path.join(ROOT, "Tests", "peers", "alipay_peer.py")
        subprocess.run(["python3", peer, "keys", os.path.join(site, "keys")], check=True)
    if wechatpay:
        import wechatpay_peer
        with open(os.path.join(site, "lectern.toml"), "a") as f:
            f.write(f'\n[wechatpay]\nmchid = "{wechatpay_peer.MCHID}"\nappid = "{wechatpay_peer.APPID}"\n'
                    f'merchant_serial_no = "{wechatpay_peer.SERIAL}"\nplatform_key_id = "{wechatpay_peer.KEY_ID}"\n'
                    f'api = "{WECHATPAY_API_PLACEHOLDER}"\n')
        peer = os.path.join(ROOT, "Tests", "peers", "wechatpay_peer.py")
        subprocess.run(["python3", peer, "keys", os.path.join(site, "keys")], check=True)
    lectern = os.path.join(bin_dir, "lectern")
    subprocess.run([lectern, "keys", "generate", "--root", site], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([lectern, "build", "--quiet", "--root", site], check=True)
    return site


def set_wechatpay_api(site, url):
    """Points `[wechatpay] api` at the API peer once it listens (it needs the site's keys to start)."""
    path = os.path.join(site, "lectern.toml")
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace(WECHATPAY_API_PLACEHOLDER, url))
