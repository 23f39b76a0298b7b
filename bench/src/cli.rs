//! The bench's command line. `scripts/bench.sh` passes `--out`, `--zips`, `--sweep`,
//! `--samples`, `--logs`, `--requests` and `--spawns`; the others keep their defaults there.

use clap::Parser;
use std::path::PathBuf;

/// Latency through the release handlers against the raw store floor, cold init and peak memory,
/// with the zip sizes and sweep scaling measured by `scripts/bench.sh`, as one Markdown report.
///
/// Reads `TABLE_NAME`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, `CURSOR_KEY` and credentials,
/// as the functions do; finds the function binaries next to its own.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(name = "bench", args_override_self = true)]
pub struct Options {
    /// Where the Markdown report is written.
    #[arg(long, value_name = "FILE", default_value = "bench/report.md")]
    pub out: PathBuf,
    /// `name<TAB>binary bytes<TAB>zip bytes` lines (section 3); without it, not measured.
    #[arg(long, value_name = "FILE")]
    pub zips: Option<PathBuf>,
    /// sweep-bench's Markdown output, put verbatim into section 5.
    #[arg(long, value_name = "FILE")]
    pub sweep: Option<PathBuf>,
    /// Writes every latency in ms, in the order measured, as JSON.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
    /// The functions' log files go here.
    #[arg(long, value_name = "DIR", default_value_os_t = default_logs())]
    pub logs: PathBuf,
    /// Requests per handler route (intake, response, closure); 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 300, value_parser = at_least_one)]
    pub requests: usize,
    /// Spawns of each binary for cold init; 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one)]
    pub spawns: usize,
    /// `GET /packs` requests in all; 0 counts as 1.
    #[arg(long = "pack-reads", value_name = "N", default_value_t = 200, value_parser = at_least_one)]
    pub pack_reads: usize,
    /// Sweeps with nothing due, and hello-lambda echoes; 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one)]
    pub sweeps: usize,
    /// Refund closures and pack claims, for their store calls; 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one)]
    pub extras: usize,
    /// Intakes at each concurrency level of the throughput run (1 and 8); 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = at_least_one)]
    pub throughput: usize,
    /// Incidents per batch (the table is emptied after each); 0 counts as 1.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = at_least_one)]
    pub batch: usize,
    /// Only the ownership routes' store calls (assignment, the filtered lists, the engineers),
    /// `extras` of each, printed as section 6's rows; no report is written. Needs only the
    /// intake, response and pack-purchase binaries (debug ones do: calls do not depend on it).
    #[arg(long = "only-ownership")]
    pub only_ownership: bool,
}

fn default_logs() -> PathBuf {
    std::env::temp_dir().join("incident-desk-bench")
}

/// A count, raised to 1 if it is 0 (as the bench has always taken it).
fn at_least_one(v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .map(|n| n.max(1))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_without_arguments() {
        let o = parse(&[]).unwrap();
        assert_eq!(o.out, PathBuf::from("bench/report.md"));
        assert_eq!((o.zips, o.sweep, o.samples), (None, None, None));
        assert_eq!(o.logs, std::env::temp_dir().join("incident-desk-bench"));
        assert_eq!(
            (o.requests, o.spawns, o.pack_reads, o.sweeps, o.batch),
            (300, 20, 200, 20, 10)
        );
        assert_eq!((o.extras, o.throughput), (20, 200));
    }

    #[test]
    fn parses_what_scripts_bench_sh_passes() {
        let o = parse(&[
            "--out",
            "/r/bench/report.md",
            "--zips",
            "/s/zips.tsv",
            "--sweep",
            "/s/sweep.md",
            "--samples",
            "/r/bench/samples.json",
            "--logs",
            "/s/logs",
            "--requests",
            "300",
            "--spawns",
            "20",
        ])
        .unwrap();
        assert_eq!(o.out, PathBuf::from("/r/bench/report.md"));
        assert_eq!(o.zips, Some(PathBuf::from("/s/zips.tsv")));
        assert_eq!(o.sweep, Some(PathBuf::from("/s/sweep.md")));
        assert_eq!(o.samples, Some(PathBuf::from("/r/bench/samples.json")));
        assert_eq!(o.logs, PathBuf::from("/s/logs"));
        assert_eq!((o.requests, o.spawns), (300, 20));
    }

    #[test]
    fn the_other_counts_and_zero_counting_as_one() {
        let o = parse(&[
            "--pack-reads",
            "7",
            "--sweeps",
            "0",
            "--batch",
            "3",
            "--requests",
            "0",
            "--extras",
            "4",
            "--throughput",
            "0",
        ])
        .unwrap();
        assert_eq!((o.pack_reads, o.sweeps, o.batch, o.requests), (7, 1, 3, 1));
        assert_eq!((o.extras, o.throughput), (4, 1));
    }

    #[test]
    fn a_repeated_option_takes_the_last_value() {
        let o = parse(&["--requests", "5", "--requests", "9"]).unwrap();
        assert_eq!(o.requests, 9);
    }

    #[test]
    fn refuses_unknown_options_missing_values_and_non_numbers() {
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--out"]).is_err());
        assert!(parse(&["--requests", "many"]).is_err());
        assert!(parse(&["--spawns", "-3"]).is_err());
        assert!(parse(&["stray"]).is_err());
    }
}
