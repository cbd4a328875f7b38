#!/usr/bin/env python3
"""Publish a finished `make bench` report into the repository
(`make bench-publish`): copies latest.md, latest.csv, latest-time.png,
latest-rss.png and summary.md from the run's directory into bench/results/,
and a dated copy of the Markdown and CSV into bench/results/history/;
removes latest.png, the single chart of the earlier format.
The only step that writes results into the checkout; it reruns nothing and
refuses a smoke test (`make bench-quick`) or a partial run (--only).
Owned by bench/driver."""
import argparse
import json
import os
import shutil
import sys

FILES = ["latest.md", "latest.csv", "latest-time.png", "latest-rss.png", "summary.md"]
# Files of the earlier format that no published report refers to any more.
OBSOLETE = ["latest.png"]


def publish(src, dst):
    """Copy the report of src into dst; return the list of files written,
    or raise ValueError saying why not."""
    meta_path = os.path.join(src, "meta.json")
    if not os.path.exists(meta_path):
        raise ValueError(f"{meta_path} missing: run `make bench` first")
    with open(meta_path) as f:
        meta = json.load(f)
    if meta.get("smoke"):
        raise ValueError(f"{src} holds a smoke test ({meta.get('command')}), not results")
    if meta.get("partial"):
        raise ValueError(f"{src} holds a partial run (--only), not results")
    missing = [name for name in FILES if not os.path.exists(os.path.join(src, name))]
    if missing:
        raise ValueError(f"{src} lacks {', '.join(missing)}")
    written = []
    os.makedirs(os.path.join(dst, "history"), exist_ok=True)
    for name in FILES:
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
        written.append(os.path.join(dst, name))
    for name in OBSOLETE:
        if os.path.exists(os.path.join(dst, name)):
            os.remove(os.path.join(dst, name))
    for ext in ("md", "csv"):
        path = os.path.join(dst, "history", f"{meta['stamp']}.{ext}")
        shutil.copyfile(os.path.join(src, f"latest.{ext}"), path)
        written.append(path)
    return written


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--from", dest="src", required=True, help="the directory `make bench` wrote")
    p.add_argument("--to", dest="dst", required=True, help="bench/results")
    args = p.parse_args()
    try:
        written = publish(args.src, args.dst)
    except ValueError as e:
        sys.stderr.write(f"bench-publish: {e}\n")
        return 1
    print("published:\n  " + "\n  ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
