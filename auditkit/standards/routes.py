"""Checklist browser for staff: the checklists, and one checklist as a tree with a search."""

from flask import Blueprint, Flask, abort, current_app, request

from auditkit.accounts.policy import Permission, requires
from auditkit.standards.catalogue import Catalogue, load_catalogue
from auditkit.standards.search import search, tree
from auditkit.standards.versions import CATALOGUE_EXTENSION
from auditkit.web.templating import FEATURE_NAVIGATION, render_page

bp = Blueprint("standards", __name__, url_prefix="/checklists")
EXTENSION = CATALOGUE_EXTENSION
MAX_QUERY = 100
NAVIGATION = ("standards.checklists", "Checklists", Permission.VIEW_CHECKLISTS)
if NAVIGATION not in FEATURE_NAVIGATION:
    FEATURE_NAVIGATION.append(NAVIGATION)


def install_catalogue(app: Flask) -> Catalogue:
    """Load the checklists once, when the app starts (never per request)."""
    catalogue = load_catalogue(app.config["AUDITKIT"].instance_dir)
    app.extensions[EXTENSION] = catalogue
    if catalogue.rejected:
        app.logger.warning("checklists not loaded (run `auditkit checklists validate`): %s",
                           ", ".join(r.path.name for r in catalogue.rejected))
    return catalogue


bp.record_once(lambda state: install_catalogue(state.app))


def catalogue() -> Catalogue:
    return current_app.extensions[EXTENSION]


@bp.get("")
@requires(Permission.VIEW_CHECKLISTS)
def checklists():
    loaded = catalogue()
    return render_page("standards/checklists.html", checklists=loaded.checklists,
                       rejected=loaded.rejected)


@bp.get("/<checklist_key>")
@requires(Permission.VIEW_CHECKLISTS)
def checklist(checklist_key: str):
    found = catalogue().get(checklist_key)
    if found is None:
        abort(404)
    query = request.args.get("q", "").strip()[:MAX_QUERY]
    return render_page("standards/checklist.html", block="tree", checklist=found, query=query,
                       nodes=tree(found, query),
                       match_count=len(search(found, query)) if query else None)
