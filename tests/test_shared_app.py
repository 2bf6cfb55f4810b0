"""The app the tests of a process share (tests/conftest.py's SharedApp) is lent to each
test as it was built: what one test changed does not reach the next."""

from datetime import timedelta

import pytest

from intake.app_state import app_state
from intake.extensions import limiter

pytestmark = pytest.mark.pages_only


def test_what_a_test_changes_in_the_shared_app_is_put_back_before_the_next(app_config, shared_apps):
    shared = shared_apps["sqlite"]
    app = shared.as_built()
    assert app.test_client().get("/guide/about").status_code == 200
    state = app_state(app)
    assert list(state.prepared_pages.pages.keys()) == ["/guide/about"]
    app.config["INTAKE_RETENTION_DAYS"] = 1
    app.config["SOMETHING_NEW"] = True
    app.extensions["something"] = object()
    state.generation_check_every = timedelta(0)
    storage = limiter.storage

    assert shared.as_built() is app
    assert app.config["INTAKE_RETENTION_DAYS"] == shared.settings["INTAKE_RETENTION_DAYS"]
    assert "SOMETHING_NEW" not in app.config
    assert "something" not in app.extensions
    assert app_state(app) is state
    assert state.generation_check_every == shared.state["generation_check_every"] != timedelta(0)
    assert list(state.prepared_pages.pages.keys()) == []
    assert limiter.storage is not storage
