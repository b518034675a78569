"""The course in JupyterLab, driven in Chromium with Playwright (issue 6).

One student server (``aecourse lab --student`` set-up, on ``notebooks/``) and one
instructor server (``--instructor``, at the course root) run on a temporary copy of the
course with a temporary grading root, so the repository's own state is never touched.
The tests run in file order and share the two pages: student lesson run, Validate on the
untouched notebook, solution run, formgrader listing, then release → submit → collect →
autograde. Screenshots of each step go to ``artifacts/screenshots/``.

Chromium missing: the tests fail under ``CI=true`` and skip elsewhere, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser_helpers import CHROMIUM_ARGS, LabServer, find_chromium, solved_copy

from aecourse import lab
from aecourse.course import ASSIGNMENTS


def browser_test(fn):
    """Mark a test as a browser test (slow): it needs Chromium and JupyterLab servers.

    The xdist group keeps them in one worker under ``pytest -n N --dist loadgroup``, so the
    two servers start once; each test still opens what it needs, so any order works.
    """
    return pytest.mark.xdist_group("browser")(pytest.mark.browser(pytest.mark.slow(fn)))


REPO = Path(__file__).resolve().parents[1]
# A different course folder (same layout) can be tested with AECOURSE_BROWSER_COURSE.
COURSE_SOURCE = Path(os.environ.get("AECOURSE_BROWSER_COURSE", REPO))
SHOTS = REPO / "artifacts" / "screenshots"
LESSON, NOTEBOOK = "01_neurons", "neurons.ipynb"
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
CREATE_ASSIGNMENT_TAB = '.lm-TabBar-tab[data-id="nbgrader-create_assignemnt"]'
CELL_TIMEOUT_MS = 120_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def shot(page, name: str) -> None:
    """Save a PNG of ``page`` as artifacts/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        reason = (
            f"Chromium not found ({os.environ.get('AECOURSE_CHROMIUM') or '/usr/bin/chromium'}): "
            "install Debian's package "
            "(apt-get install chromium); the browser tests never download a browser"
        )
        if _in_ci():
            pytest.fail(reason + " (CI=true: a missing browser fails the run)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary copy of the course (config, solutions, notebooks) and its grading root."""
    needed = (
        "nbgrader_config.py",
        f"solutions/{LESSON}/{NOTEBOOK}",
        f"notebooks/{LESSON}/{NOTEBOOK}",
    )
    for name in needed:
        if not (COURSE_SOURCE / name).exists():
            pytest.fail(
                f"{COURSE_SOURCE / name} is missing: the browser tests need the lesson and its "
                f"student release (nbgrader generate_assignment {LESSON})"
            )
    base = tmp_path_factory.mktemp("browser")
    root = base / "course"
    root.mkdir()
    shutil.copy2(COURSE_SOURCE / "nbgrader_config.py", root / "nbgrader_config.py")
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("solutions", "notebooks"):
        if (COURSE_SOURCE / folder).is_dir():
            shutil.copytree(COURSE_SOURCE / folder, root / folder, ignore=ignore)
    (root / "notebooks").mkdir(exist_ok=True)
    return {"root": root, "grading": base / "grading", "base": base}


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _server(role, course):
    base = course["base"]
    return LabServer(role, course["root"], course["grading"], base / role, base / f"{role}.log")


def _role_session(role, course, browser):
    """Start a role's server and page; on teardown no kernel may be left running."""
    server = _server(role, course).start()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    # "Leave page?" (a notebook with unsaved outputs): leave, as a person moving on would.
    page.on("dialog", lambda dialog: dialog.accept())
    yield server, page
    context.close()
    left = server.stop()
    assert not left, f"kernel processes left after the {role} server stopped: {left}"


@pytest.fixture(scope="module")
def student(chromium, course, browser):
    """(server, page) of the student set-up."""
    yield from _role_session("student", course, browser)


@pytest.fixture(scope="module")
def instructor(chromium, course, browser):
    """(server, page) of the instructor set-up."""
    yield from _role_session("instructor", course, browser)


# --- notebook helpers -------------------------------------------------------------------------


def open_notebook(server, page, path: str) -> None:
    """Open ``path`` (relative to the server root) alone in JupyterLab; wait for its kernel."""
    page.goto(server.url(f"lab/tree/{path}?reset"))
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    wait_kernel_idle(page)


def wait_kernel_idle(page, timeout_ms: int = CELL_TIMEOUT_MS) -> None:
    """Wait until the status bar reads "<kernel> | Idle" (the kernel is connected and free)."""
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle")).first.wait_for(
        timeout=timeout_ms
    )


