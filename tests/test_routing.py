"""URL rules: every app in a process shares each rule's compiled URL builder."""

import pytest
from flask import url_for

from intake import create_app

pytestmark = pytest.mark.pages_only


def built_urls(app) -> list[str]:
    with app.test_request_context():
        return [
            url_for("staff.request_page", reference="ABCD-2345"),
            url_for("staff.dashboard", show="closed", after="x y"),
            url_for("public.guide_page", slug="side-effects"),
        ]


def test_two_apps_build_the_same_urls_with_one_builder_per_rule(app, app_config):
    other = create_app(app_config)
    assert (
        built_urls(app)
        == built_urls(other)
        == [
            "/staff/requests/ABCD-2345",
            "/staff/?show=closed&after=x+y",
            "/guide/side-effects",
        ]
    )
    rule, same_rule = (next(a.url_map.iter_rules("staff.request_page")) for a in (app, other))
    assert rule is not same_rule
    assert rule._build.__func__ is same_rule._build.__func__
