//! Runs real `.lua` scripts through the real `tinn` binary and checks what they print.
//!
//! Each case names a script under `tests/`. Beside it, `<script>.out` is the stdout expected
//! (exactly, but for `[varies]`, any text, and `[lines vary]`, any lines; a case without one
//! says why: `=> stdout unchecked "reason"`), and `<script>.err` (if present) lists lines that
//! must each appear in stderr.
//! The exit status must match (0 unless the case says otherwise). Topic modules hold the tests
//! that need more than a script (signals, C modules, the command line).

mod busy;
mod cli;
mod cmodules;
mod dns;
mod pg;
mod docs;
mod http;
mod http2;
mod http_examples;
mod journal;
mod repl;
mod shadow;
mod shutdown;
mod support;
mod test_runner;
mod types;

use support::{check_script, Expect};

macro_rules! script_tests {
    ($($name:ident: $path:literal $(=> exit $status:literal)? $(=> stdout unchecked $reason:literal)?;)*) => {
        $(
            #[test]
            fn $name() {
                #[allow(unused_mut)]
                let mut expect = Expect::default();
                $(expect.status = $status;)?
                $(expect.stdout_unchecked = Some($reason);)?
                check_script($path, expect);
            }
        )*
    };
}

script_tests! {
    hello_example: "../examples/hello.lua";
    signals_example: "../examples/signals.lua";
    periodic_example: "../examples/periodic.lua";
    application_module: "runtime/application.lua";
    application_methods_with_colon: "runtime/application_methods.lua";
    misuse_messages_say_what_to_do: "runtime/misuse_messages.lua";
    out_of_range_arguments_name_function_and_argument: "runtime/range_arguments.lua";
    each_crate_reports_errors_as_one_plain_sentence: "runtime/error_messages.lua";
    main_task_waiting_forever_exits_13: "runtime/main_waits_forever.lua" => exit 13;
    main_task_joining_a_stuck_task_exits_13: "runtime/main_waits_on_join.lua" => exit 13;
    main_task_waiting_only_for_an_os_signal_exits_13: "runtime/main_waits_for_os_signal.lua" => exit 13;
    on_signal_registers_at_call_delay_periodic_default_1000: "runtime/on_signal_registers_at_call.lua";
    round_robin: "runtime/round_robin.lua";
    handles_close_is_closed_tostring_settimeout: "runtime/handles.lua";
    spawn_and_handles: "runtime/spawn_and_handles.lua";
    sleep_order: "runtime/sleep_order.lua";
    timer_disarm: "runtime/timer_disarm.lua";
    delay: "runtime/delay.lua";
    periodic: "runtime/periodic.lua";
    wait_for: "runtime/wait_for.lua";
    when_whenever: "runtime/when_whenever.lua";
    named_signals: "runtime/named_signals.lua";
    join: "runtime/join.lua";
    cancel: "runtime/cancel.lua";
    stop_with_pending_tasks: "runtime/stop_pending.lua" => exit 3;
    uncaught_error_fails_fast: "runtime/uncaught_error.lua" => exit 1;
    on_error_keeps_running: "runtime/on_error.lua";
    predicate_error_fails_only_its_task: "runtime/predicate_error.lua";
    user_coroutines: "runtime/coroutines.lua";
    outside_a_task: "runtime/outside_task.lua";
    bad_arguments: "runtime/bad_arguments.lua";
    signal_waiters_do_not_keep_alive: "runtime/signal_liveness.lua";
    task_list: "runtime/task_list.lua";
    many_tasks: "runtime/many_tasks.lua";
    slot_reuse: "runtime/slot_reuse.lua";
    periodic_ticks_while_a_task_yields: "runtime/periodic_vs_yielder.lua";
    ffi_bit_jit: "runtime/ffi_bit_jit.lua";
    c_modules_cjson_and_lpeg_from_debian: "cmodules/cjson_lpeg.lua";
    require_beside_script: "runtime/require_beside.lua";
    // tinn.net
    net_echo_1mb_through_100_connections: "net/echo_many.lua";
    net_partial_line_and_exact_reads: "net/reads.lua";
    net_timeouts: "net/timeouts.lua";
    net_errors_name_operation_and_address: "net/errors.lua";
    net_no_descriptor_leak: "net/no_fd_leak.lua";
    net_udp: "net/udp.lua";
    net_timed_out_write_reports_bytes_sent: "net/write_timeout.lua";
    net_streams_ipv6_ffi_close_and_handler_errors: "net/streams.lua";
    net_stream_fields_overwritten_give_lua_errors_not_crashes: "net/stream_fields.lua";
    net_parked_reads_keep_call_order_through_timeouts_cancels_and_close: "net/parked_reads.lua";
    net_waits_outliving_thousands_or_parked_by_thousands_get_their_own_results: "net/many_waits.lua";
    net_host_names_resolve_through_tinn_dns: "net/names.lua";
    net_example_echo_client: "../examples/net/echo_client.lua";
    net_example_udp_ping_pong: "../examples/net/udp_ping_pong.lua";
    // libraries (pure Lua, embedded)
    lib_collections: "lua/collections_test.lua";
    lib_fun: "lua/fun_test.lua";
    lib_stopwatch: "lua/stopwatch_test.lua";
    lib_striter_msiterators: "lua/striter_test.lua";
    lib_text_utf16: "lua/text_test.lua";
    // tinn.json
    json_round_trips_and_errors: "json/json.lua";
    json_edge_cases_numbers_strings_nesting_shapes_errors: "json/edges.lua";
    // tinn.http
    http_server_and_client: "http/server_client.lua";
    http_malformed_concurrent_and_large_bodies: "http/robustness.lua";
    http_websocket_echo_chat_and_vanishing_client: "http/websocket.lua";
    http_handler_end_releases_sockets_and_websocket_close_codes: "http/release.lua";
    http_response_headers_set_replaced_and_cleared: "http/response_headers.lua";
    http_client_closing_its_sending_side_still_gets_the_response: "http/half_close.lua";
    http_timed_out_reads_and_writes_lose_nothing: "http/body_reads.lua";
    http_client_request_times_out: "http/client_timeout.lua";
    http_idle_body_and_header_count_limits: "http/limits.lua";
    http_close_drains_in_flight_requests_and_refuses_new_ones: "http/drain.lua";
    http_access_log_in_combined_format: "http/access_log.lua";
    http_compress_gzips_text_for_clients_that_accept_it: "http/compress.lua";
    http_static_refuses_symlinks_out_unless_followed: "http/static_symlinks.lua";
    http_serve_listens_on_the_addresses_tcp_listen_takes: "http/listen_addresses.lua";
    http_handlers_that_wait_never_hold_up_others_and_tasks_are_reused: "http/handler_tasks.lua";
    http_static_answers_several_ranges_as_multipart_byteranges: "http/static_ranges.lua";
    // fs and log
    fs_files: "fs/files.lua";
    fs_errors_missing_and_permission_denied: "fs/errors.lua";
    fs_large_file_round_trip: "fs/large.lua";
    fs_concurrent_readers_and_writers: "fs/concurrent.lua";
    fs_atomic_write_keeps_old_content_on_failure: "fs/atomic.lua";
    fs_timeouts: "fs/timeouts.lua";
    fs_long_line_reads_in_linear_time: "fs/long_line.lua";
    fs_example_copy_file: "../examples/copy_file.lua";
    log_levels_format_flush_close: "log/basic.lua";
    log_rotation: "log/rotation.lua";
    log_flushed_at_exit: "log/exit_flush.lua";
    log_timeouts: "log/timeouts.lua";
    // tinn.process
    process_pipes_env_cwd: "process/pipes.lua";
    process_wait_kill_timeouts_exec: "process/waits.lua";
    process_errors_name_the_command: "process/errors.lua";
    sql_every_type_both_ways: "sql/types.lua";
    sql_transactions_commit_and_roll_back: "sql/transaction.lua";
    sql_rows_stream_in_batches: "sql/rows.lua";
    sql_timeout_returns_at_once: "sql/timeout.lua";
    sql_run_many_all_or_nothing: "sql/run_many.lua";
    sql_errors_name_operation_and_code: "sql/errors.lua";
    sql_thousand_tasks_query_at_once: "sql/concurrency.lua";
    sql_periodic_ticks_during_slow_query: "sql/slow_query.lua";
    sql_two_connections_one_file: "sql/two_connections.lua";
    sql_second_process_writes_same_file: "sql/second_process.lua";
    sql_first_reads_one_row_alone: "sql/first.lua";
    process_example_cat_and_exec: "../examples/process/cat.lua";
    // tinn.sys
    sys_values_match_proc: "sys/info.lua";
    sys_batteries_and_monitors_from_sysfs: "sys/hardware.lua";
    sys_example_report: "../examples/sys/report.lua";
    // DeviceRecordSet
    devices_match_sys_and_iterate_statelessly: "devices/devices.lua";
    // Lists this machine's own disks and adapters (none in some containers); devices/devices.lua
    // checks the same calls against sysfs.
    devices_example_storage: "../examples/devices/storage.lua" => stdout unchecked "this machine's devices";
    // tinn.journal / ChangeJournal
    journal_reasons_masks_offline_changes_and_deleted_root: "journal/basic.lua";
    journal_100k_operations_in_order_with_reader_restart: "journal/burst.lua";
    journal_overflow_reported_and_rescanned: "journal/overflow.lua";
    journal_big_directory_moved_in_reported_whole: "journal/big_move.lua";
    journal_keeps_up_while_the_event_loop_is_busy: "journal/busy_loop.lua";
    journal_example_watch_with_periodic_tick: "../examples/journal/watch.lua";
    // tinn.dns (the dnsmasq tests are in dns.rs)
    dns_hostile_server_lies_dropped_truncation_over_tcp_timeouts_rcodes: "dns/hostile.lua";
    dns_resolve_from_hosts_file_and_misuse: "dns/system.lua";
    // tinn.worker
    worker_ping_pong_100k_messages: "worker/ping_pong.lua";
    worker_fan_out_fan_in_over_4_workers: "worker/fan_out.lua";
    worker_10mb_binary_string_message: "worker/large_message.lua";
    worker_nested_tables_round_trip_equal: "worker/nested_tables.lua";
    worker_bad_messages_name_the_path: "worker/bad_messages.lua";
    worker_errors_reach_join: "worker/errors.lua";
    worker_failing_unjoined_fails_fast: "worker/unjoined_failure.lua" => exit 1;
    worker_failing_unjoined_goes_to_on_error: "worker/unjoined_failure_on_error.lua";
    worker_quit_while_receiving_or_sleeping: "worker/quit.lua";
    worker_100_workers_leave_no_thread_or_fd: "worker/no_thread_leak.lua";
    worker_full_queue_suspends_only_the_poster: "worker/backpressure.lua";
    worker_timed_out_receives_strand_no_message: "worker/receive_race.lua";
    worker_buffers_move_without_copying: "worker/buffers.lua";
    worker_channels_connect_workers_directly: "worker/channels.lua";
    worker_spawn_paths_from_cwd_or_the_calling_script: "worker/paths.lua";
    worker_example_ping_pong: "../examples/workers/ping_pong.lua";
    worker_example_pool: "../examples/workers/pool.lua";
}
