"""Real sign-in: st.login against a local mock OIDC provider, driven through its login form.

The provider is ``oidc-provider-mock`` (any client id is accepted; the "sub" typed into its
form becomes the user's e-mail claim). The app gets its ``[auth]`` settings from a private
secrets file (``STREAMLIT_SECRETS_FILES``), so the checkout's own secrets.toml is untouched.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, open_page, start_app, stop_app, wait_idle
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick
from tests.fakes.server import FakeLLMServer
from workbench.governance import access
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope

with warnings.catch_warnings():  # it imports authlib.jose, which Authlib itself deprecates
    pytest.importorskip("authlib.deprecate")  # installs an "always" filter; ours must come after it
    warnings.simplefilter("ignore", DeprecationWarning)
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock", reason='pip install ".[test]"')

# The mock provider imports authlib APIs that Authlib itself deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def oidc_url() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def team_app(
    tmp_path_factory: pytest.TempPathFactory,
    e2e_fake_server: FakeLLMServer,
    oidc_url: str,
    seeded_template: Path,
) -> Iterator[RunningApp]:
    home = tmp_path_factory.mktemp("signin")
    secrets = home / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "e2e-cookie-secret-0123456789abcdef0123456789"\n'
        'client_id = "workbench"\n'
        'client_secret = "workbench-secret"\n'
        f'server_metadata_url = "{oidc_url}/.well-known/openid-configuration"\n'
    )
    process, app = start_app(
        home, e2e_fake_server, seeded_template, {"STREAMLIT_SECRETS_FILES": str(secrets)}
    )
    engine = app.engine()
    with session_scope(engine) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
    cs = project_records.find_project(engine, "Customer service replies")
    with session_scope(engine) as session:
        access.set_member(
            session, actor="ada@example.com", project_id=cs.id, email="vic@example.com", role="viewer"
        )  # type: ignore[union-attr, arg-type]
    engine.dispose()
    try:
        yield app
    finally:
        stop_app(process)


def sign_in(page: Page, app: RunningApp, oidc_url: str, email: str) -> None:
    open_page(page, app)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{oidc_url}/oauth2/authorize**")
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Signed in as {email}")).to_be_visible()
    wait_idle(page)


def test_an_unauthenticated_visitor_sees_only_the_sign_in(page: Page, team_app: RunningApp) -> None:
    for path in ("", "project", "audit", "team"):
        open_page(page, team_app, path)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).to_have_count(0)
        expect(page.get_by_test_id("stButton")).to_have_count(1)
        expect(page.get_by_test_id("stTextInput")).to_have_count(0)
        expect(page.get_by_text("Customer service replies")).to_have_count(0)
    page.screenshot(path="/tmp/issue8-signin-screen.png")


def test_an_admin_signs_in_through_the_provider_and_gives_a_role(
    page: Page, team_app: RunningApp, oidc_url: str
) -> None:
    sign_in(page, team_app, oidc_url, "ada@example.com")
    page.screenshot(path="/tmp/issue8-signed-in-admin.png")
    open_page(page, team_app, "team")
    expect(page.get_by_text("Sign-in is on. You are signed in as ada@example.com.")).to_be_visible()
    pick(page, "Role", "editor")
    page.get_by_label("E-mail", exact=True).fill("eve@example.com")
    page.get_by_role("button", name="Give role").click()
    expect(page.get_by_text("eve@example.com is now editor of Customer service replies.")).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue8-team.png", full_page=True)
    engine = team_app.engine()
    cs = project_records.find_project(engine, "Customer service replies")
    assert access.role_of(engine, "eve@example.com", cs.id) == "editor"  # type: ignore[union-attr, arg-type]
    (event,) = audit.search(engine, actions=["member.add"], text="eve@example.com")
    engine.dispose()
    assert (event.actor, event.after) == ("ada@example.com", {"role": "editor"})


def test_a_viewer_cannot_edit_and_is_told_why(page: Page, team_app: RunningApp, oidc_url: str) -> None:
    sign_in(page, team_app, oidc_url, "vic@example.com")
    open_page(page, team_app, "project")
    sidebar_projects = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    expect(sidebar_projects.locator("input")).to_have_value("Customer service replies")
    page.get_by_test_id("stTextInput").filter(has_text="As a …").locator("input").fill("someone else")
    page.get_by_role("button", name="Save use case").click()
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(
        "You are a viewer in this project; to edit the use case and KPIs you need to be an editor.",
    )
    wait_idle(page)
    page.screenshot(path="/tmp/issue8-viewer-denied.png")
    open_page(page, team_app, "audit")
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(
        "to read the audit log you need to be an admin"
    )
    engine = team_app.engine()
    assert (
        project_records.find_project(engine, "Customer service replies").persona == "customer service agent"
    )  # type: ignore[union-attr]
    engine.dispose()


def test_a_viewer_cannot_save_a_version(page: Page, team_app: RunningApp, oidc_url: str) -> None:
    engine = team_app.engine()
    cs = project_records.find_project(engine, "Customer service replies")
    prompt = versions.list_prompts(engine, cs.id)[0]  # type: ignore[union-attr, arg-type]
    before = [v.number for v in versions.list_versions(engine, prompt.id)]  # type: ignore[arg-type]
    engine.dispose()
    sign_in(page, team_app, oidc_url, "vic@example.com")
    open_page(page, team_app, "draft")
    user = page.get_by_label("User message: the task, with {{ variables }} for the parts that change")
    user.fill("Reply to the customer about order {{ order_id }} in two sentences.")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(
        "You are a viewer in this project; to save a prompt version you need to be an editor.",
    )
    wait_idle(page)
    expect(page.get_by_text("Saved as version")).to_have_count(0)
    page.screenshot(path="/tmp/issue5i-viewer-refused.png", full_page=True)
    engine = team_app.engine()
    assert [v.number for v in versions.list_versions(engine, prompt.id)] == before  # type: ignore[arg-type]
    engine.dispose()
