"""The spec website: builds with mkdocs --strict, shows tables generated at build time, loads nothing
from another host, and renders every page in headless Chromium without console errors."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")  # plugins' banner, not ours


def _load(name: str):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules[name]


check_site = _load("check_site")


def mkdocs_build(site: Path, config: Path = ROOT / "mkdocs.yml") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = mkdocs_build(out)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    return out


def require_browser() -> None:
    why_not = check_site.browser_available()
    if why_not is None:
        return
    if os.environ.get("AIGIF_REQUIRE_BROWSER") == "1":
        pytest.fail(f"AIGIF_REQUIRE_BROWSER=1 but the browser check cannot run: {why_not}")
    pytest.skip(f"headless Chromium check not run: {why_not} (CI sets AIGIF_REQUIRE_BROWSER=1 to make this a failure)")


def _spec_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of spec/ and an mkdocs.yml that builds it (the gen-files script stays the repository's)."""
    docs = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", docs, ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("docs_dir: spec", f"docs_dir: {docs}")
    text = text.replace("tools/site_gen_pages.py", str(ROOT / "tools" / "site_gen_pages.py"))
    text = text.replace("tools/site_hooks.py", str(ROOT / "tools" / "site_hooks.py"))
    config = tmp_path / "mkdocs.yml"
    config.write_text(text, encoding="utf-8")
    return docs, config


def _set_region(page: Path, name: str, body: str) -> None:
    text = page.read_text(encoding="utf-8")
    new = re.sub(rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)",
                 lambda m: m.group(1) + body + m.group(2), text, flags=re.DOTALL)
    assert new != text
    page.write_text(new, encoding="utf-8")


def test_every_nav_page_and_linked_file_is_built(site):
    pages = check_site.nav_pages()
    # The nav as mkdocs.yml declares it (read here with plain YAML, independently of check_site's reader).
    declared = [next(iter(entry.values())) for entry in yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]]
    assert [p.source for p in pages] == declared
    assert "index.md" in declared and len(declared) > 1
    for page in pages:
        assert (site / page.url).is_file(), page.url
    # files the pages link to are served as they are
    for name in ("schema/record.schema.json", "schema/registry.schema.json", "aigif.ksy", "model_payload.ksy", "text/phrase-huffman-v1.json"):
        assert (site / name).read_bytes() == (ROOT / "spec" / name).read_bytes(), name
    assert (site / "search" / "search_index.json").is_file()  # search runs locally


def test_registry_page_shows_every_model_family_and_enumeration(site, registry):
    html = (site / "registry.html").read_text(encoding="utf-8")
    for name in registry.data["enumerations"]:
        assert f'<h3 id="{name}">' in html, name
    for model in registry.data["models"]:
        assert f"<code>{model['name']}</code>" in html, model["name"]
    for family in registry.data["families"]:
        assert f"<code>{family['name']}</code>" in html, family["name"]
    # summary, families, models and one table per enumeration
    assert html.count("<table>") >= 3 + len(registry.data["enumerations"])


def test_tables_are_regenerated_at_build_time(tmp_path):
    """A stale table in the markdown never reaches the site: the build renders it from the sources."""
    docs, config = _spec_copy(tmp_path)
    _set_region(docs / "bitstream.md", "limits", "| STALE_LIMIT | 999 |\n")
    _set_region(docs / "registry.md", "models", "| 0 | `stale-model-name` |\n")
    result = mkdocs_build(tmp_path / "site", config)
    assert result.returncode == 0, result.stderr
    bitstream = (tmp_path / "site" / "bitstream.html").read_text(encoding="utf-8")
    registry = (tmp_path / "site" / "registry.html").read_text(encoding="utf-8")
    assert "STALE_LIMIT" not in bitstream and "MAX_EXTENSION_BYTES" in bitstream
    assert "stale-model-name" not in registry and "<code>stable-diffusion-v1-5</code>" in registry


def test_unknown_generated_region_fails_the_build(tmp_path):
    docs, config = _spec_copy(tmp_path)
    page = docs / "registry.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n<!-- BEGIN GENERATED: no-such-table -->\n"
                    "<!-- END GENERATED: no-such-table -->\n", encoding="utf-8")
    result = mkdocs_build(tmp_path / "site", config)
    assert result.returncode != 0
    assert "unknown generated region 'no-such-table'" in result.stdout + result.stderr


def test_opened_from_disk_every_link_leads_to_a_page_not_a_folder(site):
    assert check_site.directory_links(site) == []
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="bitstream.html"' in index  # a file, which file:// opens as a page


def test_link_scan_finds_folder_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">folder</a><a href="b.html#x">missing</a>'
                                         '<a href="#top">anchor</a><a href="https://example.org/">other site</a>',
                                         encoding="utf-8")
    assert check_site.directory_links(tmp_path) == ["index.html: link to a folder: a/", "index.html: link to nothing: b.html#x"]


