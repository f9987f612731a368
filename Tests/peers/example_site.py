"""A throwaway copy of the repository's example site, built and with keys, for scripts that start a
real lecternd (the reliability suite, some benchmarks). Mail goes to files: no SMTP server needed."""
import os, shutil, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make(bin_dir, prefix="lectern-site-"):
    """Returns the path of a new site folder: example content, `[mail] transport = "file"`, keys, built."""
    site = tempfile.mkdtemp(prefix=prefix)
    for item in ("content", "site-template", "lectern.toml"):
        src = os.path.join(ROOT, item)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, os.path.join(site, item))
    with open(os.path.join(site, "lectern.toml"), "a") as f:
        f.write('\n[mail]\ntransport = "file"\n')
    lectern = os.path.join(bin_dir, "lectern")
    subprocess.run([lectern, "keys", "generate", "--root", site], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([lectern, "build", "--quiet", "--root", site], check=True)
    return site
