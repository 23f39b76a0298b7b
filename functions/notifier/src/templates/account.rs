//! The messages to an account: a pack that became active, a claim or a tax exemption decided.

use super::{AccountNews, Draft, PackFacts};
use domain::Language;

/// The draft of a message to an account.
pub fn account_draft(news: &AccountNews, lang: Language) -> Draft {
    match (news, lang) {
        (AccountNews::PackActive(p), Language::En) => Draft {
            subject: format!("Your pack is active: order {}", p.order_confirmation_number),
            lead: "Your pack of support incidents is active.".into(),
            quote: pack_lines(p, lang),
            next: "Keep the order confirmation number: if you leave your company, a colleague can claim the pack with it. Submit an incident in the console:".into(),
            link: p.link.clone(),
            severity: None,
            rating: None,
        },
        (AccountNews::PackActive(p), Language::Pl) => Draft {
            subject: format!("Pakiet jest aktywny: zamówienie {}", p.order_confirmation_number),
            lead: "Twój pakiet zgłoszeń wsparcia jest aktywny.".into(),
            quote: pack_lines(p, lang),
            next: "Zachowaj numer potwierdzenia zamówienia: jeśli odejdziesz z firmy, współpracownik przejmie z nim pakiet. Zgłoszenie utworzysz w konsoli:".into(),
            link: p.link.clone(),
            severity: None,
            rating: None,
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
                severity: None,
            rating: None,
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
                severity: None,
            rating: None,
            }
        }
        (AccountNews::ExportReady { link }, Language::En) => Draft {
            subject: "Your data export is ready".into(),
            lead: "The copy of your account's data you asked for is ready: one archive with a JSON document of everything we hold about your account and the files attached to your incidents.".into(),
            quote: vec![],
            next: "Download it from the Account page of the console within 24 hours of opening its link:".into(),
            link: link.clone(),
            severity: None,
            rating: None,
        },
        (AccountNews::ExportReady { link }, Language::Pl) => Draft {
            subject: "Eksport Twoich danych jest gotowy".into(),
            lead: "Kopia danych Twojego konta, o którą prosiłeś, jest gotowa: jedno archiwum z dokumentem JSON zawierającym wszystko, co przechowujemy o Twoim koncie, oraz pliki dołączone do Twoich zgłoszeń.".into(),
            quote: vec![],
            next: "Pobierzesz je na stronie Konto w konsoli; link jest ważny 24 godziny od otwarcia:".into(),
            link: link.clone(),
            severity: None,
            rating: None,
        },
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
