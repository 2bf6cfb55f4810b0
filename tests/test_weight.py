"""A feather-weight public site: compressed, cached for long, at most 30 KB a page."""

import gzip

import pytest

from tests.conftest import page
from tests.test_seo import PUBLIC

pytestmark = pytest.mark.pages_only

BUDGET = 30 * 1024


def transferred(client, path: str) -> int:
    """Bytes over the wire for one response, asking for gzip as browsers do."""
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, path
    return len(response.data)


@pytest.mark.parametrize("path", PUBLIC)
def test_each_public_page_with_its_css_and_script_weighs_at_most_30_kb(client, path):
    html = page(client.get(path))
    parts = [path] + [tag["href"] for tag in html.select("link[rel=stylesheet]")]
    parts += [tag["src"] for tag in html.select("script[src]")]
    total = sum(transferred(client, part) for part in parts)
    assert total <= BUDGET, f"{path}: {total} bytes"


def test_html_is_compressed(client):
    response = client.get("/guide/about", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<h1>" in gzip.decompress(response.data)


def test_answers_to_a_post_are_never_compressed(visitor):
    data = visitor.filled_form(name="")
    response = visitor.client.post("/callback", data=data, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 400
    assert "Content-Encoding" not in response.headers


def test_static_files_have_fingerprinted_names_and_a_long_cache(client):
    href = page(client.get("/")).select_one("link[rel=stylesheet]")["href"]
    assert href.startswith("/assets/intake.") and href.endswith(".css")
    response = client.get(href)
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


def test_an_old_or_made_up_fingerprint_is_not_served(client):
    assert client.get("/assets/intake.0000000000.css").status_code == 404
    assert client.get("/static/intake.css").status_code == 404


def test_reading_and_asking_for_a_callback_need_no_javascript(client):
    for path in ["/guide/about", "/callback"]:
        html = page(client.get(path))
        assert html.select_one("main form, main article")
        assert not html.select("[onclick], [onsubmit]")


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_served_compressed_as_the_browser_asks(client, encoding):
    href = page(client.get("/")).select_one("link[rel=stylesheet]")["href"]
    plain = client.get(href, headers={"Accept-Encoding": "identity"})
    packed = client.get(href, headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
