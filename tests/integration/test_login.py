from tests.conftest import csrf_token, login


def test_login_and_logout(client, make_user):
    user = make_user("auditor")
    response = login(client, user.email, next_path="/account/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/password"
    assert "Welcome" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_gets_generic_message(client, make_user):
    user = make_user("auditor")
    response = login(client, user.email, password="not-the-password-at-all")
    assert response.status_code == 401
    assert "e-mail address or password is not correct" in response.get_data(as_text=True)
    unknown = login(client, "nobody@example.test", password="not-the-password-at-all")
    assert unknown.status_code == 401
    assert "e-mail address or password is not correct" in unknown.get_data(as_text=True)
