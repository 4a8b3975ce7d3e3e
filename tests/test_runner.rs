//! `tinn test` on the fixture folder `tests/test_runner/fixtures` (passing, failing, erroring,
//! timing-out, async and plain-script test files): exact counts, messages and exit status.

use crate::support::{status_of, tinn};

fn tinn_test(args: &[&str]) -> (i32, String, String) {
    let output = tinn().arg("test").args(args).output().expect("the tinn binary runs");
    (
        status_of(&output),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("")
}

#[test]
fn fixture_folder_counts_and_exit_status() {
    let (status, stdout, stderr) = tinn_test(&["test_runner/fixtures"]);
    // passed: passing 7, failing 1, erroring 1, timeout 1, async 4, script 1;
    // failed: failing 4, erroring 3, timeout 1
    assert_eq!(last_line(&stdout), "15 passed, 8 failed", "{stdout}\n{stderr}");
    assert_eq!(status, 1, "{stdout}");
    for expected in [
        // the expectation, the values and file:line
        "FAIL  toBe fails",
        "test_runner/fixtures/failing_test.lua:5: expect(received):toBe(expected)",
        "expected: 3",
        "received: 2",
        "first difference at .a[2]: expected 3, received 2",
        "test_runner/fixtures/failing_test.lua:13: expect(received):toError(\"boom\")",
        "the function returned without raising an error",
        "expect(received).never:toBe(expected)",
        // plain errors carry a traceback of user code
        "test_runner/fixtures/erroring_test.lua:3: exploded in helper",
        "erroring_test.lua:6: in function <test_runner/fixtures/erroring_test.lua:5>",
        // background task errors and stray tasks fail the test that started them
        "background failure",
        "left running after the test ended (join or cancel them): task",
        "(forgotten sleeper, sleeping)",
        "ok    still runs after the others",
        // timeouts
        "FAIL  sleeps too long",
        "timed out after 100 ms",
        "ok    runs after the timeout",
        // async
        "ok    a TCP echo over loopback",
        "ok    matchers > toEqual is deep and survives cycles",
        "ok    outer > inner > runs",
        "ok    test_runner/fixtures/script_test.lua (script without tests)",
    ] {
        assert!(stdout.contains(expected), "output lacks {expected:?}:\n{stdout}");
    }
    assert!(!stdout.contains("tinn/test"), "runtime frames are trimmed from tracebacks:\n{stdout}");
}

#[test]
fn passing_files_exit_zero() {
    let (status, stdout, _) =
        tinn_test(&["test_runner/fixtures/passing_test.lua", "test_runner/fixtures/async_test.lua"]);
    assert_eq!((status, last_line(&stdout)), (0, "11 passed, 0 failed"), "{stdout}");
}

#[test]
fn filter_selects_tests_by_full_name() {
    let (status, stdout, _) = tinn_test(&["test_runner/fixtures", "--filter", "matchers > to"]);
    assert_eq!((status, last_line(&stdout)), (0, "3 passed, 0 failed"), "{stdout}");
    let (status, stdout, _) = tinn_test(&["test_runner/fixtures", "--filter", "fails$"]);
    assert_eq!((status, last_line(&stdout)), (1, "0 passed, 2 failed"), "{stdout}");
    // files with no selected test print nothing
    assert!(!stdout.contains("timeout_test.lua"), "{stdout}");
}

#[test]
fn timeout_option_changes_the_default() {
    let (status, stdout, _) = tinn_test(&["test_runner/fixtures/async_test.lua", "--timeout", "5"]);
    assert_eq!(status, 1);
    assert!(stdout.contains("FAIL  sleep suspends only this test"), "{stdout}");
    assert!(stdout.contains("timed out after 5 ms"), "{stdout}");
}

#[test]
fn default_search_skips_fixtures_and_missing_paths_are_errors() {
    // `tests/` holds the project's own *_test.lua files; the fixtures folder is not searched.
    let (status, stdout, stderr) = tinn_test(&["test_runner"]);
    assert_eq!((status, last_line(&stdout)), (1, "0 passed, 0 failed"), "{stdout}");
    assert!(stderr.contains("no *_test.lua files under test_runner"), "{stderr}");
    let (status, _, stderr) = tinn_test(&["no/such/dir"]);
    assert_eq!(status, 1);
    assert!(stderr.contains("cannot read 'no/such/dir'"), "{stderr}");
}

#[test]
fn a_file_that_does_not_compile_fails_once_and_the_rest_run() {
    let dir = std::env::temp_dir().join(format!("tinn-test-runner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("a_test.lua"), "test('x', function() end\n").expect("write");
    std::fs::write(dir.join("b_test.lua"), "test('y', function() expect(1):toBe(1) end)\n").expect("write");
    std::fs::write(dir.join("c_test.lua"), "test('stops', function() stop(3) end)\ntest('never', function() end)\n")
        .expect("write");
    let (status, stdout, _) = tinn_test(&[dir.to_str().expect("utf-8 temp path")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!((status, last_line(&stdout)), (1, "1 passed, 2 failed"), "{stdout}");
    assert!(stdout.contains("'(' expected") || stdout.contains("')' expected"), "{stdout}");
    assert!(stdout.contains("ended before its tests finished"), "{stdout}");
}

#[test]
fn the_projects_lua_tests_pass() {
    let (status, stdout, stderr) = tinn_test(&["lua"]);
    assert_eq!(status, 0, "{stdout}\n{stderr}");
    assert!(last_line(&stdout).ends_with(" passed, 0 failed"), "{stdout}");
}

#[test]
fn a_worker_left_running_is_quit_when_the_file_ends() {
    let (status, stdout, stderr) = tinn_test(&["worker/fixtures/worker_left_running_test.lua"]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(stdout.contains("worker got QUIT"), "the worker was quit, not waited for: {stdout}");
    assert_eq!(last_line(&stdout), "1 passed, 0 failed", "{stdout}");
}
