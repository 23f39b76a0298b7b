//! A draft's plain text and HTML, with the footer every e-mail ends with.

use super::{Draft, Message};
use domain::Language;

fn footer(lang: Language) -> &'static str {
    match lang {
        Language::En => "This message was sent by the support desk's incident system. You can reply to this e-mail: your answer and its attachments are added to the incident (or write in the console).",
        Language::Pl => "Tę wiadomość wysłał system obsługi zgłoszeń wsparcia technicznego. Możesz odpowiedzieć na tego e-maila: odpowiedź i załączniki zostaną dodane do zgłoszenia (możesz też pisać w konsoli).",
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The rating links' words: the question, then the two answers.
fn rating_words(lang: Language) -> (&'static str, &'static str, &'static str) {
    match lang {
        Language::En => (
            "How did we do? Rate the handling of this incident in one click:",
            "Good",
            "Bad",
        ),
        Language::Pl => (
            "Jak oceniasz obsługę tego zgłoszenia? Wystarczy jedno kliknięcie:",
            "Dobrze",
            "Źle",
        ),
    }
}

/// Plain text and HTML of a draft.
pub fn layout(d: &Draft, lang: Language) -> Message {
    let mut text = format!("{}\n\n", d.lead);
    if let Some(severity) = &d.severity {
        text.push_str(&format!("{severity}\n\n"));
    }
    for line in &d.quote {
        for part in line.lines() {
            text.push_str(&format!("    {part}\n"));
        }
    }
    if !d.quote.is_empty() {
        text.push('\n');
    }
    if let Some(r) = &d.rating {
        let (ask, good, bad) = rating_words(lang);
        text.push_str(&format!("{ask}\n{good}: {}\n{bad}: {}\n\n", r.good, r.bad));
    }
    text.push_str(&format!(
        "{}\n{}\n\n-- \n{}\n",
        d.next,
        d.link,
        footer(lang)
    ));

    let lang_attr = lang.as_str();
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{lang_attr}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>",
        escape(&d.subject)
    );
    html.push_str(&format!("<p>{}</p>", escape(&d.lead)));
    if let Some(severity) = &d.severity {
        html.push_str(&format!("<p>{}</p>", escape(severity)));
    }
    if !d.quote.is_empty() {
        html.push_str("<blockquote>");
        for line in &d.quote {
            html.push_str(&format!("<p>{}</p>", escape(line).replace('\n', "<br>")));
        }
        html.push_str("</blockquote>");
    }
    if let Some(r) = &d.rating {
        let (ask, good, bad) = rating_words(lang);
        html.push_str(&format!(
            "<p>{} <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
            escape(ask),
            escape(&r.good),
            escape(good),
            escape(&r.bad),
            escape(bad)
        ));
    }
    html.push_str(&format!(
        "<p>{} <a href=\"{}\">{}</a></p><hr><p><small>{}</small></p></body></html>",
        escape(&d.next),
        escape(&d.link),
        escape(&d.link),
        escape(footer(lang))
    ));
    Message {
        subject: d.subject.clone(),
        text,
        html,
    }
}
