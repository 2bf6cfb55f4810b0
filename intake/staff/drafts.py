"""The forms whose typing outlives a session: what is kept, and how it comes back.

When a session ends under a member with one of these forms half typed (sent after
the end, or sent by the page's script when the idle warning ran out), its fields are
kept, sealed, for the member's next sign-in (intake.domain.staff_sessions), and put
back in the same form on the same page. Passwords and searches are never kept.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from intake.staff.forms import (
    AttemptForm,
    CalledUsForm,
    CloseForm,
    DecideForm,
    HandoverForm,
    NoteForm,
    ReassignForm,
)


@dataclass(frozen=True)
class DraftForm:
    key: str  # the form's name in the page's `forms`
    form: type[FlaskForm]
    prefix: str = ""

    def field_names(self) -> list[str]:
        blank = self.form(formdata=None, prefix=self.prefix, meta={"csrf": False})
        return [field.name for field in blank]

    def typed(self, formdata: MultiDict) -> dict[str, str]:
        return {name: formdata[name] for name in self.field_names() if formdata.get(name)}

    def restored(self, fields: dict[str, str]) -> FlaskForm:
        return self.form(formdata=MultiDict(fields), prefix=self.prefix)


DRAFT_FORMS = {
    "staff.record_attempt": DraftForm("attempt", AttemptForm),
    "staff.add_note": DraftForm("note", NoteForm),
    "staff.close": DraftForm("close", CloseForm),
    "staff.reassign": DraftForm("reassign", ReassignForm, ReassignForm.PREFIX),
    "staff.called_us": DraftForm("called_us", CalledUsForm, CalledUsForm.PREFIX),
    "staff.decide": DraftForm("decide", DecideForm, DecideForm.PREFIX),
    "staff.leave_handover": DraftForm("handover", HandoverForm),
}
# The page's script sends what a form holds here, naming the form's own address.
KEEP_ENDPOINT = "staff.keep_draft"


def typed_draft() -> dict | None:
    """What this request carries of a form worth keeping, as a draft; None if nothing."""
    if request.method != "POST":
        return None
    endpoint, view_args = request.endpoint, request.view_args or {}
    if endpoint == KEEP_ENDPOINT:
        endpoint, view_args = _form_sent_to(request.form.get("draft_for", ""))
    draft_form = DRAFT_FORMS.get(endpoint)
    fields = draft_form.typed(request.form) if draft_form else None
    if not fields:
        return None
    return {"reference": view_args.get("reference"), "forms": {endpoint: fields}}


def _form_sent_to(address: str) -> tuple[str | None, dict]:
    """The endpoint and arguments a form's action names, if it is one of ours."""
    path = urlsplit(address).path.removeprefix(request.script_root)
    adapter = current_app.url_map.bind("", script_name=request.script_root)
    try:
        endpoint, view_args = adapter.match(path, method="POST")
    except HTTPException:
        return None, {}
    return endpoint, view_args


def restored_forms(draft: dict | None) -> dict[str, FlaskForm]:
    """The kept draft's forms, filled in again, by their name in the page's `forms`."""
    if draft is None:
        return {}
    return {
        DRAFT_FORMS[endpoint].key: DRAFT_FORMS[endpoint].restored(fields)
        for endpoint, fields in draft["forms"].items()
        if endpoint in DRAFT_FORMS
    }
