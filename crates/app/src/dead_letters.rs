//! Work items the scale-out workers gave up, for admins (issue 7).

use rightsguard_domain::actor::{Actor, Role};
use rightsguard_store::Store;
use rightsguard_store::dead_letters::{DeadLetter, DeadLetterStore};

use crate::access::require;
use crate::{App, Result};

impl<S: Store + DeadLetterStore> App<S> {
    /// Dead letters, newest first (admins).
    pub async fn dead_letters(&self, actor: &Actor, limit: i64) -> Result<Vec<DeadLetter>> {
        require(actor, &[Role::Admin], "see dead letters")?;
        Ok(self.store().dead_letters(limit.clamp(1, 1000)).await?)
    }
}