def menu(page, top: str, item: str) -> None:
    """Click ``top`` in the main menu bar, then ``item`` in the menu it opens."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def nbgrader_menu_items(page) -> list[str]:
    """Labels of the visible entries of the Nbgrader menu (then closes it)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
    page.locator(".lm-Menu").first.wait_for()
    items = page.locator(".lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    return [item.strip() for item in items if item.strip()]


def code_prompts(page) -> list[str]:
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def run_all(page) -> None:
    """Run > Run All Cells, and wait until every code cell has run (stops at an error)."""
    menu(page, "Run", "Run All Cells")
    # Queued cells show [*] at once; wait for that before waiting for the queue to drain.
    page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").first.filter(
        has_text=re.compile(r"\[(\*|\d+)\]")
    ).wait_for()
    page.wait_for_function(
        """() => {
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')];
            return ind && ind.dataset.status === 'idle'
                && !prompts.some(p => p.textContent.includes('*'));
        }""",
        timeout=CELL_TIMEOUT_MS * 3,
    )


def run_each_cell(page) -> None:
    """Run every cell one after another like a student pressing Shift+Enter, errors or not.

    Run All stops at the first error (the kernel drops queued cells); a student notebook
    has a failing stub in every part, so each cell is run and awaited on its own.
    """
    cells = page.locator(".jp-Notebook .jp-Cell")
    n = cells.count()
    cells.first.click()
    page.keyboard.press("Escape")
    for i in range(n):
        cell = cells.nth(i)
        # Ctrl+Enter on the last cell: Shift+Enter there would append an empty cell.
        page.keyboard.press("Shift+Enter" if i < n - 1 else "Control+Enter")
        if "jp-CodeCell" in (cell.get_attribute("class") or ""):
            prompt = cell.locator(".jp-InputPrompt")
            try:
                prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=CELL_TIMEOUT_MS)
            except Exception:
                shot(page, f"failed_run_cell_{i}")
                raise


def cells_by_grade_id(path: Path) -> dict[str, tuple[int, dict]]:
    """grade_id -> (cell index, nbgrader metadata) of a notebook on disk."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    out = {}
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta:
            out[meta["grade_id"]] = (i, dict(meta, cell_type=cell.cell_type))
    return out


def validate(page) -> str:
    """Press nbgrader's Validate button; return 'success' or 'failed' from the result dialog."""
    page.locator(".validate-button").first.click()
    dialog = page.locator(".jp-Dialog", has_text="Validation")
    dialog.wait_for(timeout=CELL_TIMEOUT_MS * 2)
    result = dialog.locator(".validation-success, .validation-failed")
    result.first.wait_for()
    return "success" if dialog.locator(".validation-success").count() else "failed"


def close_dialog(page) -> None:
    page.locator(".jp-Dialog .jp-mod-accept").first.click()
    page.locator(".jp-Dialog").first.wait_for(state="detached")


# --- the set-ups, without a browser (fast) ------------------------------------------------


