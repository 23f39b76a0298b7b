//! The automatic answers, in the incident's language: attachments that were not taken, a reply
//! to a closed incident, a message too large to read. Each is marked `Auto-Submitted:
//! auto-replied` (RFC 3834), so no well-behaved system answers it back.

use domain::incident::Incident;
use domain::Language;
use usecases::reply::Refused;

pub struct Answer {
    pub subject: String,
    pub text: String,
}

fn footer(lang: Language) -> &'static str {
    match lang {
        Language::En => "This is an automatic answer from the support desk's incident system.",
        Language::Pl => "To automatyczna odpowiedź systemu obsługi zgłoszeń wsparcia technicznego.",
    }
}

fn finish(lang: Language, subject: String, body: String) -> Answer {
    Answer {
        subject,
        text: format!("{body}\n\n-- \n{}\n", footer(lang)),
    }
}

pub fn refused(incident: &Incident, refused: &[Refused], link: &str) -> Answer {
    let lang = incident.language();
    let list: String = refused
        .iter()
        .map(|r| format!("  - {}: {}\n", r.file_name, r.reason))
        .collect();
    match lang {
        Language::En => finish(
            lang,
            format!("Some attachments were not added: {}", incident.title),
            format!(
                "Your reply to the incident \"{}\" was added, but these attachments were not:\n\n{list}\nFiles can be added in the console (at most 20 per incident, 50 MB each):\n{link}",
                incident.title
            ),
        ),
        Language::Pl => finish(
            lang,
            format!("Nie dodano niektórych załączników: {}", incident.title),
            format!(
                "Twoja odpowiedź w zgłoszeniu „{}” została dodana, ale te załączniki nie:\n\n{list}\nPliki można dodać w konsoli (najwyżej 20 na zgłoszenie, po 50 MB):\n{link}",
                incident.title
            ),
        ),
    }
}

pub fn closed(incident: &Incident, new_incident: &str) -> Answer {
    let lang = incident.language();
    match lang {
        Language::En => finish(
            lang,
            format!("The incident is closed: {}", incident.title),
            format!(
                "The incident \"{}\" is closed, so your reply was not added to it. If the problem continues, please open a new incident:\n{new_incident}",
                incident.title
            ),
        ),
        Language::Pl => finish(
            lang,
            format!("Zgłoszenie jest zamknięte: {}", incident.title),
            format!(
                "Zgłoszenie „{}” jest zamknięte, więc Twoja odpowiedź nie została do niego dodana. Jeśli problem trwa, otwórz nowe zgłoszenie:\n{new_incident}",
                incident.title
            ),
        ),
    }
}

pub fn too_large(incident: &Incident, max_mb: usize, link: &str) -> Answer {
    let lang = incident.language();
    match lang {
        Language::En => finish(
            lang,
            format!("Your e-mail was too large: {}", incident.title),
            format!(
                "Your e-mail about the incident \"{}\" is larger than {max_mb} MB, so it was not added. Please write a shorter reply and add large files in the console:\n{link}",
                incident.title
            ),
        ),
        Language::Pl => finish(
            lang,
            format!("Wiadomość była za duża: {}", incident.title),
            format!(
                "Twoja wiadomość w zgłoszeniu „{}” ma ponad {max_mb} MB, więc nie została dodana. Odpowiedz krócej, a duże pliki dodaj w konsoli:\n{link}",
                incident.title
            ),
        ),
    }
}