def test_spec_front_matter_states_status_date_media_type_extension_and_magic(site):
    import yaml

    from aigif_ref.grammar import limits

    text = (ROOT / "spec" / "index.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert {"status", "date", "media_type", "file_extension", "magic_bytes"} <= set(meta)
    assert meta["magic_bytes"] == " ".join(f"{b:02X}" for b in limits.SIGNATURE)  # one fact, checked against the grammar
    assert meta["media_type"].startswith("application/vnd.aigif") and "provisional" in meta["media_type"]
    assert meta["file_extension"] == ".aigif"
    html = (site / "index.html").read_text(encoding="utf-8")
    for key in ("status", "media_type"):
        assert str(meta[key]) in html, key
    assert f'<code class="aigif-bytes">{meta["magic_bytes"]}</code>' in html
    assert f'<code class="aigif-bytes">{meta["file_extension"]}</code>' in html


def test_byte_strings_in_tables_are_monospace(site):
    sys.path.insert(0, str(ROOT / "tools"))
    import site_hooks

    html = (site / "bitstream.html").read_text(encoding="utf-8")
    # The uvarint table: values and their bytes (the "bytes" column), e.g. 300 -> AC 02.
    assert '<td><code class="aigif-bytes">AC 02</code></td>' in html
    assert site_hooks.mark_byte_cells("| value | bytes | length |\n|---|---|---|\n| 10 | 0A | 1 |\n") == \
        "| value | bytes | length |\n|---|---|---|\n| 10 | `0A`{.aigif-bytes} | 1 |\n"
    # Sizes in other columns and code blocks are left alone.
    untouched = "| code | digest bytes |\n|---|---|\n| 0 | 96 |\n```text\n| bytes |\n|---|\n| 00 |\n```\n"
    assert site_hooks.mark_byte_cells(untouched) == untouched


def test_the_file_layout_diagram_is_generated_from_the_grammar_and_shown(site):
    done = subprocess.run([sys.executable, "tools/draw_layout.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    svg = (site / "layout.svg").read_text(encoding="utf-8")
    for name in ("signature", "crc32", "presence", "seed", "extension_record"):
        assert f">{name}<" in svg, name
    assert 'src="layout.svg"' in (site / "index.html").read_text(encoding="utf-8")


def test_site_references_no_other_host(site):
    assert check_site.external_references(site) == []


def test_external_reference_scan_finds_fetched_resources(tmp_path):
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<link rel="canonical" href="https://example.org/aigif/">'
        '<script src="//cdn.example.com/x.js"></script><a href="https://github.com/">a link is fine</a>'
        '<img src="http://127.0.0.1:8000/ok.png">', encoding="utf-8")
    (tmp_path / "style.css").write_text("@import url('https://cdn.example.com/a.css');", encoding="utf-8")
    found = check_site.external_references(tmp_path)
    assert sorted(found) == ["index.html: //cdn.example.com/x.js", "index.html: https://fonts.googleapis.com/css?family=Roboto",
                             "style.css: https://cdn.example.com/a.css"]


def test_pages_render_in_headless_chromium(site, tmp_path):
    require_browser()
    from PIL import Image

    pages = check_site.nav_pages()
    assert next(p for p in pages if p.source == "bitstream.md").min_tables >= 20
    assert next(p for p in pages if p.source == "registry.md").min_tables >= 10
    shots = tmp_path / "shots"
    assert check_site.browse(site, shots, pages) == []
    for page in pages:
        stem = page.source[: -len(".md")].replace("/", "-")
        with Image.open(shots / f"{stem}.png") as image:
            assert image.width >= 1000
            low, high = image.convert("L").getextrema()
            assert high - low > 100, f"{stem}.png is blank"


def test_browser_check_reports_console_errors_foreign_requests_and_missing_tables(tmp_path):
    require_browser()
    site = tmp_path / "site"
    (site / "broken").mkdir(parents=True)
    # No <h1>, no table, a script error and an image from another host.
    (site / "broken" / "index.html").write_text(
        '<!doctype html><html><body><article><p>text</p><img src="http://aigif.invalid/x.png"></article>'
        '<script>throw new Error("boom from the page")</script></body></html>', encoding="utf-8")
    # A table wider than its column, a name broken over lines, a code block that cuts its lines off.
    wide = "".join(f"<th>column-{i}</th>" for i in range(30))
    (site / "cramped.html").write_text(
        '<!doctype html><html><body><article style="width:300px"><h1>t</h1>'
        f'<div style="overflow:auto"><table><tr>{wide}</tr></table></div>'
        '<div style="width:120px"><table><tr><td><code style="white-space:normal">a-very-long-model-name with-spaces'
        '</code></td></tr></table></div>'
        f'<pre><code style="overflow-x:hidden;display:block;white-space:pre">{"x" * 400}</code></pre>'
        '</article></body></html>', encoding="utf-8")
    problems = check_site.browse(site, tmp_path / "shots", [check_site.Page("broken.md", "broken/", 1)], settle_s=0.2)
    cramped = "\n".join(check_site.browse(site, tmp_path / "shots", [check_site.Page("cramped.md", "cramped.html", 2)],
                                          settle_s=0.2))
    assert "columns out of sight" in cramped
    assert "name a-very-long-model-name with-spaces broken over lines" in cramped
    assert "is cut off (it does not scroll sideways)" in cramped
    text = "\n".join(problems)
    assert "broken.md: console:" in text and "boom from the page" in text
    assert "broken.md: request to another host: http://aigif.invalid/x.png" in text
    assert "broken.md: no <h1>" in text
    assert "broken.md: 0 <table> elements, the source has 1" in text
