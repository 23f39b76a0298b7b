//! Cold init alone, without a data store: spawn → first `GET …/invocation/next` of each release
//! binary (the bench's launcher and fake Runtime API, as `make bench` section 2 measures it),
//! the binaries taking turns, `hello-lambda` first as the baseline. Prints a Markdown table of
//! medians and their ratio to hello-lambda.
//!
//! Run: `cargo build --release -p bench --bin cold-init -p <function>…`, then
//! `target/release/cold-init [--spawns N] [FUNCTION…]` (default: every function found next to
//! it). No process contacts a server during init, so the endpoints may point nowhere; the
//! variables the functions require get local defaults unless set.

use bench::function::{Launcher, ALL_FUNCTIONS, INIT_DEFAULTS, INIT_TIMEOUT};
use std::time::Duration;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut spawns = 20usize;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--spawns" => {
                spawns = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--spawns takes a positive number")?
            }
            "-h" | "--help" => {
                println!("cold-init [--spawns N] [FUNCTION...]");
                return Ok(());
            }
            name => names.push(name.to_string()),
        }
    }
    let bin_dir = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .ok_or("no directory for the binary")?
        .to_path_buf();
    let log_dir = std::env::temp_dir().join("incident-desk-cold-init");
    std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
    let env = INIT_DEFAULTS
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                std::env::var(k).unwrap_or_else(|_| v.to_string()),
            )
        })
        .collect();
    let launcher = Launcher {
        bin_dir,
        log_dir,
        store_env: env,
        runner: Vec::new(),
        unpacked: false,
        init_timeout: INIT_TIMEOUT,
    };
    if names.is_empty() {
        names = ALL_FUNCTIONS
            .iter()
            .filter(|n| launcher.binary(n).is_file())
            .map(|n| n.to_string())
            .collect();
    }
    names.insert(0, "hello-lambda".to_string());
    let mut init: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..spawns {
        for (i, name) in names.iter().enumerate() {
            let f = launcher.start(name).await?;
            init[i].push(f.init.as_secs_f64() * 1000.0);
            f.stop().await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let hello = median(init[0].clone());
    println!("| binary | n | median ms | min ms | max ms | median ÷ hello-lambda |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, samples) in names.iter().zip(init) {
        let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
        let max = samples.iter().copied().fold(0.0, f64::max);
        let m = median(samples.clone());
        println!(
            "| {name} | {} | {m:.2} | {min:.2} | {max:.2} | {:.2}× |",
            samples.len(),
            m / hello
        );
    }
    Ok(())
}
