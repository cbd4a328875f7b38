#!/usr/bin/env python3
"""tests/docs/check_docs.py - checks of the documentation (make test-docs).

  check_docs.py links              every relative link (and #anchor) and every
                                   repository path named in README.md and
                                   docs/*.md exists; tables render (same cell
                                   count in each row, no stray line glued to a
                                   table's end); docs/README.md lists every page
  check_docs.py outside            no file of the repository points at a
                                   document outside it
  check_docs.py apt                README.md's apt-get line installs exactly the
                                   Debian packages of .ci/run
  check_docs.py options LISTFILE   docs/options.md's table has exactly the
                                   options of LISTFILE (the library's own list,
                                   `options_rule list`), with their names,
                                   defaults and ranges, in the same order

Each prints one line per failure ("FAIL ...") and, last, "N passed, N failed";
exit status 1 if anything failed.  Run from the repository's top directory.
"""
import glob
import os
import re
import sys

# Top-level directories whose paths the documents may name.
REPO_DIRS = ("c_src", "include", "tests", "bench", "docs", "rust_shim", "packaging", ".ci")
PATH_RE = re.compile(r"(?<![\w$/.~-])((?:%s)/[\w./*{},+-]*)" % "|".join(re.escape(d) for d in REPO_DIRS))
LINK_RE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")

failures = []
passes = 0


def check(ok, what):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(what)
        print("FAIL " + what)


def finish():
    print("%d passed, %d failed" % (passes, len(failures)))
    sys.exit(1 if failures else 0)


def doc_files():
    return ["README.md"] + sorted(glob.glob("docs/*.md"))


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen, out = {}, set()
    in_code = False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"(#+)\s+(.*)", line)
        if m and not in_code:
            s = slug(m.group(2))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else "%s-%d" % (s, n))
    return out


def expand_braces(word):
    m = re.search(r"\{([^{}]*)\}", word)
    if not m:
        return [word]
    out = []
    for alt in m.group(1).split(","):
        out += expand_braces(word[: m.start()] + alt + word[m.end():])
    return out


def path_exists(word):
    for w in expand_braces(word):
        if any(c in w for c in "*?["):
            if not glob.glob(w):
                return False
        elif not os.path.exists(w):
            return False
    return True


def split_cells(row):
    """Cells of a table row: pipes inside backticks or escaped do not count."""
    cells, cur, in_code, i = [], "", False, 0
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    while i < len(row):
        c = row[i]
        if c == "\\" and i + 1 < len(row):
            cur += row[i : i + 2]
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        if c == "|" and not in_code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    cells.append(cur.strip())
    return cells


def check_links():
    for doc in doc_files():
        base = os.path.dirname(doc)
        lines = open(doc, encoding="utf-8").read().split("\n")
        in_code = False
        table_cells = None
        for n, line in enumerate(lines, 1):
            where = "%s:%d" % (doc, n)
            if line.startswith("```"):
                in_code = not in_code
                table_cells = None
                continue
            for word in PATH_RE.findall(line):
                word = word.rstrip(".,:;")
                check(path_exists(word), "%s: names %s, which is not in the repository" % (where, word))
            if in_code:
                continue
            # Links, outside inline code (where `new[](size)` is not one).
            for target in LINK_RE.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"[a-z]+:", target):
                    check(target.startswith(("https:", "http:", "mailto:")), "%s: odd link %s" % (where, target))
                    continue
                path, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(base, path)) if path else doc
                ok = os.path.exists(dest) and os.path.realpath(dest).startswith(os.path.realpath(".") + os.sep)
                check(ok, "%s: link %s does not resolve inside the repository" % (where, target))
                if ok and anchor and dest.endswith(".md"):
                    check(anchor in anchors(dest), "%s: link %s: no heading with that anchor" % (where, target))
            # Tables: header, separator, rows with as many cells; the line
            # after the last row must be blank (else it renders as a row).
            is_row = line.lstrip().startswith("|")
            if table_cells is None and is_row and n < len(lines) and re.match(r"\s*\|[\s:|-]+\|?\s*$", lines[n]):
                table_cells = len(split_cells(line))
            elif table_cells is not None:
                if is_row:
                    cells = len(split_cells(line))
                    check(cells == table_cells, "%s: table row has %d cells, its header %d" % (where, cells, table_cells))
                else:
                    check(line.strip() == "", "%s: text right after a table renders as one of its rows" % where)
                    table_cells = None


