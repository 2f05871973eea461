"""Forms of the SoA screens: the revision's header (WTForms) and the per-control answers, read
with the same checks as an imported file (auditkit.soa.entries)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from auditkit.soa.entries import STATUS_LABELS, Control, Entry, Row, read_entry
from auditkit.soa.services import MAX_LABEL, MAX_NOTE, RevisionHeader

STATUS_OPTIONS = (("", "— choose —"),
                  *((status.value, label) for status, label in STATUS_LABELS.items()))
APPLICABILITY_OPTIONS = (("yes", "Applicable"), ("no", "Excluded"))


class RevisionForm(FlaskForm):
    """The header every new revision carries."""

    client_version_label = StringField(
        "Client's version label",
        validators=[DataRequired(message="Enter the version label of the client's SoA "
                                         "document, e.g. v3.2."), Length(max=MAX_LABEL)],
        description="The version the client gave its SoA document, e.g. v3.2. auditkit "
                    "numbers its own revisions separately.")
    client_version_date = DateField(
        "Date of the client's version", validators=[Optional()],
        description="The date printed on the client's document (optional).")
    note = TextAreaField("Note (optional)", validators=[Length(max=MAX_NOTE)],
                         description="Why this revision was recorded, e.g. “received before "
                                     "the Stage 1 audit”.")

    def header(self) -> RevisionHeader:
        return RevisionHeader(self.client_version_label.data or "",
                              self.client_version_date.data, self.note.data or "")


class EditForm(RevisionForm):
    base_revision = HiddenField()


class ImportForm(RevisionForm):
    file = FileField("SoA file (CSV or XLSX)",
                     validators=[FileRequired(message="Choose the file to import.")])


# --- the per-control answers of the edit form ---------------------------------------------------

@dataclass
class ControlAnswer:
    """One control's row of the edit form: what was entered, and why it was refused."""

    control_id: str
    title: str
    applicable: str = "yes"
    justification: str = ""
    status: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def field_id(self) -> str:
        return self.control_id.replace(".", "-")


def field_names(control_id: str) -> tuple[str, str, str]:
    return (f"applicable-{control_id}", f"justification-{control_id}",
            f"status-{control_id}")


def answers_from_rows(rows: Sequence[Row]) -> list[ControlAnswer]:
    """The form filled with a revision's entries (new controls start as applicable)."""
    answers = []
    for row in rows:
        entry = row.entry
        answers.append(ControlAnswer(
            row.control_id, row.title,
            applicable="yes" if entry is None or entry.applicable else "no",
            justification=entry.justification if entry else "",
            status=entry.status.value if entry and entry.status else ""))
    return answers


def answers_from_form(formdata: Mapping[str, str],
                      controls: Sequence[Control]) -> tuple[list[ControlAnswer], list[Entry]]:
    """Every control's submitted answer, checked; the entries are complete only when no answer
    carries an error."""
    answers, entries = [], []
    for control in controls:
        applicable, justification, status = (formdata.get(name, "")
                                             for name in field_names(control.id))
        answer = ControlAnswer(control.id, control.title, applicable, justification, status)
        if not applicable:
            answer.errors.append("Choose applicable or excluded.")
        else:
            entry, answer.errors = read_entry(control.id, applicable, justification, status)
            if entry is not None:
                entries.append(entry)
        answers.append(answer)
    return answers, entries
