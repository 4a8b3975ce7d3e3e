-- Issue 15.2: waiting for an OS signal alone does not keep a program alive (as in Node); when
-- the main task is left doing only that, tinn says so instead of exiting 0.
print("waiting for SIGTERM")
waitSignal("SIGTERM")
print("after")
