"""The shape of checklist and mapping files, as pydantic models.

These models are the documented schema (docs/checklists.md); `checklists/schema.json` is
generated from them (`python -m auditkit.standards.schema > checklists/schema.json`) for
editors, and a unit test keeps the two equal. They check the shape only; the loader checks
what needs the whole file (unique ids, parents, cycles, guidance in shipped files).
"""

import json
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

OneLine = Annotated[str, StringConstraints(pattern=r"^\S(?:[^\r\n]*\S)?$")]
Text = Annotated[str, StringConstraints(pattern=r"\S")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Entries = Annotated[list[Text], Field(min_length=1)]

STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class GuidanceEntry(BaseModel):
    """The auditor's guidance on one assessable item."""

    model_config = STRICT

    question: Text = Field(description="What the auditor must establish, in one or two "
                                       "sentences.")
    evidence: Entries = Field(description="Documents and records to ask for.")
    sample: Entries = Field(description="What to sample, how many, from where.")
    interview: Entries = Field(description="Roles to talk to.")
    ai_focus: Entries | None = Field(
        default=None, description="ISO/IEC 42001 only: AI-specific angles.")


class ItemEntry(BaseModel):
    """One clause, control or heading."""

    model_config = STRICT

    id: OneLine = Field(description='Clause or control number as a quoted string ("4.1", '
                                    '"A.6.2.4").')
    title: OneLine = Field(description="Short title only, never requirement text.")
    kind: Literal["clause", "control"]
    parent: OneLine | None = Field(description="Id of the parent item, or null at the top.")
    assessable: bool = Field(description="True for an item that gets a checklist row; headings "
                                         "with children are false.")
    untitled: bool = Field(default=False, description="The standard numbers this paragraph "
                                                      "without a title; ours is a label.")
    guidance: GuidanceEntry | None = Field(
        default=None, description="Required on every assessable item of a shipped file; "
                                  "optional in a body's own files; never on headings.")


class ChecklistFile(BaseModel):
    """A checklist file: one edition of one framework."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              title="auditkit checklist")

    framework: Slug = Field(description="Framework key, e.g. iso42001.")
    edition: OneLine = Field(description='Edition as shown to users, e.g. "ISO/IEC 42001:2023".')
    items: Annotated[list[ItemEntry], Field(min_length=1)]


ItemIds = Annotated[list[OneLine], Field(min_length=1)]


class SharedEntry(BaseModel):
    """Items of several checklists that one question covers in an integrated audit."""

    model_config = STRICT

    topic: OneLine
    items: Annotated[dict[Slug, ItemIds], Field(min_length=2, description=(
        "Checklist key -> the assessable clause ids the question is recorded against."))]


class SeparateEntry(SharedEntry):
    """Items that share a clause number but not the question: asked once per scheme."""

    reason: Text


class MappingFile(BaseModel):
    """A mapping between checklists for integrated audits."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              title="auditkit checklist mapping")

    checklists: Annotated[list[Slug], Field(min_length=2)]
    same_numbering: list[Slug] = Field(default_factory=list, description=(
        "Checklists that share clause numbers: every assessable clause number they have in "
        "common must be listed as shared or separate."))
    shared: list[SharedEntry]
    separate: list[SeparateEntry] = Field(default_factory=list)


def describe(error: dict) -> str:
    """A pydantic error in the words of someone editing the YAML file."""
    kind, value = error["type"], error.get("input")
    field = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    subject = f"{field}: " if field else ""
    if kind == "missing":
        return f"{field} is missing"
    if kind == "extra_forbidden":
        return f"unknown field {field!r}"
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return f'{subject}write it as a quoted string ("{value}"): YAML read it as a number'
    if kind == "string_type":
        return f"{subject}must be a text, not {type(value).__name__}"
    if kind == "literal_error" and error["loc"][-1] == "kind":
        return f"unknown kind {value!r} (use clause or control)"
    if kind == "bool_type":
        return f"{subject}must be true or false, not {value!r}"
    if kind == "string_pattern_mismatch":
        return f"{subject}{value!r} is empty, spans lines or has spaces around it" \
            if field != "framework" else \
            f"framework {value!r} must be lower-case letters, digits, '.', '-' or '_'"
    if kind == "too_short":
        return f"{subject}needs at least one entry"
    return f"{subject}{error['msg']}"


def validation_errors(model: type[BaseModel], data) -> list[dict]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        return error.errors(include_url=False)
    return []


def json_schema() -> dict:
    schema = ChecklistFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
