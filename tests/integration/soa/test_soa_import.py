"""Importing a Statement of Applicability file through the screen: all or nothing, a report
naming every refused row, a new revision with the client's label, and the export read back."""

import io

from openpyxl import Workbook

from tests.conftest import csrf_token
from tests.integration.soa.conftest import AIMS_CONTROLS, entries_of, revisions, soa_url
from tests.unit.crafted_xlsx import shared_strings_bomb


def text(response) -> str:
    return response.get_data(as_text=True)


def good_rows() -> list[str]:
    rows = [f"{control_id},yes,Treats risk R-{n},implemented"
            for n, control_id in enumerate(AIMS_CONTROLS, start=1)]
    rows[AIMS_CONTROLS.index("A.7.3")] = "A.7.3,no,No data acquired from third parties,"
    rows[AIMS_CONTROLS.index("A.5.5")] = "A.5.5,yes,Societal impact matters,partially implemented"
    return rows


def csv_file(rows: list[str], header: str = "Control ID,Applicable,Justification,Status") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def upload(client, client_id: int, data: bytes, filename: str = "soa.csv", **fields):
    form = {"csrf_token": csrf_token(client, soa_url(client_id, "/import")),
            "client_version_label": "v2.0", "client_version_date": "2025-06-30", "note": ""}
    form.update(fields)
    form["file"] = (io.BytesIO(data), filename)
    return client.post(soa_url(client_id, "/import"), data=form,
                       content_type="multipart/form-data")


def test_a_good_csv_becomes_the_next_revision(client, login_as, organisation, dbs):
    login_as("programme_manager")
    response = upload(client, organisation, csv_file(good_rows()))
    assert response.status_code == 302, text(response)
    first, second = revisions(dbs, organisation)
    assert (second.revision, second.client_version_label, str(second.client_version_date)) == (
        2, "v2.0", "2025-06-30")
    stored = entries_of(dbs, second.id)
    assert len(stored) == 38
    assert stored["A.7.3"] == (False, "No data acquired from third parties", None)
    assert stored["A.5.5"] == (True, "Societal impact matters", "partially_implemented")
    assert "Revision 2 of the ISO/IEC 42001 SoA imported from soa.csv (38 controls)" in text(
        client.get(response.headers["Location"]))


def test_a_good_xlsx_becomes_the_next_revision(client, login_as, organisation, dbs):
    login_as("admin")
    workbook = Workbook()
    workbook.active.append(["Control", "Applicability", "Reason", "Implementation status"])
    for row in good_rows():
        control_id, applicable, reason, status = row.split(",")
        workbook.active.append([control_id, applicable == "yes", reason, status or None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, organisation, buffer.getvalue(), "SoA v2.xlsx")
    assert response.status_code == 302, text(response)
    assert [r.revision for r in revisions(dbs, organisation)] == [1, 2]


def test_one_bad_row_refuses_the_whole_file_and_the_report_names_each_row(client, login_as,
                                                                          organisation, dbs):
    login_as("programme_manager")
    rows = good_rows()
    rows[3] = f"{AIMS_CONTROLS[3]},no,,"  # row 5: exclusion without justification
    rows[9] = f"{AIMS_CONTROLS[9]},perhaps,x,implemented"  # row 11
    rows.append("A.5.1,yes,,implemented")  # row 40: a 27001 control, not 42001
    rows.append(f"{AIMS_CONTROLS[0]},yes,again,implemented")  # row 41: duplicate
    response = upload(client, organisation, csv_file(rows))
    assert response.status_code == 422
    report = text(response).split('id="import-problems"', 1)[1].split("</table>", 1)[0]
    lines = [line for line in report.split("<tr>")[2:]]
    assert len(lines) == 4
    assert "Row 5" in lines[0] and "needs a justification" in lines[0]
    assert "Row 11" in lines[1] and "not “perhaps”" in lines[1]
    assert "Row 40" in lines[2] and "A.5.1 is not an Annex A control of ISO/IEC 42001" in lines[2]
    assert "Row 41" in lines[3] and "already in row 2" in lines[3]
    assert "Nothing was imported from soa.csv" in text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_a_file_missing_controls_is_refused_listing_them(client, login_as, organisation, dbs):
    login_as("programme_manager")
    response = upload(client, organisation, csv_file(good_rows()[:-2]))
    assert response.status_code == 422
    assert "2 Annex A controls of ISO/IEC 42001:2023 are not in the file: A.10.3, A.10.4" in \
        text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_a_csv_in_another_encoding_is_refused_naming_the_line(client, login_as, organisation,
                                                              dbs):
    login_as("programme_manager")
    rows = good_rows()
    rows[6] = f"{AIMS_CONTROLS[6]},yes,Conçu pour le contrôle,implemented"
    data = ("\n".join(["control id,applicable,justification,status", *rows])).encode("cp1252")
    response = upload(client, organisation, data)
    assert response.status_code == 422
    page = text(response)
    assert "The file is not UTF-8 text: line 8 holds the byte 0xE7" in page
    assert "Row 8" in page
    assert len(revisions(dbs, organisation)) == 1


def test_missing_label_or_file_is_refused(client, login_as, organisation, dbs):
    login_as("programme_manager")
    response = upload(client, organisation, csv_file(good_rows()), client_version_label="")
    assert response.status_code == 422
    assert "Enter the version label" in text(response)
    token = csrf_token(client, soa_url(organisation, "/import"))
    response = client.post(soa_url(organisation, "/import"),
                           data={"csrf_token": token, "client_version_label": "v3"})
    assert response.status_code == 422
    assert "Choose the file to import" in text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_the_exported_revision_imports_back_as_a_new_revision(client, login_as, organisation,
                                                              dbs):
    login_as("programme_manager")
    exported = client.get(soa_url(organisation, "/export.csv"))
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert 'filename="soa-iso42001-r1.csv"' in exported.headers["Content-Disposition"]
    same = upload(client, organisation, exported.data, "soa-iso42001-r1.csv",
                  client_version_label="v1.0", client_version_date="")
    assert same.status_code == 422
    assert "Nothing differs from revision 1" in text(same)
    edited = exported.data.replace(b'"Incidents told to customers","planned"',
                                   b'"Incidents told to customers","implemented"')
    assert edited != exported.data
    response = upload(client, organisation, edited, "soa-iso42001-r1.csv",
                      client_version_label="v1.1")
    assert response.status_code == 302, text(response)
    second = revisions(dbs, organisation)[1]
    assert entries_of(dbs, second.id)["A.8.4"] == (True, "Incidents told to customers",
                                                   "implemented")
    assert entries_of(dbs, second.id)["A.7.3"][0] is False


def test_a_shared_strings_bomb_is_refused_and_imports_nothing(client, login_as, organisation,
                                                               dbs):
    login_as("programme_manager")
    response = upload(client, organisation, shared_strings_bomb(50), "soa.xlsx")
    assert response.status_code == 422
    assert "expands to more than 20 MB" in text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_an_upload_over_the_size_limit_is_refused_and_imports_nothing(client, login_as,
                                                                       organisation, dbs):
    login_as("programme_manager")
    data = csv_file(good_rows()) + b"#" * (2 * 1024 * 1024)
    response = upload(client, organisation, data, "soa.csv")
    assert response.status_code == 422
    assert "The file is larger than 2 MiB" in text(response)
    assert len(revisions(dbs, organisation)) == 1
