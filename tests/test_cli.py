"""Operator commands."""

from intake import create_app
from intake.domain.crypto import Vault, new_key
from tests.conftest import DATA_KEY, StoredRequests


def test_rotate_keys_re_encrypts_everything_with_the_newest_key(app_config, visitor, stored):
    visitor.submit(name="Before rotation")
    visitor.submit(name="Also before")
    newest = new_key()
    rotated = create_app({**app_config, "INTAKE_DATA_KEYS": [newest, DATA_KEY]})
    result = rotated.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 values" in result.output
    only_newest = Vault([newest])
    rows = StoredRequests(rotated).all()
    assert sorted(only_newest.open(row.personal_data)["name"] for row in rows) == [
        "Also before",
        "Before rotation",
    ]
    assert all(row.phone_hash == only_newest.phone_hash("+447400123456") for row in rows)


def test_rotate_keys_is_safe_to_run_twice(app_config, visitor):
    visitor.submit()
    runner = create_app(app_config).test_cli_runner()
    assert runner.invoke(args=["rotate-keys"]).exit_code == 0
    second = runner.invoke(args=["rotate-keys"])
    assert second.exit_code == 0
    assert "Re-encrypted 1 value " in second.output
