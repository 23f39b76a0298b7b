//! What an incident is about, and which categories professional support does not cover (S5,
//! S6) with where each belongs instead.

use crate::types::wire_enum;

wire_enum!(
    /// What an incident is about. The last six are not covered by professional support (S5, S6).
    Category {
        Installation => "installation",
        Configuration => "configuration",
        ErrorOrCrash => "error_or_crash",
        Performance => "performance",
        Connectivity => "connectivity",
        DataRecovery => "data_recovery",
        UpgradeMigration => "upgrade_migration",
        OtherTechnical => "other_technical",
        FeatureRequest => "feature_request",
        OnsiteSupport => "onsite_support",
        CustomCode => "custom_code",
        DeveloperSupport => "developer_support",
        SecurityIncidentResponse => "security_incident_response",
        BillingQuestion => "billing_question",
    }
);

impl Category {
    /// Where an excluded request belongs instead; `None` for categories in scope.
    pub fn redirect(self) -> Option<&'static str> {
        Some(match self {
            Category::FeatureRequest => {
                "Product feature proposals are not support incidents: send them through the product feedback channel, where the product team reviews them."
            }
            Category::OnsiteSupport => {
                "Professional support is delivered remotely; for work at your premises, contact a consulting partner or the vendor's consulting services."
            }
            Category::CustomCode => {
                "Writing or reviewing custom code is not covered: engage a consulting partner or the vendor's consulting services."
            }
            Category::DeveloperSupport => {
                "Developer questions about add-ins, APIs and the like (including Microsoft Graph) belong to a developer support plan or the developer community forums."
            }
            Category::SecurityIncidentResponse => {
                "Security incidents are handled by a dedicated incident response service: contact the vendor's security incident response team."
            }
            Category::BillingQuestion => {
                "Card billing questions are answered on the vendor's account site (account settings, billing section), not by technical support."
            }
            _ => return None,
        })
    }
}
