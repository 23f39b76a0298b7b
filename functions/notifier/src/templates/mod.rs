//! Every text the notifier sends, in Polish and English: the one place to read and review them.
//! Each message names what it is about, what happened and what happens next, and links into the
//! console. Only the recipient's own data goes in (the customer's incident, the buyer's pack);
//! never account ids, storage names or anything of another customer.
//!
//! A template fills a `Draft`; `layout` turns it into plain text and HTML (every value escaped).

use domain::{Charge, Language};

/// One rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What a template says, before layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub subject: String,
    /// What happened, one paragraph.
    pub lead: String,
    /// Quoted content (a message, solutions, the proposed scope), each line as given.
    pub quote: Vec<String>,
    /// What happens next (deadlines in the calendar's zone).
    pub next: String,
    pub link: String,
}

/// The facts of an incident a message may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub product: String,
    pub calendar: String,
    pub handling_24x7: bool,
    /// The first-response deadline on the calendar's wall clock, e.g. `2026-12-23 14:00 CET`.
    pub due: String,
    /// When the SLA warning falls due (75 % of the window), same clock.
    pub warn: String,
    /// The calendar's IANA zone, e.g. `Europe/Warsaw`.
    pub zone: String,
    pub link: String,
}

/// The contact of an incident, for the support team's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Why a message is sent about an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentNews {
    /// To the contact: the confirmation.
    Received,
    /// To the support team: a new incident.
    NewIncident(ContactFacts),
    Response {
        channel: String,
        message: String,
    },
    ScopeProposed {
        problem_statement: String,
        resolution_criteria: String,
    },
    SubProblemProposed {
        title: String,
    },
    Resolved {
        solutions: Vec<String>,
    },
    ClosedUnresolved {
        explanation: String,
    },
    ChargeDecided(Charge),
    CustomerMessage {
        message: String,
    },
    ClosureRequested {
        reason: String,
    },
    SlaWarning,
    SlaBreached,
}

/// A pack that became active, for its buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFacts {
    pub order_confirmation_number: String,
    pub incidents: u64,
    /// The expiry date (UTC), `YYYY-MM-DD`; `None` if the item carries none.
    pub expires_on: Option<String>,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountNews {
    PackActive(PackFacts),
    ClaimDecided {
        approved: bool,
        note: Option<String>,
        link: String,
    },
    ExemptionDecided {
        verified: bool,
        jurisdiction: String,
        certificate_reference: String,
        note: Option<String>,
        link: String,
    },
}

fn channel_words(channel: &str, lang: Language) -> &'static str {
    match (lang, channel) {
        (Language::En, "email") => "by e-mail",
        (Language::En, "phone") => "by phone",
        (Language::En, "remote_session") => "in a remote session",
        (Language::En, "offline_research") => "after offline research",
        (Language::En, _) => "",
        (Language::Pl, "email") => "e-mailem",
        (Language::Pl, "phone") => "telefonicznie",
        (Language::Pl, "remote_session") => "podczas sesji zdalnej",
        (Language::Pl, "offline_research") => "po analizie offline",
        (Language::Pl, _) => "",
    }
}

