"""Check the built spec website in headless Chromium: every page renders, with its tables, offline.

Serves the built site on 127.0.0.1 (http.server in a thread), loads each page of the mkdocs nav in
/usr/bin/chromium through /usr/bin/chromedriver (given explicitly, so selenium-manager never
downloads anything), saves one screenshot per page, and reports a problem for:

- any SEVERE entry in the browser console (script errors, failed loads);
- any request to a host other than 127.0.0.1 (from Chromium's performance log), and any external
  resource (script, stylesheet, image, font, ...) referenced by the built HTML or CSS;
- a page without an <h1>, or with fewer <table> elements than its markdown source has tables (the
  generated tables of the bitstream and registry pages included);
- layout at the check's window size (1280 px): a table wider than the content column (a column out
  of sight), a name in a table's first two columns broken over lines, a code block that does not
  scroll sideways (its long lines would be cut off);
- a link that leads to a folder instead of a page (opened from disk, that shows a directory listing).

Run: python3 tools/check_site.py [SITE_DIR] [--out SHOTS_DIR]
Without SITE_DIR the site is first built (mkdocs build --strict) into a temporary folder.
Exit 0: all pages passed; 1: problems (listed); 2: no Chromium/chromedriver.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import gen_spec_tables  # noqa: E402  (the tables a page must show are the ones its source has)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,1000")
LOCAL_HOST = "127.0.0.1"
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}  # chrome://, data:, blob: never leave the machine
# Markdown table delimiter row, e.g. |---|:---:|
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")
# Attributes and CSS that make a browser fetch something (plain <a href> links do not).
RESOURCE_ATTR = re.compile(r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)",
                           re.IGNORECASE)
LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
CSS_IMPORT = re.compile(r"(?:@import\s+|url\()\s*[\"']?((?:https?:)?//[^\"') ]+)", re.IGNORECASE)


# In the browser: the layout problems of the page shown (see the module docstring).
LAYOUT_SCRIPT = """
const problems = [];
document.querySelectorAll('article table').forEach((table, i) => {
  const box = table.closest('.md-typeset__scrollwrap') || table.parentElement;
  if (table.scrollWidth > box.clientWidth + 1)
    problems.push(`table ${i + 1} (${table.rows[0].innerText.replace(/\\s+/g, ' ').slice(0, 60)}) is ${table.scrollWidth} px wide, `
                  + `the column ${box.clientWidth} px: columns out of sight`);
  table.querySelectorAll('td:nth-child(-n+2) code').forEach(code => {
    if (code.getClientRects().length > 1) problems.push(`table ${i + 1}: name ${code.innerText} broken over lines`);
  });
});
document.querySelectorAll('article pre > code').forEach(code => {
  if (!['auto', 'scroll'].includes(getComputedStyle(code).overflowX) && code.scrollWidth > code.clientWidth + 1)
    problems.push(`code block "${code.innerText.slice(0, 40)}" is cut off (it does not scroll sideways)`);
});
return problems;
"""
LINK_HREF = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    source: str  # path under docs_dir, e.g. "text/phrase-huffman.md"
    url: str  # path under the site root, e.g. "text/phrase-huffman.html" (use_directory_urls: false)
    min_tables: int  # tables the markdown source has (after generated regions are rendered)


def _nav_sources(nav: list) -> Iterator[str]:
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            yield from _nav_sources(value)
        else:
            yield value


def count_tables(markdown: str) -> int:
    """Markdown tables in a page, ignoring fenced code blocks."""
    count, fenced = 0, False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and TABLE_DELIMITER.match(line):
            count += 1
    return count


def nav_pages(config: Path = ROOT / "mkdocs.yml") -> list[Page]:
    """The pages of the site's nav, each with the number of tables it must show."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    docs = (config.parent / data.get("docs_dir", "docs")).resolve()
    pages = []
    for source in _nav_sources(data["nav"]):
        text = gen_spec_tables.render((docs / source).read_text(encoding="utf-8"), source)
        url = source[: -len(".md")] + ".html"
        pages.append(Page(source, url, count_tables(text)))
    return pages


