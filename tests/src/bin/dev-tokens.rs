//! Prints ready-to-use tokens for `make dev`: a customer, an engineer and an admin (12 hours),
//! and, when `CONSOLE_URL` is set, a console sign-in link for each (`<console>/#token=<JWT>`).

use api::identity::{mint_local_token, ADMINS_GROUP, ENGINEERS_GROUP};

fn main() {
    let secret = std::env::var("LOCAL_AUTH_SECRET")
        .unwrap_or_else(|_| "incident-desk-local-dev-secret".into());
    let exp = chrono::Utc::now().timestamp() + 12 * 3600;
    println!("\nTokens (valid 12 hours), for example: export CUSTOMER=… ENGINEER=… ADMIN=…");
    let console = std::env::var("CONSOLE_URL").ok().filter(|u| !u.is_empty());
    let mut links = Vec::new();
    for (name, sub, groups) in [
        ("CUSTOMER", "dev-customer", vec![]),
        ("ENGINEER", "dev-engineer", vec![ENGINEERS_GROUP]),
        ("ADMIN", "dev-admin", vec![ADMINS_GROUP, ENGINEERS_GROUP]),
    ] {
        let token = mint_local_token(
            secret.as_bytes(),
            sub,
            &format!("{sub}@example.com"),
            &groups,
            exp,
        );
        println!("export {name}={token}");
        if let Some(url) = &console {
            links.push(format!(
                "  {:<9} {}/#token={token}",
                name.to_lowercase(),
                url.trim_end_matches('/')
            ));
        }
    }
    if !links.is_empty() {
        println!("\nConsole sign-in links (each tab keeps its own sign-in):");
        for link in links {
            println!("{link}");
        }
    }
}