/// The draft of a message about an incident.
pub fn incident_draft(news: &IncidentNews, f: &IncidentFacts, lang: Language) -> Draft {
    let (id, title, sev, due, zone, link) =
        (&f.id, &f.title, &f.severity, &f.due, &f.zone, &f.link);
    let draft = |subject: String, lead: String, quote: Vec<String>, next: String| Draft {
        subject,
        lead,
        quote,
        next,
        link: link.clone(),
    };
    match (news, lang) {
        (IncidentNews::Received, Language::En) => draft(
            format!("[{id}] We have received your incident: {title}"),
            format!("Your incident {id} “{title}” (severity {sev}) has been registered."),
            vec![],
            format!("An engineer will respond by {due} ({zone}). Follow the incident and add information in the console:"),
        ),
        (IncidentNews::Received, Language::Pl) => draft(
            format!("[{id}] Przyjęliśmy Twoje zgłoszenie: {title}"),
            format!("Twoje zgłoszenie {id} „{title}” (ważność {sev}) zostało zarejestrowane."),
            vec![],
            format!("Inżynier wsparcia odpowie najpóźniej {due} ({zone}). Przebieg zgłoszenia możesz śledzić i uzupełniać w konsoli:"),
        ),
        (IncidentNews::NewIncident(c), lang) => {
            let handling = match (lang, f.handling_24x7) {
                (Language::En, true) => "24x7",
                (Language::En, false) => "business hours",
                (Language::Pl, true) => "24/7",
                (Language::Pl, false) => "w godzinach pracy",
            };
            let phone = c.phone.clone().unwrap_or_else(|| "–".into());
            let product = &f.product;
            let calendar = &f.calendar;
            match lang {
                Language::En => draft(
                    format!("[{id}] New severity {sev} incident: {title}"),
                    format!("A new incident was submitted: {id} “{title}”, severity {sev}, handling {handling}, calendar {calendar}, product {product}."),
                    vec![format!("Contact: {}, {}, {phone}", c.name, c.email)],
                    format!("The first response is due by {due} ({zone}); the SLA warning comes at {}. Open the incident in the console:", f.warn),
                ),
                Language::Pl => draft(
                    format!("[{id}] Nowe zgłoszenie, ważność {sev}: {title}"),
                    format!("Wpłynęło nowe zgłoszenie {id} „{title}”: ważność {sev}, obsługa {handling}, kalendarz {calendar}, produkt {product}."),
                    vec![format!("Kontakt: {}, {}, {phone}", c.name, c.email)],
                    format!("Pierwsza odpowiedź jest wymagana do {due} ({zone}); ostrzeżenie SLA nastąpi {}. Otwórz zgłoszenie w konsoli:", f.warn),
                ),
            }
        }
        (IncidentNews::Response { channel, message }, Language::En) => draft(
            format!("[{id}] An engineer has responded: {title}"),
            format!("A support engineer responded to your incident {id} “{title}” {}:", channel_words(channel, lang)).replace(" :", ":"),
            vec![message.clone()],
            "Reply or add details in the console:".into(),
        ),
        (IncidentNews::Response { channel, message }, Language::Pl) => draft(
            format!("[{id}] Odpowiedź w sprawie zgłoszenia: {title}"),
            format!("Inżynier wsparcia odpowiedział {} na Twoje zgłoszenie {id} „{title}”:", channel_words(channel, lang)).replace("  ", " "),
            vec![message.clone()],
            "Odpowiedz lub uzupełnij informacje w konsoli:".into(),
        ),
        (IncidentNews::ScopeProposed { problem_statement, resolution_criteria }, Language::En) => draft(
            format!("[{id}] Please confirm the scope: {title}"),
            format!("A support engineer proposed the scope of your incident {id} “{title}”:"),
            vec![format!("Problem statement: {problem_statement}"), format!("Resolution criteria: {resolution_criteria}")],
            "Accept or reject the scope in the console; work continues on the agreed scope:".into(),
        ),
        (IncidentNews::ScopeProposed { problem_statement, resolution_criteria }, Language::Pl) => draft(
            format!("[{id}] Prosimy o potwierdzenie zakresu: {title}"),
            format!("Zaproponowano zakres prac dla Twojego zgłoszenia {id} „{title}”:"),
            vec![format!("Opis problemu: {problem_statement}"), format!("Kryteria rozwiązania: {resolution_criteria}")],
            "Zaakceptuj lub odrzuć zakres w konsoli; dalsze prace obejmą uzgodniony zakres:".into(),
        ),
        (IncidentNews::SubProblemProposed { title: sub }, Language::En) => draft(
            format!("[{id}] A separate incident is proposed: {title}"),
            format!("A support engineer proposes handling part of your incident {id} “{title}” as a separate incident:"),
            vec![sub.clone()],
            "Accepting opens a new incident and uses one incident of your pack; declining keeps the work within the current incident. Decide in the console:".into(),
        ),
        (IncidentNews::SubProblemProposed { title: sub }, Language::Pl) => draft(
            format!("[{id}] Propozycja wydzielenia osobnego zgłoszenia: {title}"),
            format!("Zaproponowano, aby część Twojego zgłoszenia {id} „{title}” obsłużyć jako osobne zgłoszenie:"),
            vec![sub.clone()],
            "Akceptacja otwiera nowe zgłoszenie i wykorzystuje jedno zgłoszenie z Twojego pakietu; odrzucenie pozostawia prace w ramach bieżącego zgłoszenia. Decyzję podejmiesz w konsoli:".into(),
        ),
        (IncidentNews::Resolved { solutions }, Language::En) => draft(
            format!("[{id}] Your incident is resolved: {title}"),
            format!("Your incident {id} “{title}” has been resolved. The solution:"),
            solutions.clone(),
            "The incident is closed and one incident of your pack is used. If the problem comes back, submit a new incident in the console:".into(),
        ),
        (IncidentNews::Resolved { solutions }, Language::Pl) => draft(
            format!("[{id}] Zgłoszenie zostało rozwiązane: {title}"),
            format!("Twoje zgłoszenie {id} „{title}” zostało rozwiązane. Rozwiązanie:"),
            solutions.clone(),
            "Zgłoszenie jest zamknięte; wykorzystano jedno zgłoszenie z Twojego pakietu. Jeśli problem powróci, utwórz nowe zgłoszenie w konsoli:".into(),
        ),
        (IncidentNews::ClosedUnresolved { explanation }, Language::En) => draft(
            format!("[{id}] Your incident was closed unresolved: {title}"),
            format!("Your incident {id} “{title}” was closed without a resolution. The explanation:"),
            vec![explanation.clone()],
            "A separate message tells you whether the incident is charged to your pack. Details are in the console:".into(),
        ),
        (IncidentNews::ClosedUnresolved { explanation }, Language::Pl) => draft(
            format!("[{id}] Zgłoszenie zamknięte bez rozwiązania: {title}"),
            format!("Twoje zgłoszenie {id} „{title}” zostało zamknięte bez rozwiązania. Wyjaśnienie:"),
            vec![explanation.clone()],
            "Osobna wiadomość poinformuje Cię, czy zgłoszenie zostało rozliczone z Twojego pakietu. Szczegóły znajdziesz w konsoli:".into(),
        ),
        (IncidentNews::ChargeDecided(charge), Language::En) => {
            let (lead, next) = match charge {
                Charge::Refunded => (
                    format!("Your incident {id} “{title}” is not charged: one incident has been returned to your pack."),
                    "You can use it for a new incident. Details are in the console:",
                ),
                _ => (
                    format!("Your incident {id} “{title}” is charged: one incident of your pack is used."),
                    "Nothing else is needed from you. Details are in the console:",
                ),
            };
            draft(format!("[{id}] Charge decided: {title}"), lead, vec![], next.into())
        }
        (IncidentNews::ChargeDecided(charge), Language::Pl) => {
            let (lead, next) = match charge {
                Charge::Refunded => (
                    format!("Twoje zgłoszenie {id} „{title}” nie zostało rozliczone z pakietu: jedno zgłoszenie wróciło do Twojego pakietu."),
                    "Możesz je wykorzystać na nowe zgłoszenie. Szczegóły znajdziesz w konsoli:",
                ),
                _ => (
                    format!("Twoje zgłoszenie {id} „{title}” zostało rozliczone: wykorzystano jedno zgłoszenie z Twojego pakietu."),
                    "Nie musisz nic więcej robić. Szczegóły znajdziesz w konsoli:",
                ),
            };
            draft(format!("[{id}] Decyzja o rozliczeniu zgłoszenia: {title}"), lead, vec![], next.into())
        }
        (IncidentNews::CustomerMessage { message }, Language::En) => draft(
            format!("[{id}] Customer message: {title}"),
            format!("The customer wrote on incident {id} “{title}” (severity {sev}):"),
            vec![message.clone()],
            "Answer in the console:".into(),
        ),
        (IncidentNews::CustomerMessage { message }, Language::Pl) => draft(
            format!("[{id}] Wiadomość od klienta: {title}"),
            format!("Klient napisał w zgłoszeniu {id} „{title}” (ważność {sev}):"),
            vec![message.clone()],
            "Odpowiedz w konsoli:".into(),
        ),
        (IncidentNews::ClosureRequested { reason }, Language::En) => draft(
            format!("[{id}] Closed by the customer: {title}"),
            format!("The customer closed incident {id} “{title}” (severity {sev}). The reason:"),
            vec![reason.clone()],
            "Decide the charge (consumed or refunded) in the console:".into(),
        ),
        (IncidentNews::ClosureRequested { reason }, Language::Pl) => draft(
            format!("[{id}] Klient zamknął zgłoszenie: {title}"),
            format!("Klient zamknął zgłoszenie {id} „{title}” (ważność {sev}). Powód:"),
            vec![reason.clone()],
            "Zdecyduj o rozliczeniu (wykorzystane lub zwrócone) w konsoli:".into(),
        ),
        (IncidentNews::SlaWarning, Language::En) => draft(
            format!("[{id}] SLA warning, severity {sev}: {title}"),
            format!("Incident {id} “{title}” (severity {sev}) still has no first response, and 75% of its response time has passed."),
            vec![],
            format!("The first response is due by {due} ({zone}). Respond in the console:"),
        ),
        (IncidentNews::SlaWarning, Language::Pl) => draft(
            format!("[{id}] Ostrzeżenie SLA, ważność {sev}: {title}"),
            format!("Zgłoszenie {id} „{title}” (ważność {sev}) nadal czeka na pierwszą odpowiedź; upłynęło 75% czasu na odpowiedź."),
            vec![],
            format!("Pierwsza odpowiedź jest wymagana do {due} ({zone}). Odpowiedz w konsoli:"),
        ),
        (IncidentNews::SlaBreached, Language::En) => draft(
            format!("[{id}] SLA breached, severity {sev}: {title}"),
            format!("The first-response deadline of incident {id} “{title}” (severity {sev}) passed at {due} ({zone}) without a response."),
            vec![],
            "Respond as soon as possible in the console:".into(),
        ),
        (IncidentNews::SlaBreached, Language::Pl) => draft(
            format!("[{id}] Naruszenie SLA, ważność {sev}: {title}"),
            format!("Termin pierwszej odpowiedzi na zgłoszenie {id} „{title}” (ważność {sev}) minął {due} ({zone}) bez odpowiedzi."),
            vec![],
            "Odpowiedz jak najszybciej w konsoli:".into(),
        ),
    }
}

