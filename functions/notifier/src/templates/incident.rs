//! The messages about an incident (to its customer and to the support team), and the page for
//! the on-call engineer.

use super::{Draft, IncidentFacts, IncidentNews};
use domain::{Channel, Charge, Language};

fn channel_words(channel: Channel, lang: Language) -> &'static str {
    match (lang, channel) {
        (Language::En, Channel::Email) => "by e-mail",
        (Language::En, Channel::Phone) => "by phone",
        (Language::En, Channel::RemoteSession) => "in a remote session",
        (Language::En, Channel::OfflineResearch) => "after offline research",
        (Language::Pl, Channel::Email) => "e-mailem",
        (Language::Pl, Channel::Phone) => "telefonicznie",
        (Language::Pl, Channel::RemoteSession) => "podczas sesji zdalnej",
        (Language::Pl, Channel::OfflineResearch) => "po analizie offline",
    }
}

/// A severity as the vendor's FAQ words it (SPEC.md S2), with its label.
pub fn severity_words(severity: &str, lang: Language) -> String {
    let words = match (lang, severity) {
        (Language::En, "A") => "critical business impact",
        (Language::En, "B") => "moderate business impact",
        (Language::En, _) => "minimal business impact",
        (Language::Pl, "A") => "krytyczne znaczenie biznesowe",
        (Language::Pl, "B") => "średnie znaczenie biznesowe",
        (Language::Pl, _) => "minimalne znaczenie biznesowe",
    };
    let label = match lang {
        Language::En => "Severity",
        Language::Pl => "Ważność",
    };
    format!("{label}: {severity} – {words}")
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
        severity: Some(severity_words(sev, lang)),
        rating: None,
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
            format!("A support engineer responded to your incident {id} “{title}” {}:", channel_words(*channel, lang)).replace(" :", ":"),
            vec![message.clone()],
            "Reply or add details in the console:".into(),
        ),
        (IncidentNews::Response { channel, message }, Language::Pl) => draft(
            format!("[{id}] Odpowiedź w sprawie zgłoszenia: {title}"),
            format!("Inżynier wsparcia odpowiedział {} na Twoje zgłoszenie {id} „{title}”:", channel_words(*channel, lang)).replace("  ", " "),
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
            "Zaakceptowany podproblem staje się osobnym zgłoszeniem rozliczonym z Twojego pakietu; po odrzuceniu prace toczą się w ramach bieżącego zgłoszenia. Decyzję podejmiesz w konsoli:".into(),
        ),
        (IncidentNews::Resolved { solutions }, Language::En) => draft(
            format!("[{id}] Your incident is resolved: {title}"),
            format!(
                "Your incident {id} “{title}” has been resolved. {}",
                if solutions.len() == 1 { "The solution:" } else { "The solutions:" }
            ),
            solutions.clone(),
            "The incident is closed and one incident of your pack is used. If the problem comes back, submit a new incident in the console:".into(),
        ),
        (IncidentNews::Resolved { solutions }, Language::Pl) => draft(
            format!("[{id}] Zgłoszenie zostało rozwiązane: {title}"),
            format!(
                "Twoje zgłoszenie {id} „{title}” zostało rozwiązane. {}",
                if solutions.len() == 1 { "Rozwiązanie:" } else { "Zastosowane rozwiązania:" }
            ),
            solutions.clone(),
            "Zgłoszenie jest zamknięte i rozliczone z Twojego pakietu. Jeśli problem powróci, utwórz nowe zgłoszenie w konsoli:".into(),
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
                    format!("Twoje zgłoszenie {id} „{title}” zostało rozliczone z Twojego pakietu."),
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
        (IncidentNews::ContactBounced { kind_of_failure }, Language::En) => draft(
            format!("[{id}] Contact unreachable: {title}"),
            format!("Mail to the contact of incident {id} “{title}” (severity {sev}) failed ({kind_of_failure}); no more e-mail goes to that address."),
            vec![],
            "Reach the customer another way (phone) and check the incident in the console:".into(),
        ),
        (IncidentNews::ContactBounced { kind_of_failure }, Language::Pl) => draft(
            format!("[{id}] Kontakt nieosiągalny: {title}"),
            format!("Poczta do osoby kontaktowej zgłoszenia {id} „{title}” (ważność {sev}) nie dociera ({kind_of_failure}); na ten adres nie wysyłamy już e-maili."),
            vec![],
            "Skontaktuj się z klientem inaczej (telefon) i sprawdź zgłoszenie w konsoli:".into(),
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
        (IncidentNews::ClosureConfirmed { reason }, Language::En) => draft(
            format!("[{id}] You closed your incident: {title}"),
            format!("At your request we have closed incident {id} “{title}”. The reason you gave:"),
            vec![reason.clone()],
            "Our support team will now decide whether the incident uses a unit of your pack or the unit is returned to it; you will receive an e-mail with the decision. The incident stays in the console:".into(),
        ),
        (IncidentNews::ClosureConfirmed { reason }, Language::Pl) => draft(
            format!("[{id}] Zgłoszenie zamknięte na Twoją prośbę: {title}"),
            format!("Na Twoją prośbę zamknęliśmy zgłoszenie {id} „{title}”. Podany powód:"),
            vec![reason.clone()],
            "Zespół wsparcia zdecyduje teraz, czy zgłoszenie zostanie rozliczone z Twojego pakietu, czy jednostka wróci do pakietu; o decyzji poinformujemy Cię e-mailem. Zgłoszenie pozostaje dostępne w konsoli:".into(),
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
        (IncidentNews::Assigned { by, note }, Language::En) => draft(
            format!("[{id}] Assigned to you: {title}"),
            format!("{by} assigned incident {id} “{title}” to you. You own it now: the customer's messages come to you."),
            note.iter().map(|n| format!("Note: {n}")).collect(),
            format!("The first response is due by {due} ({zone}) unless already given. Open the incident in the console:"),
        ),
        (IncidentNews::Assigned { by, note }, Language::Pl) => draft(
            format!("[{id}] Przypisano Ci zgłoszenie: {title}"),
            format!("{by} przypisał(a) Ci zgłoszenie {id} „{title}”. Jesteś teraz jego właścicielem: wiadomości klienta trafią do Ciebie."),
            note.iter().map(|n| format!("Notatka: {n}")).collect(),
            format!("Pierwsza odpowiedź jest wymagana do {due} ({zone}), jeśli jeszcze jej nie udzielono. Otwórz zgłoszenie w konsoli:"),
        ),
        (IncidentNews::SlaBreached, Language::Pl) => draft(
            format!("[{id}] Naruszenie SLA, ważność {sev}: {title}"),
            format!("Termin pierwszej odpowiedzi na zgłoszenie {id} „{title}” (ważność {sev}) minął {due} ({zone}) bez odpowiedzi."),
            vec![],
            "Odpowiedz jak najszybciej w konsoli:".into(),
        ),
    }
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
