"""A throwaway copy of the repository's example site, built and with keys, for scripts that start a
real lecternd (the reliability suite, some benchmarks). Mail goes to files: no SMTP server needed."""
import os, shutil, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make(bin_dir, prefix="lectern-site-", alipay_app_id=None):
    """Returns the path of a new site folder: example content, `[mail] transport = "file"`, keys, built.
    With `alipay_app_id`, the site also sells through Alipay, with test keys from alipay_peer.py."""
    site = tempfile.mkdtemp(prefix=prefix)
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write('\n[mail]\ntransport = "file"\n')
        if alipay_app_id:
            # One test client places every order: lift the per-address limit on checkouts.
            f.write(f'\n[alipay]\napp_id = "{alipay_app_id}"\n\n[daemon]\ncheckouts_per_client = 100000\n')
    if alipay_app_id:
        peer = os.path.join(ROOT, "Tests", "peers", "alipay_peer.py")
        subprocess.run(["python3", peer, "keys", os.path.join(site, "keys")], check=True)
    lectern = os.path.join(bin_dir, "lectern")
    subprocess.run([lectern, "keys", "generate", "--root", site], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([lectern, "build", "--quiet", "--root", site], check=True)
    return site
