//! The new text of a reply: what the sender wrote, without the history its client quoted below
//! it, the client's attribution line, quoted (`>`) lines, or a signature after `-- `.
//!
//! Attribution lines of the clients people use, in English and Polish:
//! - Gmail: `On Mon, 9 Mar 2026 at 10:15, Jan <jan@example.pl> wrote:` (sometimes wrapped over
//!   two lines), `pon., 9 mar 2026 o 10:15 Jan <jan@example.pl> napisał(a):`;
//! - Apple Mail: `On 9 Mar 2026, at 10:15, Jan <jan@example.pl> wrote:`,
//!   `Wiadomość napisana przez Jan <jan@example.pl> w dniu 9 mar 2026, o godz. 10:15:`;
//! - Thunderbird: `On 09/03/2026 10:15, Jan wrote:`, `W dniu 9.03.2026 o 10:15, Jan pisze:`;
//! - Outlook: `-----Original Message-----` / `-----Oryginalna wiadomość-----`, or a header block
//!   `From: … Sent: …` / `Od: … Wysłano: …` (after a `____` rule in Outlook on the web).

/// Lines at most this far apart still make one attribution (a wrapped `On … wrote:`).
const WRAP: usize = 2;

fn ends_attribution(line: &str) -> bool {
    let l = line.trim_end();
    l.ends_with("wrote:")
        || l.ends_with("napisał(a):")
        || l.ends_with("napisała:")
        || l.ends_with("napisał:")
        || l.ends_with("pisze:")
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_lowercase();
    let within = |pred: &dyn Fn(&str) -> bool| {
        lines[i..lines.len().min(i + 1 + WRAP)]
            .iter()
            .any(|l| pred(l))
    };
    if lower.starts_with("-----original message-----")
        || lower.starts_with("-----oryginalna wiadomość-----")
        || lower.starts_with("-------- original message --------")
        || lower.starts_with("-------- oryginalna wiadomość --------")
        || lower.starts_with("-------- wiadomość oryginalna --------")
        || lower.starts_with("begin forwarded message:")
    {
        return true;
    }
    if (line.starts_with("On ") || line.starts_with("W dniu ")) && within(&ends_attribution) {
        return true;
    }
    if line.starts_with("Wiadomość napisana przez ") && line.trim_end().ends_with(':') {
        return true;
    }
    // Gmail in Polish opens with the date: `pon., 9 mar 2026 o 10:15 … napisał(a):`, wrapped
    // before `napisał(a):` when the line runs past 78 characters.
    if ends_attribution(line) && line.contains('@') {
        return true;
    }
    const POLISH_DAYS: [&str; 7] = [
        "pon., ", "wt., ", "śr., ", "czw., ", "pt., ", "sob., ", "niedz., ",
    ];
    if POLISH_DAYS.iter().any(|d| line.starts_with(d))
        && line.contains(" o ")
        && within(&ends_attribution)
    {
        return true;
    }
    // Outlook's header block: From/Od followed by Sent/Wysłano (or Date/Data) within 4 lines.
    let header = |l: &str, names: &[&str]| names.iter().any(|n| l.trim_start().starts_with(n));
    if header(line, &["From:", "Od:", "*From:*", "*Od:*"]) {
        let next = &lines[i + 1..lines.len().min(i + 5)];
        if next.iter().any(|l| {
            header(
                l,
                &[
                    "Sent:",
                    "Wysłano:",
                    "Wysłane:",
                    "Date:",
                    "Data:",
                    "*Sent:*",
                    "*Wysłano:*",
                    "*Wysłane:*",
                ],
            )
        }) {
            return true;
        }
    }
    false
}

/// The reply's own text (trimmed; empty when it added nothing).
pub fn new_text(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = body.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for i in 0..lines.len() {
        let line = lines[i];
        if line == "-- " || line == "--" || starts_history(&lines, i) {
            break;
        }
        // An Outlook-on-the-web rule right above its header block.
        if line.trim().len() >= 10
            && line.trim().chars().all(|c| c == '_')
            && (i + 1..lines.len().min(i + 3)).any(|j| starts_history(&lines, j))
        {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    // Interleaved quotes leave runs of blank lines: at most one in a row.
    let mut out: Vec<&str> = Vec::new();
    for line in kept {
        if line.is_empty() && out.last().is_some_and(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::new_text;

    #[test]
    fn quoted_lines_attributions_and_signatures_go() {
        assert_eq!(
            new_text("Thanks!\n\nOn Mon, 9 Mar 2026 at 10:15, Desk <d@x> wrote:\n> old"),
            "Thanks!"
        );
        assert_eq!(
            new_text("Thanks!\n\nOn Mon, 9 Mar 2026 at 10:15, Incident Desk <\nd@x> wrote:\n> old"),
            "Thanks!"
        );
        assert_eq!(
            new_text("Dzięki\n\nW dniu 9.03.2026 o 10:15, Desk pisze:\n> stare"),
            "Dzięki"
        );
        assert_eq!(
            new_text("Dzięki\n\npon., 9 mar 2026 o 10:15 Desk <d@x.pl> napisał(a):\n> stare"),
            "Dzięki"
        );
        assert_eq!(
            new_text("Dzięki\n\npon., 9 mar 2026 o 10:15 Incident Desk <support-desk@example.com>\nnapisał(a):\n\n> stare"),
            "Dzięki"
        );
        assert_eq!(
            new_text("Cześć\n\nOd: Desk <d@x>\nWysłane: poniedziałek, 9 marca 2026 10:15\nDo: jan\n\nold"),
            "Cześć"
        );
        assert_eq!(new_text("Hi\n-----Original Message-----\nFrom: x"), "Hi");
        assert_eq!(
            new_text("Cześć\n\nOd: Desk <d@x>\nWysłano: poniedziałek\nDo: jan\nTemat: t\n\nold"),
            "Cześć"
        );
        assert_eq!(new_text("Hi\n\n-- \nJan Kowalski\nACME"), "Hi");
        assert_eq!(new_text("a\n> q1\n> q2\n\nb"), "a\n\nb");
        assert_eq!(new_text("> only quoted\n> text"), "");
        assert_eq!(
            new_text("On second thought, it works.\nThanks"),
            "On second thought, it works.\nThanks"
        );
    }
}