/// The draft of a message to an account.
pub fn account_draft(news: &AccountNews, lang: Language) -> Draft {
    match (news, lang) {
        (AccountNews::PackActive(p), Language::En) => Draft {
            subject: format!("Your pack is active: order {}", p.order_confirmation_number),
            lead: "Your pack of support incidents is active.".into(),
            quote: pack_lines(p, lang),
            next: "Keep the order confirmation number: if you leave your company, a colleague can claim the pack with it. Submit an incident in the console:".into(),
            link: p.link.clone(),
        },
        (AccountNews::PackActive(p), Language::Pl) => Draft {
            subject: format!("Pakiet jest aktywny: zamówienie {}", p.order_confirmation_number),
            lead: "Twój pakiet zgłoszeń wsparcia jest aktywny.".into(),
            quote: pack_lines(p, lang),
            next: "Zachowaj numer potwierdzenia zamówienia: jeśli odejdziesz z firmy, współpracownik przejmie z nim pakiet. Zgłoszenie utworzysz w konsoli:".into(),
            link: p.link.clone(),
        },
        (AccountNews::ClaimDecided { approved, note, link }, lang) => {
            let (subject, lead, next) = match (lang, approved) {
                (Language::En, true) => (
                    "Your claim to a pack was approved",
                    "Your claim to the pack with the order confirmation number you gave was approved: the pack now belongs to your account. Its remaining incidents and expiry date are unchanged.",
                    "See the pack in the console:",
                ),
                (Language::En, false) => (
                    "Your claim to a pack was rejected",
                    "Your claim to the pack with the order confirmation number you gave was rejected; the pack stays with its current owner.",
                    "If you have questions, contact support. Your packs are in the console:",
                ),
                (Language::Pl, true) => (
                    "Wniosek o przejęcie pakietu został zaakceptowany",
                    "Twój wniosek o przejęcie pakietu o podanym numerze potwierdzenia zamówienia został zaakceptowany: pakiet należy teraz do Twojego konta. Liczba pozostałych zgłoszeń i data ważności się nie zmieniły.",
                    "Pakiet znajdziesz w konsoli:",
                ),
                (Language::Pl, false) => (
                    "Wniosek o przejęcie pakietu został odrzucony",
                    "Twój wniosek o przejęcie pakietu o podanym numerze potwierdzenia zamówienia został odrzucony; pakiet pozostaje przy dotychczasowym właścicielu.",
                    "Jeśli masz pytania, skontaktuj się z pomocą techniczną. Swoje pakiety znajdziesz w konsoli:",
                ),
            };
            Draft {
                subject: subject.into(),
                lead: lead.into(),
                quote: note_lines(note, lang),
                next: next.into(),
                link: link.clone(),
            }
        }
        (
            AccountNews::ExemptionDecided {
                verified,
                jurisdiction,
                certificate_reference,
                note,
                link,
            },
            lang,
        ) => {
            let (subject, lead, next) = match (lang, verified) {
                (Language::En, true) => (
                    "Your tax exemption is verified".to_string(),
                    format!("Your tax exemption ({jurisdiction}, certificate {certificate_reference}) is verified."),
                    "Packs you order from now on are priced without tax; earlier purchases stay as they were. Your account:",
                ),
                (Language::En, false) => (
                    "Your tax exemption was rejected".to_string(),
                    format!("Your tax exemption ({jurisdiction}, certificate {certificate_reference}) was rejected; packs stay priced with tax."),
                    "You can submit corrected proof on the Account page of the console:",
                ),
                (Language::Pl, true) => (
                    "Zwolnienie z podatku zostało zweryfikowane".to_string(),
                    format!("Twoje zwolnienie z podatku ({jurisdiction}, zaświadczenie {certificate_reference}) zostało zweryfikowane."),
                    "Pakiety zamawiane od teraz będą wyceniane bez podatku; wcześniejsze zakupy pozostają bez zmian. Twoje konto:",
                ),
                (Language::Pl, false) => (
                    "Zwolnienie z podatku zostało odrzucone".to_string(),
                    format!("Twoje zwolnienie z podatku ({jurisdiction}, zaświadczenie {certificate_reference}) zostało odrzucone; ceny pakietów nadal obejmują podatek."),
                    "Poprawione dokumenty możesz przesłać na stronie Konto w konsoli:",
                ),
            };
            Draft {
                subject,
                lead,
                quote: note_lines(note, lang),
                next: next.into(),
                link: link.clone(),
            }
        }
    }
}

