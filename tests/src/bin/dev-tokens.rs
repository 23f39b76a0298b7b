//! Prints ready-to-use ID tokens for `make dev`'s users (a customer, a Polish customer, an
//! engineer and an admin; 12 hours), signed with the local OpenID Connect provider's key
//! (`OIDC_KEY_FILE`, issuer `OIDC_ISSUER`) exactly as the provider signs them, for curl and
//! scripts. People sign in to the console through the provider's login page instead.

use api::identity::{ADMINS_GROUP, ENGINEERS_GROUP};
use e2e::tokens::Signer;

fn main() {
    let signer = match Signer::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dev-tokens: {e} (the local stack exports both)");
            std::process::exit(2);
        }
    };
    println!("\nTokens (valid 12 hours), for example: export CUSTOMER=… ENGINEER=… ADMIN=…");
    for (name, sub, groups) in [
        ("CUSTOMER", "dev-customer", vec![]),
        ("CUSTOMER_PL", "dev-customer-pl", vec![]),
        ("ENGINEER", "dev-engineer", vec![ENGINEERS_GROUP]),
        ("ADMIN", "dev-admin", vec![ADMINS_GROUP, ENGINEERS_GROUP]),
    ] {
        let claims = signer.id_claims(sub, Some(&format!("{sub}@example.com")), &groups, 12 * 3600);
        println!("export {name}={}", signer.sign(&claims));
    }
}
