//! The event loop's timer. tokio's timer wheel has millisecond ticks and rounds every deadline
//! up to the next one, so `sleep(1)` took about 2 ms; a timerfd wakes the loop at the deadline
//! itself (within the kernel's timer slack, ~50 µs).

use std::time::Duration;

/// Sleeps for a duration with the platform's best resolution.
pub(crate) struct Timer {
    fd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl Timer {
    /// A timer; where the precise one cannot be made, `sleep` falls back to tokio's.
    pub(crate) fn new() -> Timer {
        Timer { fd: linux::timerfd().ok() }
    }

    /// Waits `wait`. Dropping the future early is fine: the next call re-arms the timer.
    pub(crate) async fn sleep(&self, wait: Duration) {
        if let Some(fd) = &self.fd {
            if linux::sleep(fd, wait).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep(wait).await;
    }
}

mod linux {
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::Duration;

    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;

    pub(super) fn timerfd() -> io::Result<AsyncFd<OwnedFd>> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new descriptor we own.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: the OwnedFd is a valid, open descriptor that the AsyncFd owns until dropped.
        unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.map_err(io::Error::from)
    }

    /// Reads the expiration count; `WouldBlock` when the timer has not fired.
    fn read_expirations(fd: &OwnedFd) -> io::Result<()> {
        let mut count = [0u8; 8];
        // SAFETY: reads at most 8 bytes into a buffer of 8.
        let read = unsafe { libc::read(fd.as_raw_fd(), count.as_mut_ptr().cast(), count.len()) };
        if read < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub(super) async fn sleep(fd: &AsyncFd<OwnedFd>, wait: Duration) -> io::Result<()> {
        // An expiration left over from a sleep that was dropped early must not end this one.
        let _ = read_expirations(fd.get_ref());
        // A zero it_value would disarm the timer: wait at least a nanosecond.
        let nanos = wait.subsec_nanos().max(u32::from(wait.as_secs() == 0));
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec {
                tv_sec: libc::time_t::try_from(wait.as_secs()).unwrap_or(libc::time_t::MAX),
                tv_nsec: libc::c_long::from(nanos as i32),
            },
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not asked for.
        if unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) } < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            let mut ready = fd.readable().await?;
            match read_expirations(fd.get_ref()) {
                Ok(()) => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => ready.clear_ready(),
                Err(err) => return Err(err),
            }
        }
    }
}
