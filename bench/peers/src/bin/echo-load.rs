//! Load client for bench/run: `echo-load PORT CONNECTIONS SECONDS [SERVER_PID]` measures, against
//! an echo server on 127.0.0.1:PORT, round trips per second (64-byte messages, one in flight per
//! connection) and then throughput (64 KiB writes echoed back), each for SECONDS. Given the
//! server's PID, it also prints the server's CPU time (utime + stime) per round trip in µs: the
//! figure a load client sharing the cores does not distort.
//!
//! `echo-load PORT CONNECTIONS --round-trips N` instead makes exactly N round trips in all (N /
//! CONNECTIONS per connection) and exits: for profiles that count work per round trip
//! (`valgrind --tool=callgrind`, `strace -c`), where a fixed amount of work matters, not time.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

/// Clock ticks per second in /proc/PID/stat (USER_HZ, 100 on Linux whatever the kernel's HZ).
const USER_HZ: f64 = 100.0;

/// CPU seconds (user + system) process `pid` has used so far, from /proc/PID/stat.
fn cpu_seconds(pid: u64) -> std::io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // the command name (field 2) may hold spaces: count fields after its closing parenthesis
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> std::io::Result<f64> {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .ok_or_else(|| std::io::Error::other(format!("/proc/{pid}/stat has no field {}", index + 3)))
    };
    // utime and stime are fields 14 and 15; field 3 is the first after the name
    Ok((ticks(11)? + ticks(12)?) / USER_HZ)
}

/// When a connection stops making round trips.
#[derive(Clone, Copy)]
enum Stop {
    At(Instant),
    After(u64),
}

async fn round_trips(port: u16, stop: Stop) -> std::io::Result<u64> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await?;
    socket.set_nodelay(true)?;
    let message = [7u8; 64];
    let mut reply = [0u8; 64];
    let mut count = 0;
    while match stop {
        Stop::At(until) => Instant::now() < until,
        Stop::After(limit) => count < limit,
    } {
        socket.write_all(&message).await?;
        socket.read_exact(&mut reply).await?;
        count += 1;
    }
    Ok(count)
}

/// Round trips made by `connections` connections at once, in all.
async fn all_round_trips(port: u16, connections: u64, stop: Stop) -> std::io::Result<u64> {
    let tasks: Vec<_> = (0..connections).map(|_| tokio::spawn(round_trips(port, stop))).collect();
    let mut trips = 0;
    for task in tasks {
        trips += task.await.map_err(std::io::Error::other)??;
    }
    Ok(trips)
}

async fn throughput(port: u16, until: Instant) -> std::io::Result<u64> {
    let socket = TcpStream::connect(("127.0.0.1", port)).await?;
    socket.set_nodelay(true)?;
    let (mut reader, mut writer) = socket.into_split();
    let sender = tokio::spawn(async move {
        let chunk = vec![1u8; 65536];
        while Instant::now() < until {
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    let mut buf = vec![0u8; 65536];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n as u64,
        }
    }
    let _ = sender.await;
    Ok(total)
}

fn main() -> std::io::Result<()> {
    let port = u16::try_from(arg(1, 0)).map_err(|_| std::io::Error::other("port must fit 16 bits"))?;
    let connections = arg(2, 32);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    if std::env::args().nth(3).as_deref() == Some("--round-trips") {
        let per_connection = arg(4, 10_000) / connections.max(1);
        return runtime.block_on(async {
            println!("{}", all_round_trips(port, connections, Stop::After(per_connection)).await?);
            Ok(())
        });
    }
    let seconds = arg(3, 3);
    let server_pid = std::env::args().nth(4).and_then(|a| a.parse::<u64>().ok());
    runtime.block_on(async {
        let cpu_before = server_pid.map(cpu_seconds).transpose()?;
        let until = Instant::now() + Duration::from_secs(seconds);
        let trips = all_round_trips(port, connections, Stop::At(until)).await?;
        let cpu_per_trip = match (server_pid, cpu_before) {
            (Some(pid), Some(before)) => Some((cpu_seconds(pid)? - before) * 1e6 / trips.max(1) as f64),
            _ => None,
        };
        let until = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections.min(8)).map(|_| tokio::spawn(throughput(port, until))).collect();
        let mut bytes = 0;
        for task in tasks {
            bytes += task.await.map_err(std::io::Error::other)??;
        }
        let cpu = cpu_per_trip.map(|us| format!(" {us:.2}")).unwrap_or_default();
        println!("{} {:.1}{cpu}", trips / seconds, bytes as f64 / seconds as f64 / 1e6);
        Ok(())
    })
}