def test_lab_config_disables_instructor_tools_for_students_only(tmp_path):
    import json

    (tmp_path / "notebooks").mkdir()
    grading = tmp_path / "state"
    argv, env, cwd = lab.lab_command("student", root=tmp_path, grading=grading, port=9999)
    assert cwd == (tmp_path / "notebooks").resolve() and "--port=9999" in argv
    config_dir = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]
    page = json.loads(Path(config_dir, "labconfig", "page_config.json").read_text())
    assert page["disabledExtensions"] == {
        "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:formgrader": True,
        "@jupyter/nbgrader:course-list": True,
    }
    server = json.loads(Path(config_dir, "jupyter_server_config.json").read_text())
    ext = server["ServerApp"]["jpserver_extensions"]
    assert ext["nbgrader.server_extensions.formgrader"] is False
    assert ext["nbgrader.server_extensions.validate_assignment"] is True
    assert (grading / "exchange").is_dir()
    assert repr(str(grading / "exchange")) in Path(config_dir, "nbgrader_config.py").read_text()

    argv, env, cwd = lab.lab_command("instructor", root=tmp_path, grading=grading)
    assert cwd == tmp_path.resolve()
    config_dir = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]
    page = json.loads(Path(config_dir, "labconfig", "page_config.json").read_text())
    assert not any(page["disabledExtensions"].values())


def test_lab_command_rejects_bad_role_and_missing_course(tmp_path):
    with pytest.raises(ValueError, match="role must be one of"):
        lab.lab_command("teacher", root=tmp_path)
    with pytest.raises(FileNotFoundError, match="no notebooks/ folder"):
        lab.lab_command("student", root=tmp_path)


# --- student ------------------------------------------------------------------------------------


@browser_test
def test_student_setup_hides_instructor_tools(student):
    server, page = student
    page.goto(server.url("lab?reset"))
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.wait_for()
    shot(page, "01_student_lab")
    assert page.locator(CREATE_ASSIGNMENT_TAB).count() == 0, "students see Create Assignment"
    assert nbgrader_menu_items(page) == ["Assignment List"]
    with pytest.raises(Exception, match="404"):
        server.api("formgrader/api/assignments")


@browser_test
def test_student_notebook_runs_and_stubs_fail(student, course):
    server, page = student
    open_notebook(server, page, f"{LESSON}/{NOTEBOOK}")
    run_each_cell(page)
    shot(page, "02_student_notebook_run")

    meta = cells_by_grade_id(course["root"] / "notebooks" / LESSON / NOTEBOOK)
    cells = page.locator(".jp-Notebook .jp-Cell")
    markdown = [i for i, m in meta.values() if m["cell_type"] == "markdown"]
    tests = [i for i, m in meta.values() if m.get("grade") and m["cell_type"] == "code"]
    assert markdown and tests, "the lesson has no markdown or no graded test cells"
    for i in markdown:
        assert cells.nth(i).locator(".jp-RenderedMarkdown").count() == 1, f"cell {i} not rendered"
    # The first code cell is the setup cell: it runs, quietly (no red stderr block).
    setup = page.locator(".jp-Notebook .jp-CodeCell").first
    assert re.fullmatch(r"\[\d+\]:", setup.locator(".jp-InputPrompt").inner_text().strip())
    assert setup.locator(STDERR_OUTPUT).count() == 0, setup.locator(".jp-OutputArea").inner_text()
    # Stubs raise NotImplementedError when called: each graded test cell shows that error.
    for i in tests:
        text = cells.nth(i).locator(".jp-OutputArea").inner_text()
        assert "NotImplementedError" in text, f"test cell {i} does not show it: {text[:300]}"


@browser_test
def test_validate_untouched_notebook_fails(student):
    server, page = student
    if f"lab/tree/{LESSON}/{NOTEBOOK}" not in page.url:  # run alone: open it first
        open_notebook(server, page, f"{LESSON}/{NOTEBOOK}")
    assert validate(page) == "failed"
    shot(page, "03_student_validate_failed")
    close_dialog(page)


# --- instructor ------------------------------------------------------------------------------