def external_references(site: Path) -> list[str]:
    """Resources the built HTML and CSS would fetch from another host (links to other sites are fine)."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8", errors="replace")
            urls = RESOURCE_ATTR.findall(text)
            for tag in LINK_TAG.findall(text):
                href = re.search(r"\bhref\s*=\s*[\"']?((?:https?:)?//[^\"' >]+)", tag, re.IGNORECASE)
                rel = re.search(r"\brel\s*=\s*[\"']?([^\"'>]+)", tag, re.IGNORECASE)
                # canonical/alternate links are metadata, never fetched; stylesheets, icons, preloads are
                if href and not (rel and rel.group(1).strip().lower() in {"canonical", "alternate", "license"}):
                    urls.append(href.group(1))
            urls += CSS_IMPORT.findall(text)
        elif path.suffix == ".css":
            urls = CSS_IMPORT.findall(path.read_text(encoding="utf-8", errors="replace"))
        else:
            continue
        found += [f"{path.relative_to(site)}: {url}" for url in urls if urlsplit(url).hostname != LOCAL_HOST]
    return found


def directory_links(site: Path) -> list[str]:
    """Links of the built pages that lead to a folder (or nowhere) instead of a file: opened from disk
    (file://), a folder shows as a directory listing, not as its index.html."""
    found = []
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":  # served by a web server for any missing path: its links are root-absolute
            continue
        for href in LINK_HREF.findall(page.read_text(encoding="utf-8", errors="replace")):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:  # other sites, mailto:, same-page anchors
                continue
            target = (site / parts.path.lstrip("/") if parts.path.startswith("/") else page.parent / parts.path).resolve()
            if target.is_dir() or parts.path.endswith("/"):
                found.append(f"{page.relative_to(site)}: link to a folder: {href}")
            elif not target.exists():
                found.append(f"{page.relative_to(site)}: link to nothing: {href}")
    return found


def browser_available() -> str | None:
    """None when the browser check can run, else why not."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is missing (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (keep test output clean)
        pass


class serve:
    """Serve a folder on 127.0.0.1 on a free port, in a thread, for the duration of a with-block."""

    def __init__(self, folder: Path) -> None:
        self.server = ThreadingHTTPServer((LOCAL_HOST, 0), functools.partial(_QuietHandler, directory=str(folder)))
        self.base = f"http://{LOCAL_HOST}:{self.server.server_address[1]}/"

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.base

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _driver(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def _requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in NETWORK_SCHEMES or parts.hostname == LOCAL_HOST


def browse(site: Path, shots: Path, pages: list[Page], settle_s: float = 0.5) -> list[str]:
    """Load every page in headless Chromium; screenshots go to shots/<page>.png. Returns the problems."""
    from selenium.webdriver.common.by import By

    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    with tempfile.TemporaryDirectory(prefix="aigif-chromium-") as profile, serve(site) as base:
        driver = _driver(profile)
        try:
            driver.get("about:blank")
            for log in ("browser", "performance"):  # the start-up tab's entries are not the site's
                driver.get_log(log)
            for page in pages:
                driver.get(base + page.url)
                time.sleep(settle_s)  # the search worker and late scripts log after the load event
                name = page.source
                for entry in driver.get_log("browser"):
                    if entry["level"] == "SEVERE":
                        problems.append(f"{name}: console: {entry['message']}")
                for url in _requested_urls(driver):
                    if not _is_local(url):
                        problems.append(f"{name}: request to another host: {url}")
                if not driver.find_elements(By.CSS_SELECTOR, "article h1"):
                    problems.append(f"{name}: no <h1>")
                problems += [f"{name}: {problem}" for problem in driver.execute_script(LAYOUT_SCRIPT)]
                tables = len(driver.find_elements(By.CSS_SELECTOR, "article table"))
                if tables < page.min_tables:
                    problems.append(f"{name}: {tables} <table> elements, the source has {page.min_tables}")
                stem = page.source[: -len(".md")].replace("/", "-")
                if not driver.save_screenshot(str(shots / f"{stem}.png")):
                    problems.append(f"{name}: screenshot failed")
                if tables:  # a second view with the first table on screen
                    driver.execute_script("document.querySelector('article table').scrollIntoView({block: 'center'})")
                    time.sleep(settle_s)  # the header's title swap on scroll is animated
                    driver.save_screenshot(str(shots / f"{stem}-table.png"))
        finally:
            driver.quit()
    return problems


def build(site: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, help="built site (default: build one into a temporary folder)")
    parser.add_argument("--out", type=Path, default=Path("site-screenshots"), help="screenshot folder")
    args = parser.parse_args(argv)
    why_not = browser_available()
    if why_not:
        print(f"error: cannot run the browser check: {why_not}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aigif-site-") as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            build(site)
        pages = nav_pages()
        problems = external_references(site) + directory_links(site) + browse(site, args.out, pages)
    for problem in problems:
        print(problem)
    print(f"{len(pages)} pages, {len(problems)} problem(s); screenshots in {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