fn pack_lines(p: &PackFacts, lang: Language) -> Vec<String> {
    let expires = p.expires_on.clone().unwrap_or_else(|| "–".into());
    match lang {
        Language::En => vec![
            format!("Order confirmation number: {}", p.order_confirmation_number),
            format!("Incidents: {}", p.incidents),
            format!("Valid until: {expires} (UTC)"),
        ],
        Language::Pl => vec![
            format!(
                "Numer potwierdzenia zamówienia: {}",
                p.order_confirmation_number
            ),
            format!("Liczba zgłoszeń: {}", p.incidents),
            format!("Ważny do: {expires} (UTC)"),
        ],
    }
}

fn note_lines(note: &Option<String>, lang: Language) -> Vec<String> {
    let Some(note) = note.as_deref().filter(|n| !n.trim().is_empty()) else {
        return vec![];
    };
    vec![match lang {
        Language::En => format!("Note from support: {note}"),
        Language::Pl => format!("Uwaga od zespołu wsparcia: {note}"),
    }]
}

/// The page for the on-call engineer (SNS): short, plain, ASCII subject.
pub fn page_text(news: &IncidentNews, f: &IncidentFacts) -> (String, String) {
    let what = match news {
        IncidentNews::SlaWarning => "SLA warning",
        IncidentNews::SlaBreached => "SLA breached",
        _ => "new incident",
    };
    let subject = format!("SEV {} {what}: {}", f.severity, f.id);
    let text = format!(
        "Severity {} {what}: [{}] {}. First response due {} ({}). {}",
        f.severity, f.id, f.title, f.due, f.zone, f.link
    );
    (subject, text)
}

fn footer(lang: Language) -> &'static str {
    match lang {
        Language::En => "This message was sent by the support desk's incident system. Please do not reply to this e-mail; write in the console instead.",
        Language::Pl => "Tę wiadomość wysłał system obsługi zgłoszeń wsparcia technicznego. Prosimy nie odpowiadać na tego e-maila, tylko pisać w konsoli.",
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

/// Plain text and HTML of a draft.
pub fn layout(d: &Draft, lang: Language) -> Message {
    let mut text = format!("{}\n\n", d.lead);
    for line in &d.quote {
        for part in line.lines() {
            text.push_str(&format!("    {part}\n"));
        }
    }
    if !d.quote.is_empty() {
        text.push('\n');
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
    if !d.quote.is_empty() {
        html.push_str("<blockquote>");
        for line in &d.quote {
            html.push_str(&format!("<p>{}</p>", escape(line).replace('\n', "<br>")));
        }
        html.push_str("</blockquote>");
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