@browser_test
def test_solution_runs_and_shows_a_figure(instructor):
    server, page = instructor
    open_notebook(server, page, f"solutions/{LESSON}/{NOTEBOOK}")
    assert page.locator(CREATE_ASSIGNMENT_TAB).count() == 1, "instructor lacks Create Assignment"
    assert "Formgrader" in nbgrader_menu_items(page)
    run_all(page)
    shot(page, "04_solution_run")
    prompts = code_prompts(page)
    assert all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), prompts
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output")
    assert page.locator(".jp-Notebook .jp-OutputArea-output img").count() >= 1, "no figure"
    errors = page.locator(".jp-Notebook " + STDERR_OUTPUT)
    assert errors.count() == 0, errors.all_inner_texts()[:2]
    assert outputs.count() > 0


def formgrader_row(page, assignment: str):
    return page.locator("tr", has=page.locator("td.name", has_text=assignment))


def accept_modal(page, expect: str = "success") -> str:
    """Wait for formgrader's result modal, check it is ``expect``, close it; return its text."""
    modal = page.locator("#success-modal, #error-modal").first
    modal.wait_for(state="visible", timeout=CELL_TIMEOUT_MS * 3)
    text = modal.inner_text()
    kind = "success" if modal.get_attribute("id") == "success-modal" else "error"
    assert kind == expect, text
    modal.locator("button.close, button[data-dismiss=modal]").first.click()
    modal.wait_for(state="detached")
    return text


@browser_test
def test_formgrader_lists_the_course(instructor):
    server, page = instructor
    page.goto(server.url("formgrader/manage_assignments"))
    formgrader_row(page, LESSON).first.wait_for()
    shot(page, "05_formgrader_assignments")
    names = page.locator("td.name").all_inner_texts()
    missing = [a for a in ASSIGNMENTS if a not in names]
    assert not missing, f"formgrader does not list {missing} (lists {names})"
    assert page.locator("#warning-exchange").count() == 0, page.locator(
        "#warning-exchange"
    ).inner_text()
    assert page.locator("#warning-course-id").count() == 0


@browser_test
def test_release_submit_collect_autograde(student, instructor, course):
    s_server, s_page = student
    i_server, i_page = instructor
    root = course["root"]

    # Instructor: generate the student version (puts the hidden tests in the gradebook), release.
    i_page.goto(i_server.url("formgrader/manage_assignments"))
    row = formgrader_row(i_page, LESSON)
    row.locator("td.assign a").click()
    accept_modal(i_page)
    row.locator("td.release a").click()
    accept_modal(i_page)
    row.locator("td.status", has_text="released").wait_for()
    shot(i_page, "06_formgrader_released")

    # Student: solve the notebook (the solution code in the released copy), validate it.
    release = root / "notebooks" / LESSON / NOTEBOOK
    solved_copy(release, root / "solutions" / LESSON / NOTEBOOK, release)
    open_notebook(s_server, s_page, f"{LESSON}/{NOTEBOOK}")
    assert validate(s_page) == "success"
    shot(s_page, "07_student_validate_success")
    close_dialog(s_page)

    # Student: submit from nbgrader's assignment list.
    s_page.goto(s_server.url("lab?reset"))
    menu(s_page, "Nbgrader", "Assignment List")
    fetched = s_page.locator("#fetched_assignments_list")
    fetched.locator("button", has_text="Submit").first.click()
    s_page.locator("#submitted_assignments_list", has_text=LESSON).wait_for(timeout=CELL_TIMEOUT_MS)
    shot(s_page, "08_student_submitted")

    # Instructor: collect, open the submissions, autograde.
    i_page.reload()
    row = formgrader_row(i_page, LESSON)
    row.locator("td.collect a").click()
    accept_modal(i_page)
    row.locator("td.num-submissions a", has_text="1").click()
    sub = i_page.locator("tr", has=i_page.locator("td.autograde a"))
    sub.first.wait_for()
    sub.first.locator("td.autograde a").click()
    accept_modal(i_page)
    score = sub.first.locator("td.score")
    score.filter(has_text=re.compile(r"\d")).wait_for()
    shot(i_page, "09_formgrader_autograded")
    got, total = (float(v) for v in re.findall(r"[\d.]+", score.inner_text())[:2])
    assert total > 0 and got == total, f"solved copy scored {score.inner_text()}"
