//! How the domain's refusal of an action on an incident is answered (acting on an incident is
//! the `usecases::act` use case).

use crate::problem::ApiError;
use domain::incident::ActionError;

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => ApiError::NotFound,
            ActionError::Forbidden(who) => ApiError::Forbidden(who),
            ActionError::InvalidState(why) => ApiError::InvalidState(why),
        }
    }
}
