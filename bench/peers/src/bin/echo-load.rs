//! Load client for bench/run: `echo-load PORT CONNECTIONS SECONDS` measures, against an echo
//! server on 127.0.0.1:PORT, round trips per second (64-byte messages, one in flight per
//! connection) and then throughput (64 KiB writes echoed back), each for SECONDS.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn arg(n: usize, default: u64) -> u64 {
    std::env::args().nth(n).and_then(|a| a.parse().ok()).unwrap_or(default)
}

async fn round_trips(port: u16, until: Instant) -> std::io::Result<u64> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await?;
    socket.set_nodelay(true)?;
    let message = [7u8; 64];
    let mut reply = [0u8; 64];
    let mut count = 0;
    while Instant::now() < until {
        socket.write_all(&message).await?;
        socket.read_exact(&mut reply).await?;
        count += 1;
    }
    Ok(count)
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
    let seconds = arg(3, 3);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async {
        let until = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections).map(|_| tokio::spawn(round_trips(port, until))).collect();
        let mut trips = 0;
        for task in tasks {
            trips += task.await.map_err(std::io::Error::other)??;
        }
        let until = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..connections.min(8)).map(|_| tokio::spawn(throughput(port, until))).collect();
        let mut bytes = 0;
        for task in tasks {
            bytes += task.await.map_err(std::io::Error::other)??;
        }
        println!("{} {:.1}", trips / seconds, bytes as f64 / seconds as f64 / 1e6);
        Ok(())
    })
}
