//! `reply-address INCIDENT_ID RECIPIENT`: prints the reply address the notifier puts in
//! `Reply-To` for that incident and recipient (`REPLY_TOKEN_KEY`, `REPLY_DOMAIN` from the
//! environment, as the functions read them). For the local stack's tools (`bench/email_replies.py`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [incident_id, recipient] = args.as_slice() else {
        eprintln!("usage: reply-address INCIDENT_ID RECIPIENT");
        return ExitCode::from(2);
    };
    let key = match mailbox::ReplyKey::from_env() {
        Ok(key) => key,
        Err(e) => {
            eprintln!("reply-address: {e}");
            return ExitCode::FAILURE;
        }
    };
    let domain =
        std::env::var("REPLY_DOMAIN").unwrap_or_else(|_| "reply.incident-desk.localhost".into());
    match key.reply_address(incident_id, recipient, &domain) {
        Some(address) => {
            println!("{address}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("reply-address: {incident_id} is not an incident id");
            ExitCode::FAILURE
        }
    }
}
