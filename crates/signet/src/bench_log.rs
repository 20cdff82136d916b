//! `signet bench log`: durable appends/s with server-side signature checks, without HTTP and
//! without the client's own signing on the same cores (signet_server::ops::bench_log_appends):
//! proposed hashedrekord entries are signed up front; then C concurrent tasks each validate one
//! (JSON, PEM, ECDSA verification, canonical JSON) and append it durably to a fresh log, as
//! `POST /api/v1/log/entries` does before answering.

use clap::Args;

use signet_cli::Failure;

/// `signet bench log`.
#[derive(Args, Debug)]
pub struct BenchLogArgs {
    /// Entries to append.
    #[arg(long, default_value_t = 50_000)]
    pub entries: usize,
    /// Concurrent appenders.
    #[arg(long, default_value_t = 512)]
    pub concurrency: usize,
}

/// Entry point.
pub fn run(a: BenchLogArgs) -> Result<(), Failure> {
    eprintln!("signing {} proposed entries...", a.entries);
    let rt = crate::runtime()?;
    let r = rt
        .block_on(signet_server::ops::bench_log_appends(
            a.entries,
            a.concurrency,
        ))
        .map_err(|e| Failure::Other(e.into()))?;
    let lat = &r.latencies;
    let p = |q: f64| {
        lat.get(((lat.len().max(1) - 1) as f64 * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{} entries validated (ECDSA P-256 verify, canonical JSON) and durably appended in {:.2} s: {:.0}/s with {} concurrent appenders; latency p50 {:.1} ms p99 {:.1} ms",
        r.entries,
        r.elapsed.as_secs_f64(),
        r.entries as f64 / r.elapsed.as_secs_f64(),
        a.concurrency,
        p(0.5),
        p(0.99)
    );
    println!(
        "disk: {:.0} bytes/entry ({} bytes, entries of ~{} bytes)",
        r.disk_bytes as f64 / r.entries.max(1) as f64,
        r.disk_bytes,
        r.entry_bytes
    );
    Ok(())
}
