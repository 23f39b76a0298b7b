//! A fault-injecting TCP proxy between the functions and the local data store. The mode is read
//! for every chunk, so pooled keep-alive connections feel a change at once.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Bytes flow both ways.
    Pass = 0,
    /// New connections are closed at once and open ones are dropped: the store is unreachable.
    Refuse = 1,
    /// Nothing is forwarded in either direction: requests hang until the client gives up.
    Stall = 2,
    /// Requests reach the store, but responses are cut off half way: the client cannot know
    /// whether its write happened.
    ResetMidResponse = 3,
}

impl Mode {
    fn from_u8(v: u8) -> Mode {
        match v {
            1 => Mode::Refuse,
            2 => Mode::Stall,
            3 => Mode::ResetMidResponse,
            _ => Mode::Pass,
        }
    }
}

#[derive(Clone)]
pub struct FaultProxy {
    mode: Arc<AtomicU8>,
    injected: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:listen_port` and forwards to `upstream` (`host:port`).
    pub async fn start(listen_port: u16, upstream: String) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind(("127.0.0.1", listen_port)).await?;
        let proxy = FaultProxy {
            mode: Arc::new(AtomicU8::new(Mode::Pass as u8)),
            injected: Arc::new(AtomicUsize::new(0)),
        };
        let mode = proxy.mode.clone();
        let injected = proxy.injected.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = mode.clone();
                let injected = injected.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if Mode::from_u8(mode.load(Ordering::SeqCst)) == Mode::Refuse {
                        injected.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        pump(client, server, mode, injected).await;
                    }
                });
            }
        });
        Ok(proxy)
    }

    /// How many times a fault was injected (a connection refused, stalled or cut).
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
}

async fn pump(
    client: TcpStream,
    server: TcpStream,
    mode: Arc<AtomicU8>,
    injected: Arc<AtomicUsize>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_mode = mode.clone();
    let up_injected = injected.clone();
    let upstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            match Mode::from_u8(up_mode.load(Ordering::SeqCst)) {
                Mode::Refuse => {
                    up_injected.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                Mode::Stall => {
                    up_injected.fetch_add(1, Ordering::SeqCst);
                    std::future::pending::<()>().await
                }
                Mode::Pass | Mode::ResetMidResponse => {
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let downstream = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            match Mode::from_u8(mode.load(Ordering::SeqCst)) {
                Mode::Refuse => {
                    injected.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                Mode::Stall => {
                    injected.fetch_add(1, Ordering::SeqCst);
                    std::future::pending::<()>().await
                }
                Mode::ResetMidResponse => {
                    injected.fetch_add(1, Ordering::SeqCst);
                    let _ = client_write.write_all(&buf[..n / 2]).await;
                    return;
                }
                Mode::Pass => {
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    // When either direction ends, both halves are dropped and the connection closes.
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