def check_index():
    """Every page of docs/ is listed in the index docs/README.md."""
    index = open("docs/README.md", encoding="utf-8").read()
    linked = {os.path.normpath(os.path.join("docs", t.partition("#")[0])) for t in LINK_RE.findall(index)}
    for page in sorted(glob.glob("docs/*.md")):
        if page != "docs/README.md":
            check(os.path.normpath(page) in linked, "docs/README.md does not list %s" % page)


# Patterns of references to documents that are not in the repository.
OUTSIDE = [
    (re.compile(r"DESIGN\s*§|\bDESIGN\.md\b"), "a design document outside the repository"),
    (re.compile(r"\b(?:CONTRACT|STYLE|BENCHMARKS)\.md\b"), "a document outside the repository"),
    (re.compile(r"/work/"), "a path outside the repository"),
    (re.compile(r"\b[Ii]ssues?\s+(?:\d+|[\"“]|called\b)"), "an issue tracker outside the repository"),
]
SKIP_DIRS = {".git", "build", "target"}


def check_outside():
    me = os.path.normpath(__file__)
    for root, dirs, files in os.walk("."):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (root == "." and d.startswith("target")))
        for f in sorted(files):
            if f == ".git":  # a worktree's pointer to its repository
                continue
            path = os.path.normpath(os.path.join(root, f))
            if path == me or path.endswith(os.path.join("tests", "docs", "check_docs.py")):
                continue
            try:
                data = open(path, "rb").read()
            except OSError:
                continue
            if b"\0" in data:
                continue
            text = data.decode("utf-8", "replace")
            bad = 0
            for n, line in enumerate(text.split("\n"), 1):
                for rx, what in OUTSIDE:
                    if rx.search(line):
                        bad += 1
                        print("FAIL %s:%d: points at %s: %s" % (path, n, what, line.strip()[:100]))
            check(bad == 0, "%s refers to documents outside the repository" % path)


def check_options(listfile):
    want, docs = [], {}
    for line in open(listfile, encoding="utf-8"):
        env, name, default, lo, hi, doc = (line.rstrip("\n").split("|") + [""])[:6]
        want.append(("`%s`" % env, "`%s`" % name, default, "%s to %s" % (lo, hi)))
        docs[want[-1]] = doc
    got = []
    for line in open("docs/options.md", encoding="utf-8"):
        if line.startswith("| `OXALLOC_"):
            got.append(tuple(split_cells(line)[:4]))
    check(len(want) > 0, "the library lists no option")
    for row in want:
        check(row in got, "docs/options.md lacks the row of an option; add (and say more than the code's line):\n"
              "     | %s | %s |" % (" | ".join(row), docs[row]))
    for row in got:
        check(row in want, "docs/options.md documents %s, which the library does not report" % " | ".join(row))
    check([r for r in got if r in want] == [r for r in want if r in got],
          "docs/options.md lists the options in another order than the library")


def check_apt():
    """README.md's apt-get line installs exactly the packages of .ci/run."""
    readme = open("README.md", encoding="utf-8").read()
    m = re.search(r"apt-get install -y((?:[^\n]*\\\n)*[^\n]*)", readme)
    check(m is not None, "README.md has no apt-get install line")
    ci = open(".ci/run", encoding="utf-8").read()
    c = re.search(r"^packages=\((.*?)^\)", ci, re.S | re.M)
    check(c is not None, ".ci/run has no packages=( ... ) list")
    if m and c:
        words = lambda t: sorted(w for w in t.replace("\\", " ").split() if not w.startswith("-"))
        got, want = words(m.group(1)), words(c.group(1))
        check(got == want, "README.md's apt-get packages differ from .ci/run's: only in README %s, only in .ci/run %s"
              % (sorted(set(got) - set(want)), sorted(set(want) - set(got))))


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "links":
        check_links()
        check_index()
    elif what == "outside":
        check_outside()
    elif what == "apt":
        check_apt()
    elif what == "options" and len(sys.argv) == 3:
        check_options(sys.argv[2])
    else:
        sys.exit(__doc__)
    finish()


main()
