//! `DELETE /v1/sessions/current`: one conditional delete.

use super::commit::Writes;
use super::{AuthError, Context, InternalError};
use crate::app::App;
use crate::keys;
use crate::table::{Condition, Op, TransactError};
use crate::token::SessionToken;

#[derive(Debug, thiserror::Error)]
pub enum SignOutError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Internal(#[from] InternalError),
}

pub async fn sign_out(app: &App, token: &SessionToken) -> Result<(), SignOutError> {
    let delete = Op::delete_if(
        keys::session(&token.secret.hash()),
        Condition::AttributeEquals("account_id".into(), token.account_id.to_string().into()),
    );
    let mut writes = Writes::new(app, app.clock.now());
    writes.op(delete);
    match writes.commit().await {
        Ok(()) => Ok(()),
        Err(TransactError::ConditionFailed { .. }) => Err(AuthError::Unauthenticated.into()),
        Err(other) => Err(other)
            .context("deleting the session")
            .map_err(Into::into),
    }
}
