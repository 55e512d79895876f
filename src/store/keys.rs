//! API keys: created, listed, revoked, and looked up by hash on every request.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::api_key;
use super::{Store, StoreResult};
use crate::domain::{hash_key, new_id, Caller, NewKeySecret, Scopes};

pub use api_key::Model as ApiKey;

impl Store {
    /// Makes a key; the plaintext is returned once and never stored.
    pub async fn create_key(
        &self,
        workspace_id: &str,
        name: &str,
        scopes: &Scopes,
    ) -> StoreResult<(ApiKey, String)> {
        let secret = NewKeySecret::generate();
        let model = api_key::ActiveModel {
            id: Set(format!("key_{}", new_id())),
            workspace_id: Set(workspace_id.to_owned()),
            name: Set(name.to_owned()),
            prefix: Set(secret.prefix.clone()),
            hash: Set(secret.hash.clone()),
            scopes: Set(scopes.to_stored()),
            created_at: Set(self.now()),
            revoked_at: Set(None),
        };
        Ok((model.insert(&self.db).await?, secret.plaintext))
    }

    pub async fn list_keys(&self, workspace_id: &str) -> StoreResult<Vec<ApiKey>> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::WorkspaceId.eq(workspace_id))
            .order_by_asc(api_key::Column::Id)
            .all(&self.db)
            .await?)
    }

    /// Revokes a key of this workspace; false when there is no such key.
    pub async fn revoke_key(&self, workspace_id: &str, key_id: &str) -> StoreResult<bool> {
        let res = api_key::Entity::update_many()
            .col_expr(
                api_key::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(self.now()),
            )
            .filter(api_key::Column::WorkspaceId.eq(workspace_id))
            .filter(api_key::Column::Id.eq(key_id))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        if res.rows_affected > 0 {
            // Which hash was cached is not known here; a revocation is rare.
            self.keys.forget_all();
            return Ok(true);
        }
        // Revoking twice is fine; a key of another workspace is "not found".
        Ok(api_key::Entity::find_by_id(key_id.to_owned())
            .filter(api_key::Column::WorkspaceId.eq(workspace_id))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The caller behind a plaintext key, if the key exists and is live. Deleting a workspace
    /// cascades to its keys, so a live key always has a workspace. A live key found is trusted
    /// for [`super::recent::TRUSTED_FOR`] without asking the database again (a key revoked
    /// through this process is dropped at once); unknown and revoked keys are always looked up,
    /// so guesses fill nothing.
    pub async fn authenticate(&self, plaintext: &str) -> StoreResult<Option<Caller>> {
        let hash = hash_key(plaintext);
        if let Some(caller) = self.keys.get(&hash) {
            return Ok(Some(Caller::clone(&caller)));
        }
        let mark = self.keys.mark();
        let key = api_key::Entity::find()
            .filter(api_key::Column::Hash.eq(hash.as_str()))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?;
        let caller = key.map(|k| Caller {
            workspace_id: k.workspace_id,
            key_id: k.id,
            scopes: Scopes::from_stored(&k.scopes),
        });
        if let Some(caller) = &caller {
            self.keys
                .put_read(&hash, std::sync::Arc::new(caller.clone()), mark);
        }
        Ok(caller)
    }
}
