"""Auditor records, scheduling an audit, its team and its page, and "My audits"."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from auditkit.accounts.policy import Permission, may, may_declare_for, requires
from auditkit.models import AuditType
from auditkit.programmes.services import client_choices
from auditkit.scheduling import auditors as records
from auditkit.scheduling import audits, teams
from auditkit.scheduling.forms import (
    CancelForm,
    DeclarationForm,
    EditAuditForm,
    EndQualificationForm,
    EngagementForm,
    LanguagesForm,
    MemberForm,
    NewAuditForm,
    ObjectionForm,
    OverrideForm,
    QualificationForm,
    VersionForm,
)
from auditkit.scheduling.labels import team_role_label
from auditkit.standards import versions as checklist_versions
from auditkit.web.numbers import whole_number
from auditkit.web.templating import render_page
from auditkit.web.transactions import commit, request_db

bp = Blueprint("scheduling", __name__)

STALE_MESSAGE = ("Someone changed this audit or its team after you opened the page. This is "
                 "the audit as it is now; make your change again if it is still needed.")


def _field_error(form, error) -> None:
    request_db().rollback()
    field = getattr(form, error.field_name or "", None)
    if field is not None:
        field.errors = list(field.errors) + [str(error)]
    else:
        form.form_errors.append(str(error))


def _number(raw) -> int | None:
    """An id or version from a form: None when empty, -1 (matches nothing) when not a number."""
    return whole_number(raw, -1) if raw not in (None, "") else None


def _version(form) -> int:
    number = _number(form.version.data)
    return -1 if number is None else number


# --- auditor records ---------------------------------------------------------------------------

@bp.get("/auditors")
@requires(Permission.VIEW_AUDITS)
def auditors():
    db = request_db()
    return render_page("scheduling/auditors.html",
                       records=records.auditor_records(db, current_user),
                       today=records.today(db),
                       may_manage=may(current_user, Permission.MANAGE_AUDITORS))


@bp.get("/auditors/<int:user_id>")
@requires(Permission.VIEW_AUDITS)
def auditor(user_id: int):
    return _auditor_page(user_id)


def _auditor_page(user_id: int, languages_form=None, status: int = 200):
    db = request_db()
    record = records.auditor_record(db, current_user, user_id)
    if record is None:
        abort(404)
    if languages_form is None:
        languages_form = LanguagesForm(formdata=None, languages=", ".join(record.languages))
    return render_page("scheduling/auditor.html", record=record, languages_form=languages_form,
                       today=records.today(db),
                       may_manage=may(current_user, Permission.MANAGE_AUDITORS), status=status)


@bp.post("/auditors/<int:user_id>/languages")
@requires(Permission.MANAGE_AUDITORS)
def auditor_languages(user_id: int):
    form = LanguagesForm()
    if not form.validate_on_submit():
        return _auditor_page(user_id, form, 422)
    try:
        records.set_languages(request_db(), current_user, user_id, form.languages.data,
                               actor_id=current_user.id)
    except LookupError:
        abort(404)
    except records.RecordError as error:
        _field_error(form, error)
        return _auditor_page(user_id, form, 422)
    commit()
    flash("Languages saved.", "success")
    return redirect(url_for("scheduling.auditor", user_id=user_id))


def _record_or_404(user_id: int):
    record = records.auditor_record(request_db(), current_user, user_id)
    if record is None:
        abort(404)
    return record


def _qualification_input(form) -> records.QualificationInput:
    return records.QualificationInput(form.scheme.data, form.role.data,
                                       form.technical_areas.data or "", form.valid_from.data,
                                       form.valid_until.data)


@bp.route("/auditors/<int:user_id>/qualifications/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_AUDITORS)
def new_qualification(user_id: int):
    record = _record_or_404(user_id)
    form = QualificationForm() if request.method == "POST" else QualificationForm(formdata=None)
    if request.method == "GET" or not form.validate_on_submit():
        return _qualification_page(record, form, None, 422 if request.method == "POST" else 200)
    try:
        records.add_qualification(request_db(), current_user, user_id,
                                   _qualification_input(form), actor_id=current_user.id)
    except records.RecordError as error:
        _field_error(form, error)
        return _qualification_page(record, form, None, 422)
    commit()
    flash("Qualification added.", "success")
    return redirect(url_for("scheduling.auditor", user_id=user_id))


def _qualification_page(record, form, qualification, status: int, end_form=None):
    if qualification is not None and end_form is None:
        end_form = EndQualificationForm(formdata=None)
    return render_page("scheduling/qualification.html", record=record, form=form,
                       qualification=qualification, end_form=end_form, status=status)


def _qualification_or_404(user_id: int, qualification_id: int):
    found = records.qualification_of(request_db(), current_user, user_id, qualification_id)
    if found is None:
        abort(404)
    return found


@bp.route("/auditors/<int:user_id>/qualifications/<int:qualification_id>",
          methods=["GET", "POST"])
@requires(Permission.MANAGE_AUDITORS)
def edit_qualification(user_id: int, qualification_id: int):
    record = _record_or_404(user_id)
    qualification = _qualification_or_404(user_id, qualification_id)
    if request.method == "GET":
        form = QualificationForm(formdata=None, scheme=qualification.scheme,
                                 role=qualification.role,
                                 technical_areas="; ".join(qualification.technical_areas),
                                 valid_from=qualification.valid_from,
                                 valid_until=qualification.valid_until)
        return _qualification_page(record, form, qualification, 200)
    form = QualificationForm()
    if not form.validate_on_submit():
        return _qualification_page(record, form, qualification, 422)
    try:
        records.update_qualification(request_db(), current_user, user_id, qualification_id,
                                      _qualification_input(form), actor_id=current_user.id)
    except records.RecordError as error:
        _field_error(form, error)
        return _qualification_page(record, form, qualification, 422)
    commit()
    flash("Qualification saved.", "success")
    return redirect(url_for("scheduling.auditor", user_id=user_id))


@bp.post("/auditors/<int:user_id>/qualifications/<int:qualification_id>/end")
@requires(Permission.MANAGE_AUDITORS)
def end_qualification(user_id: int, qualification_id: int):
    record = _record_or_404(user_id)
    qualification = _qualification_or_404(user_id, qualification_id)
    end_form = EndQualificationForm()
    if end_form.validate_on_submit():
        try:
            records.end_qualification(request_db(), current_user, user_id, qualification_id,
                                       end_form.ended_on.data, actor_id=current_user.id)
        except records.RecordError as error:
            _field_error(end_form, error)
        else:
            commit()
            flash(f"Qualification ends on {end_form.ended_on.data:%Y-%m-%d}.", "success")
            return redirect(url_for("scheduling.auditor", user_id=user_id))
    form = QualificationForm(formdata=None, scheme=qualification.scheme, role=qualification.role,
                             technical_areas="; ".join(qualification.technical_areas),
                             valid_from=qualification.valid_from,
                             valid_until=qualification.valid_until)
    return _qualification_page(record, form, qualification, 422, end_form)


def _engagement_form(form):
    form.client_id.choices = [SelectChoice("", "— choose a client —")] + [
        SelectChoice(str(client_id), name)
        for client_id, name in client_choices(request_db(), current_user)]
    return form


def _engagement_input(form) -> records.EngagementInput:
    return records.EngagementInput(_number(form.client_id.data), form.kind.data,
                                    form.description.data or "", form.ended_on.data)


def _engagement_page(record, form, engagement, status: int):
    return render_page("scheduling/engagement.html", record=record, form=form,
                       engagement=engagement, status=status)


@bp.route("/auditors/<int:user_id>/engagements/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_AUDITORS)
def new_engagement(user_id: int):
    record = _record_or_404(user_id)
    form = _engagement_form(EngagementForm() if request.method == "POST"
                            else EngagementForm(formdata=None))
    if request.method == "GET" or not form.validate_on_submit():
        return _engagement_page(record, form, None, 422 if request.method == "POST" else 200)
    try:
        records.add_engagement(request_db(), current_user, user_id, _engagement_input(form),
                                actor_id=current_user.id)
    except records.RecordError as error:
        _field_error(form, error)
        return _engagement_page(record, form, None, 422)
    commit()
    flash("Declaration recorded.", "success")
    return redirect(url_for("scheduling.auditor", user_id=user_id))


@bp.route("/auditors/<int:user_id>/engagements/<int:engagement_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_AUDITORS)
def edit_engagement(user_id: int, engagement_id: int):
    record = _record_or_404(user_id)
    engagement = records.engagement_of(request_db(), current_user, user_id, engagement_id)
    if engagement is None:
        abort(404)
    if request.method == "GET":
        form = _engagement_form(EngagementForm(
            formdata=None, client_id=str(engagement.client_id), kind=engagement.kind,
            description=engagement.description, ended_on=engagement.ended_on))
        return _engagement_page(record, form, engagement, 200)
    form = _engagement_form(EngagementForm())
    if not form.validate_on_submit():
        return _engagement_page(record, form, engagement, 422)
    try:
        records.update_engagement(request_db(), current_user, user_id, engagement_id,
                                   _engagement_input(form), actor_id=current_user.id)
    except records.RecordError as error:
        _field_error(form, error)
        return _engagement_page(record, form, engagement, 422)
    commit()
    flash("Declaration saved.", "success")
    return redirect(url_for("scheduling.auditor", user_id=user_id))


# --- scheduling an audit ----------------------------------------------------------------------

def _plan_input(form, audit_type: str = "") -> audits.AuditInput:
    return audits.AuditInput(
        start_date=form.start_date.data, end_date=form.end_date.data, mode=form.mode.data,
        ict_tool=form.ict_tool.data or "", site_ids=tuple(form.site_ids.data or ()),
        planned_days=form.planned_days.data, language=form.language.data or "",
        client_objection_allowed=bool(form.client_objection_allowed.data),
        stage1_still_valid_note=form.stage1_still_valid_note.data or "",
        audit_type=audit_type)


def _with_sites(form, sites):
    form.site_ids.choices = [SelectChoice(site.id, site.name) for site in sites]
    return form


@bp.route("/certifications/<int:certification_id>/audits/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def new_audit(certification_id: int):
    target = audits.scheduling_target(request_db(), current_user, certification_id)
    if target is None:
        abort(404)
    if request.method == "GET":
        form = NewAuditForm(formdata=None, language=target.client_language,
                            client_objection_allowed=True)
        if request.args.get("audit_type") in set(AuditType):  # e.g. from the dashboard
            form.audit_type.data = request.args["audit_type"]
        return _new_audit_page(target, _with_sites(form, target.sites))
    form = _with_sites(NewAuditForm(), target.sites)
    if not form.validate_on_submit():
        return _new_audit_page(target, form, status=422)
    try:
        audit_id = audits.schedule_audit(request_db(), current_user, certification_id,
                                         _plan_input(form, form.audit_type.data),
                                         actor_id=current_user.id)
    except teams.TeamError as error:
        _field_error(form, error)
        return _new_audit_page(target, form, status=422)
    except teams.TeamBlocked as blocked:
        request_db().rollback()
        return _new_audit_page(target, form, blocked=blocked, status=422)
    commit()
    flash("Audit scheduled. Now put its team together.", "success")
    return redirect(url_for("scheduling.audit", audit_id=audit_id))


def _new_audit_page(target, form, *, blocked=None, status: int = 200):
    return render_page("scheduling/audit_new.html", target=target, form=form, blocked=blocked,
                       status=status)


@bp.route("/audits/<int:audit_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROGRAMMES)
def edit_audit(audit_id: int):
    db = request_db()
    found = audits.plan_input(db, current_user, audit_id)
    page = audits.audit_page(db, current_user, audit_id)
    if found is None or page is None:
        abort(404)
    plan, version = found
    target = audits.scheduling_target(db, current_user, page.audit.certification_id)
    if request.method == "GET":
        form = EditAuditForm(formdata=None, obj=plan, version=str(version))
        form.site_ids.data = list(plan.site_ids)
        return _edit_page(page, target, _with_sites(form, target.sites))
    form = _with_sites(EditAuditForm(), target.sites)
    if not form.validate_on_submit():
        return _edit_page(page, target, form, status=422)
    try:
        changed, withdrawn = audits.change_plan(db, current_user, audit_id, _plan_input(form),
                                                expected_version=_version(form),
                                                actor_id=current_user.id)
    except teams.StaleAudit:
        request_db().rollback()
        form.form_errors.append(STALE_MESSAGE)
        return _edit_page(page, target, form, status=409)
    except teams.TeamError as error:
        _field_error(form, error)
        return _edit_page(page, target, form, status=422)
    except teams.TeamBlocked as blocked:
        request_db().rollback()
        return _edit_page(page, target, form, blocked=blocked, status=422)
    commit()
    flash(("Plan saved." if changed else "Nothing changed.")
          + (" The team must be confirmed again." if withdrawn else ""), "success")
    return redirect(url_for("scheduling.audit", audit_id=audit_id))


def _edit_page(page, target, form, *, blocked=None, status: int = 200):
    return render_page("scheduling/audit_edit.html", page=page, target=target, form=form,
                       blocked=blocked, status=status)


# --- the audit page and its team --------------------------------------------------------------

@bp.get("/audits/<int:audit_id>")
@requires(Permission.VIEW_AUDITS)
def audit(audit_id: int):
    return _audit_page(audit_id)


def _audit_page(audit_id: int, *, status: int = 200, message: str | None = None,
                member_form=None, blocked=None, submitted=None, override_form=None,
                cancel_form=None, confirm_blocked=None):
    """The page, with any submitted form (and its errors) in its place. `submitted` is
    (form kind, member id, form) for a form of one team member."""
    db = request_db()
    page = audits.audit_page(db, current_user, audit_id)
    if page is None:
        abort(404)
    version = str(page.audit.version)
    can_manage = may(current_user, Permission.MANAGE_PROGRAMMES) and page.audit.editable
    member_form = member_form or MemberForm(formdata=None)
    member_form.version.data = version
    if can_manage:
        member_form.user_id.choices = [SelectChoice("", "— choose a person —")] + [
            SelectChoice(str(person.id), f"{person.name} ({person.email})")
            for person in teams.selectable_people(db)]
    override_form = override_form or OverrideForm(formdata=None)
    override_form.rule_id.choices = _override_choices(page)
    return render_page(
        "scheduling/audit.html", page=page, can_manage=can_manage, message=message,
        member_form=member_form, blocked=blocked, submitted=submitted or (None, None, None),
        override_form=override_form, cancel_form=cancel_form or CancelForm(formdata=None),
        confirm_blocked=confirm_blocked, version=version,
        may_declare={m.id: page.audit.editable and may_declare_for(current_user, m.user_id)
                     for m in page.members},
        own_member_ids={m.id for m in page.members if m.user_id == current_user.id},
        fresh_declaration=DeclarationForm(formdata=None),
        fresh_objection=ObjectionForm(formdata=None),
        checklists=checklist_versions.pinned_lines(db, audit_id), status=status)


def _override_choices(page) -> list[SelectChoice]:
    choices, seen = [], set()
    for issue in page.open_warnings:
        if issue.rule_id not in seen:
            seen.add(issue.rule_id)
            choices.append(SelectChoice(issue.rule_id, f"{issue.rule_id}: {issue.message}"))
    return choices


def _stale(audit_id: int):
    request_db().rollback()
    return _audit_page(audit_id, status=409, message=STALE_MESSAGE)


def _back_to(audit_id: int, anchor: str = "team"):
    return redirect(url_for("scheduling.audit", audit_id=audit_id) + f"#{anchor}")


def _team_action(audit_id: int, form, change, *, done, placed: dict | None = None,
                 blocked_as: str = "blocked", anchor: str = "team"):
    """One change posted from the audit page. `change()` runs the service once the form is
    valid; `done(result)` is the flash after the commit. `placed` says where the page shows the
    form again with its errors (keywords of `_audit_page`); without it the form carries only
    the version, so bad input is a 400 and a refusal is a message at the top of the page.
    Unknown audit or member: 404; not theirs to declare: 403; stale page: 409; bad input or a
    block of the rules: 422, nothing written."""
    again = placed or {}
    if not form.validate_on_submit():
        if placed is None:
            abort(400)
        return _audit_page(audit_id, **again, status=422)
    try:
        result = change()
    except LookupError:
        abort(404)
    except teams.NotAllowed:
        abort(403)
    except teams.StaleAudit:
        return _stale(audit_id)
    except teams.TeamError as error:
        if placed is None:
            request_db().rollback()
            return _audit_page(audit_id, status=422, message=str(error))
        _field_error(form, error)
        return _audit_page(audit_id, **again, status=422)
    except teams.TeamBlocked as blocked:
        request_db().rollback()
        return _audit_page(audit_id, **again, **{blocked_as: blocked}, status=422)
    commit()
    flash(done(result), "success")
    return _back_to(audit_id, anchor)


@bp.post("/audits/<int:audit_id>/team")
@requires(Permission.MANAGE_PROGRAMMES)
def add_member(audit_id: int):
    form = MemberForm()

    def add():
        data = teams.MemberInput(_number(form.user_id.data), form.person_name.data or "",
                                 form.team_role.data)
        return teams.add_member(request_db(), current_user, audit_id, data,
                                expected_version=_version(form), actor_id=current_user.id)

    return _team_action(
        audit_id, form, add, placed={"member_form": form},
        done=lambda added: (f"{added.name} is on the team as "
                            f"{team_role_label(added.team_role).lower()}."))


@bp.post("/audits/<int:audit_id>/team/<int:member_id>/remove")
@requires(Permission.MANAGE_PROGRAMMES)
def remove_member(audit_id: int, member_id: int):
    form = VersionForm()
    return _team_action(
        audit_id, form,
        lambda: teams.remove_member(request_db(), current_user, audit_id, member_id,
                                    expected_version=_version(form), actor_id=current_user.id),
        done=lambda name: f"{name} is no longer on the team.")


@bp.post("/audits/<int:audit_id>/team/<int:member_id>/objection")
@requires(Permission.MANAGE_PROGRAMMES)
def record_objection(audit_id: int, member_id: int):
    form = ObjectionForm()
    return _team_action(
        audit_id, form,
        lambda: teams.record_objection(request_db(), current_user, audit_id, member_id,
                                       form.objection.data, expected_version=_version(form),
                                       actor_id=current_user.id),
        placed={"submitted": ("objection", member_id, form)},
        done=lambda name: f"The client's objection to {name} is recorded.")


@bp.post("/audits/<int:audit_id>/team/<int:member_id>/declaration")
@requires(Permission.VIEW_AUDITS)
def declare(audit_id: int, member_id: int):
    form = DeclarationForm()
    return _team_action(
        audit_id, form,
        lambda: teams.declare(request_db(), current_user, audit_id, member_id,
                              statement=form.statement.data or "",
                              affirmed=bool(form.affirmed.data), actor_id=current_user.id,
                              actor_name=current_user.full_name),
        placed={"submitted": ("declaration", member_id, form)},
        done=lambda name: f"Declaration of {name} recorded.")


@bp.post("/audits/<int:audit_id>/confirm")
@requires(Permission.MANAGE_PROGRAMMES)
def confirm_team(audit_id: int):
    form = VersionForm()
    return _team_action(
        audit_id, form,
        lambda: teams.confirm_team(request_db(), current_user, audit_id,
                                   expected_version=_version(form), actor_id=current_user.id),
        blocked_as="confirm_blocked", done=lambda _: "The team is confirmed.")


@bp.post("/audits/<int:audit_id>/overrides")
@requires(Permission.MANAGE_PROGRAMMES)
def add_override(audit_id: int):
    form = OverrideForm()
    return _team_action(
        audit_id, form,
        lambda: teams.add_override(request_db(), current_user, audit_id,
                                   form.rule_id.data or "", form.justification.data,
                                   actor_id=current_user.id),
        placed={"override_form": form}, anchor="overrides",
        done=lambda _: (f"Going ahead despite {form.rule_id.data} is recorded with your "
                        "justification."))


@bp.post("/audits/<int:audit_id>/cancel")
@requires(Permission.MANAGE_PROGRAMMES)
def cancel_audit(audit_id: int):
    form = CancelForm()
    return _team_action(
        audit_id, form,
        lambda: audits.cancel_audit(request_db(), current_user, audit_id, form.reason.data,
                                    expected_version=_version(form), actor_id=current_user.id),
        placed={"cancel_form": form}, anchor="main",
        done=lambda _: "The audit is cancelled.")


@bp.get("/my/audits")
@requires(Permission.VIEW_AUDITS)
def my_audits():
    return render_page("scheduling/my_audits.html",
                       audits=audits.my_audits(request_db(), current_user))
