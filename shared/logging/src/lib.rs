//! The functions' log output, as lambda_runtime's `init_default_subscriber` gives it (and as the
//! template's `LoggingConfig: LogFormat: JSON` expects): one line per event on stdout, JSON
//! when `AWS_LAMBDA_LOG_FORMAT=JSON` (Lambda sets it from `LoggingConfig`; `scripts/stack.sh`
//! and the bench set it locally), else tracing's plain format; no time stamp (Lambda adds its
//! own) and no target.
//!
//! The level, as there too: the directives of `RUST_LOG` (`info`, `store=debug,warn`, …) if it
//! has any, else the level of `AWS_LAMBDA_LOG_LEVEL` (what `ApplicationLogLevel` sets), else
//! that of `RUST_LOG`, else INFO. What is left out is EnvFilter itself and, with it, the regex
//! engine it links: `RUST_LOG` directives are `Targets` ones — a target and a level, no span or
//! field filters (`target[span{field=value}]=level`); such a directive is ignored with a note on
//! stderr, as EnvFilter ignores one it cannot parse.

use std::str::FromStr;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    subscriber(|name| std::env::var(name).ok(), std::io::stdout).init();
}

/// The subscriber the variables `lookup` reads give, writing to `writer`.
pub fn subscriber<W>(
    lookup: impl Fn(&str) -> Option<String>,
    writer: W,
) -> Box<dyn tracing_core::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(writer);
    let registry = tracing_subscriber::registry().with(filter(&lookup));
    if lookup("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        Box::new(registry.with(fmt.json()))
    } else {
        Box::new(registry.with(fmt))
    }
}

/// The filter the variables `lookup` reads give (see the crate documentation).
pub fn filter(lookup: impl Fn(&str) -> Option<String>) -> Targets {
    let rust_log = lookup("RUST_LOG");
    let directives = rust_log.as_deref().map(directives).unwrap_or_default();
    if let Some(targets) = directives {
        return targets;
    }
    let level = lookup("AWS_LAMBDA_LOG_LEVEL").or(rust_log);
    let level =
        LevelFilter::from_str(level.as_deref().unwrap_or("INFO")).unwrap_or(LevelFilter::INFO);
    Targets::new().with_default(level)
}

/// The comma-separated directives of `spec`, `None` if it has none that parse.
fn directives(spec: &str) -> Option<Targets> {
    let mut targets = Targets::new();
    let mut any = false;
    for piece in spec.split(',').filter(|s| !s.is_empty()) {
        match Targets::from_str(piece) {
            Ok(parsed) => {
                any = true;
                if let Some(level) = parsed.default_level() {
                    targets = targets.with_default(level);
                }
                targets = targets.with_targets(parsed);
            }
            Err(err) => eprintln!("ignoring `{piece}`: {err}"),
        }
    }
    any.then_some(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(pairs: &'static [(&'static str, &'static str)]) -> String {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = subscriber(env(pairs), move || out.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", id = 7);
            let _entered = span.enter();
            tracing::info!(status = 200, "answered");
            tracing::debug!("not shown at INFO");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn json_lines_as_lambda_runtime_wrote_them() {
        // tracing-subscriber's JSON format, no time stamp, no target: one object per line.
        let text = lines(&[
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ]);
        assert_eq!(
            text,
            "{\"level\":\"INFO\",\"fields\":{\"message\":\"answered\",\"status\":200},\
             \"span\":{\"id\":7,\"name\":\"request\"},\"spans\":[{\"id\":7,\"name\":\"request\"}]}\n"
        );
    }

    #[test]
    fn plain_text_without_the_json_format() {
        let text = lines(&[]);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("INFO"), "{text}");
        assert!(text.contains("answered status=200"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colours: {text:?}");
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn enabled(t: &Targets, target: &str, level: tracing_subscriber::filter::LevelFilter) -> bool {
        let level = level.into_level().expect("a level");
        t.would_enable(target, &level)
    }

    use LevelFilter as L;

    #[test]
    fn info_without_any_variable() {
        let t = filter(env(&[]));
        assert!(enabled(&t, "store", L::INFO));
        assert!(!enabled(&t, "store", L::DEBUG));
    }

    #[test]
    fn the_lambda_level_applies_without_rust_log() {
        let t = filter(env(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]));
        assert!(enabled(&t, "api", L::DEBUG));
        assert!(!enabled(&t, "api", L::TRACE));
        let t = filter(env(&[("AWS_LAMBDA_LOG_LEVEL", "WARN")]));
        assert!(!enabled(&t, "api", L::INFO));
        assert!(enabled(&t, "api", L::WARN));
        // Lambda's FATAL is no tracing level: INFO, as lambda_runtime falls back.
        let t = filter(env(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")]));
        assert!(enabled(&t, "api", L::INFO));
        assert!(!enabled(&t, "api", L::DEBUG));
    }

    #[test]
    fn rust_log_directives_override_the_lambda_level() {
        let t = filter(env(&[
            ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
            ("RUST_LOG", "store=debug,warn"),
        ]));
        assert!(enabled(&t, "store::incidents", L::DEBUG));
        assert!(!enabled(&t, "store", L::TRACE));
        assert!(enabled(&t, "api", L::WARN));
        assert!(!enabled(&t, "api", L::INFO));
        // A target alone leaves every other target off, as EnvFilter does.
        let t = filter(env(&[("RUST_LOG", "store=debug")]));
        assert!(enabled(&t, "store", L::DEBUG));
        assert!(!enabled(&t, "api", L::ERROR));
    }

    #[test]
    fn a_directive_that_does_not_parse_is_ignored() {
        let t = filter(env(&[("RUST_LOG", "store[span]=trace,debug")]));
        assert!(enabled(&t, "store", L::DEBUG));
        assert!(!enabled(&t, "store", L::TRACE));
        // Nothing usable: the Lambda level, then INFO.
        let t = filter(env(&[
            ("RUST_LOG", "=="),
            ("AWS_LAMBDA_LOG_LEVEL", "ERROR"),
        ]));
        assert!(!enabled(&t, "api", L::WARN));
        assert!(enabled(&t, "api", L::ERROR));
        // An empty RUST_LOG is its level "", which tracing reads as ERROR: lambda_runtime's
        // quirk, kept.
        let t = filter(env(&[("RUST_LOG", "")]));
        assert!(enabled(&t, "api", L::ERROR));
        assert!(!enabled(&t, "api", L::WARN));
    }
}
