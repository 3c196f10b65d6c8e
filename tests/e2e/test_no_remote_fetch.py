"""No page makes the browser fetch anything a model answer or a person's text points at.

Answers, rating comments, variable values, and project and prompt names and descriptions are
filled with Markdown and HTML images (inline and reference style), links and bare addresses, all
pointing at a local HTTP logger. Every page of the navigation is opened; the logger must see
nothing. A positive control at the end proves the logger sees what the browser does fetch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from tests.e2e.conftest import (
    RunningApp,
    assert_no_errors,
    open_page,
    set_name,
    start_app,
    stop_app,
    wait_idle,
)
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Project, Prompt, Rating, Run
from workbench.ui.shell.nav import PAGES

RATER = "E2E Tester"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class Logger(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Logger

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)


@pytest.fixture(scope="module")
def logger() -> Iterator[Logger]:
    server = Logger()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def leaky(base: str, where: str) -> str:
    """Every way Markdown or HTML could make a browser fetch ``base``, labelled ``where``."""
    return (
        f"Here is the answer. ![chart]({base}/{where}-md.png) and **bold** text.\n\n"
        f'<img src="{base}/{where}-html.png"> <picture><source srcset="{base}/{where}-src.png"></picture>\n\n'
        f"Reference style: ![logo][ref] and [a link]({base}/{where}-link) and <{base}/{where}-auto>, "
        f"or {base}/{where}-bare and www.example.com.\n\n[ref]: {base}/{where}-ref.png\n\n"
        f"`![kept as code]({base}/{where}-code.png)`"
    )


@pytest.fixture(scope="module")
def leaky_app(
    tmp_path_factory: pytest.TempPathFactory,
    e2e_fake_server: FakeLLMServer,
    logger: Logger,
    seeded_template: Path,
) -> Iterator[RunningApp]:
    process, app = start_app(tmp_path_factory.mktemp("leaky-app"), e2e_fake_server, seeded_template)
    engine = app.engine()
    base = logger.base
    with session_scope(engine) as session:
        project = session.exec(select(Project).where(Project.name == "Customer service replies")).one()
        project.name = f"Customer ![p]({base}/project-name.png) service"
        project.description = leaky(base, "project-description")
        project.persona = f"![persona]({base}/persona.png)"
        prompt = session.exec(select(Prompt).where(Prompt.project_id == project.id)).first()
        assert prompt is not None
        prompt.description = leaky(base, "prompt-description")
        session.add_all([project, prompt])
    local = endpoints.find_endpoint(engine, "Local fake server")
    models = [m.id for m in endpoints.list_models(engine, local.id)][:2]  # type: ignore[union-attr, arg-type]
    for version in versions.list_versions(engine, prompt.id):  # type: ignore[arg-type]
        with session_scope(engine) as session:
            run = Run(project_id=project.id, prompt_version_id=version.id, status="done")  # type: ignore[arg-type]
            session.add(run)
            session.flush()
            variables = {name: leaky(base, f"variable-{name}") for name in version.sample_variables}
            answers = []
            for column, model_id in enumerate(models):
                output = Output(
                    run_id=run.id,  # type: ignore[arg-type]
                    prompt_version_id=version.id,
                    model_id=model_id,
                    endpoint_name="Local fake server",
                    model_name=f"model-{column}",
                    variables=variables,
                    params={},
                    text=leaky(base, f"answer-v{version.number}-{column}"),
                    status="ok",
                )
                session.add(output)
                answers.append(output)
            session.flush()
            session.add(
                Rating(
                    output_id=answers[0].id,  # type: ignore[arg-type]
                    rater=RATER,
                    value=1,
                    score=1.0,
                    comment=leaky(base, f"comment-v{version.number}"),
                )
            )
    engine.dispose()
    try:
        yield app
    finally:
        stop_app(process)


def test_no_page_fetches_what_answers_comments_or_names_point_at(
    page: Page, leaky_app: RunningApp, logger: Logger
) -> None:
    open_page(page, leaky_app)
    set_name(page, RATER)
    for spec in PAGES:
        url_path = spec.path.removeprefix("pages/").removesuffix(".py")
        open_page(page, leaky_app, "" if spec is PAGES[0] else url_path)
        expect(page.get_by_text(spec.explanation)).to_be_visible()
        wait_idle(page)
        assert_no_errors(page)
        page.wait_for_load_state("networkidle")
        remote = page.locator(f'a[href^="{logger.base}"], img[src^="{logger.base}"]')
        assert remote.count() == 0, f"{spec.path}: a link or image to the logger was rendered"
    open_page(page, leaky_app, "compare")
    expect(page.get_by_text("Here is the answer.").first).to_be_visible()  # the answers are shown
    page.wait_for_load_state("networkidle")
    assert logger.paths == [], f"the browser fetched {logger.paths}"

    # The positive control: what the browser does fetch reaches the logger (evaluate waits for it).
    page.evaluate("url => fetch(url, {mode: 'no-cors'}).then(() => true)", f"{logger.base}/control.png")
    assert logger.paths == ["/control.png"]
