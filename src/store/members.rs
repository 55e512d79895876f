//! Members, their roles per workspace, one-time sign-in links and console sessions. A
//! workspace always keeps at least one admin: the store refuses the change that would leave
//! it without one, so two admins demoting each other at once cannot lock a team out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::entity::{console_session, member, member_token, membership, workspace};
use super::{Store, StoreError, StoreResult};
use crate::domain::{hash_key, new_id, new_token, Email, Role};

pub use member::Model as Member;

/// A member's place in one workspace.
#[derive(Debug, Clone)]
pub struct Membership {
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
}

/// A member as a workspace's member list shows them.
#[derive(Debug, Clone)]
pub struct WorkspaceMember {
    pub member: Member,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// A live console session: who it signs in and the token its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    /// The SHA-256 of the cookie's value (the session's key in the table).
    pub hash: String,
    pub member: Member,
    pub csrf_token: String,
}

/// A sign-in link that can still be used.
#[derive(Debug, Clone)]
pub struct MemberLink {
    pub member: Member,
    pub workspace_name: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Sessions are seen again at most this often: a page load does not write every time.
const TOUCH_EVERY_SECS: i64 = 60;
/// A session lasts at most this long, however active.
const SESSION_MAX_DAYS: i64 = 30;

fn role_of(stored: &str) -> Role {
    // Rows are written from `Role::as_str` only; an unknown value from a newer version reads
    // as the least privilege.
    Role::parse(stored).unwrap_or(Role::Viewer)
}

impl Store {
    /// Gives `email` the role in the workspace, creating the member if the address is new;
    /// returns the member and whether they were new to the workspace. A password hash, when
    /// given, replaces the member's.
    pub async fn add_member(
        &self,
        workspace_id: &str,
        email: &Email,
        role: Role,
        password_hash: Option<String>,
    ) -> StoreResult<(Member, bool)> {
        if self.workspace(workspace_id).await?.is_none() {
            return Err(StoreError::NotFound("workspace"));
        }
        let now = self.now();
        let txn = self.db.begin().await?;
        let existing = member::Entity::find()
            .filter(member::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        let m = match existing {
            Some(m) => match password_hash {
                Some(h) => {
                    let mut a: member::ActiveModel = m.into();
                    a.password_hash = Set(Some(h));
                    a.update(&txn).await?
                }
                None => m,
            },
            None => {
                member::ActiveModel {
                    id: Set(format!("mem_{}", new_id())),
                    email: Set(email.as_str().to_owned()),
                    name: Set(None),
                    password_hash: Set(password_hash),
                    created_at: Set(now),
                }
                .insert(&txn)
                .await?
            }
        };
        let before = membership::Entity::find_by_id((workspace_id.to_owned(), m.id.clone()))
            .one(&txn)
            .await?;
        let joined = before.is_none();
        if let Some(b) = before {
            if role_of(&b.role) == Role::Admin && role != Role::Admin {
                ensure_other_admin(&txn, workspace_id, &m.id).await?;
            }
        }
        membership::Entity::insert(membership::ActiveModel {
            workspace_id: Set(workspace_id.to_owned()),
            member_id: Set(m.id.clone()),
            role: Set(role.as_str().to_owned()),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                membership::Column::WorkspaceId,
                membership::Column::MemberId,
            ])
            .update_column(membership::Column::Role)
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok((m, joined))
    }

    pub async fn member(&self, id: &str) -> StoreResult<Option<Member>> {
        Ok(member::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?)
    }

    pub async fn member_by_email(&self, email: &Email) -> StoreResult<Option<Member>> {
        Ok(member::Entity::find()
            .filter(member::Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await?)
    }

    /// The member's role in the workspace, `None` when they are not in it.
    pub async fn role_in(&self, workspace_id: &str, member_id: &str) -> StoreResult<Option<Role>> {
        Ok(
            membership::Entity::find_by_id((workspace_id.to_owned(), member_id.to_owned()))
                .one(&self.db)
                .await?
                .map(|m| role_of(&m.role)),
        )
    }

    /// Every workspace the member is in, by name.
    pub async fn memberships(&self, member_id: &str) -> StoreResult<Vec<Membership>> {
        let rows = membership::Entity::find()
            .filter(membership::Column::MemberId.eq(member_id))
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(ws) = workspace::Entity::find_by_id(r.workspace_id.clone())
                .one(&self.db)
                .await?
            {
                out.push(Membership {
                    workspace_id: ws.id,
                    workspace_name: ws.name,
                    role: role_of(&r.role),
                });
            }
        }
        out.sort_by(|a, b| a.workspace_name.cmp(&b.workspace_name));
        Ok(out)
    }

    /// The workspace's members, admins first, then by address.
    pub async fn workspace_members(&self, workspace_id: &str) -> StoreResult<Vec<WorkspaceMember>> {
        let rows = membership::Entity::find()
            .filter(membership::Column::WorkspaceId.eq(workspace_id))
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(m) = self.member(&r.member_id).await? {
                out.push(WorkspaceMember {
                    member: m,
                    role: role_of(&r.role),
                    joined_at: r.created_at,
                });
            }
        }
        out.sort_by(|a, b| {
            b.role
                .cmp(&a.role)
                .then_with(|| a.member.email.cmp(&b.member.email))
        });
        Ok(out)
    }

    /// Changes a member's role; `false` when they are not in the workspace. Refuses to take
    /// the last admin's role away.
    pub async fn set_member_role(
        &self,
        workspace_id: &str,
        member_id: &str,
        role: Role,
    ) -> StoreResult<bool> {
        let txn = self.db.begin().await?;
        let Some(current) =
            membership::Entity::find_by_id((workspace_id.to_owned(), member_id.to_owned()))
                .one(&txn)
                .await?
        else {
            return Ok(false);
        };
        if role_of(&current.role) == Role::Admin && role != Role::Admin {
            ensure_other_admin(&txn, workspace_id, member_id).await?;
        }
        let mut a: membership::ActiveModel = current.into();
        a.role = Set(role.as_str().to_owned());
        a.update(&txn).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Takes a member out of the workspace (they keep their other workspaces); `false` when
    /// they were not in it. Refuses to remove the last admin.
    pub async fn remove_member(&self, workspace_id: &str, member_id: &str) -> StoreResult<bool> {
        let txn = self.db.begin().await?;
        let Some(current) =
            membership::Entity::find_by_id((workspace_id.to_owned(), member_id.to_owned()))
                .one(&txn)
                .await?
        else {
            return Ok(false);
        };
        if role_of(&current.role) == Role::Admin {
            ensure_other_admin(&txn, workspace_id, member_id).await?;
        }
        membership::Entity::delete_by_id((workspace_id.to_owned(), member_id.to_owned()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// A one-time link token for the member to set a password (an invitation or a reset),
    /// valid for `ttl`. Returns the plaintext; only its hash is stored.
    pub async fn issue_member_link(
        &self,
        member_id: &str,
        workspace_id: Option<&str>,
        ttl: Duration,
    ) -> StoreResult<String> {
        let (plaintext, hash) = new_token();
        let now = self.now();
        member_token::ActiveModel {
            hash: Set(hash),
            member_id: Set(member_id.to_owned()),
            workspace_id: Set(workspace_id.map(str::to_owned)),
            created_at: Set(now),
            expires_at: Set(now + ttl),
            used_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(plaintext)
    }

    /// The link's member when the link is unused and unexpired.
    pub async fn member_link(&self, token: &str) -> StoreResult<Option<MemberLink>> {
        let Some(t) = member_token::Entity::find_by_id(hash_key(token))
            .filter(member_token::Column::UsedAt.is_null())
            .filter(member_token::Column::ExpiresAt.gt(self.now()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(member) = self.member(&t.member_id).await? else {
            return Ok(None);
        };
        let workspace_name = match &t.workspace_id {
            Some(ws) => self.workspace(ws).await?.map(|w| w.name),
            None => None,
        };
        Ok(Some(MemberLink {
            member,
            workspace_name,
            expires_at: t.expires_at,
        }))
    }

    /// Uses the link once: sets the member's password and ends their other sessions. `None`
    /// when the link is unknown, used or expired (a second click, or two at once, gets
    /// `None`: the first update wins).
    pub async fn set_password_by_link(
        &self,
        token: &str,
        password_hash: String,
    ) -> StoreResult<Option<Member>> {
        let now = self.now();
        let hash = hash_key(token);
        let txn = self.db.begin().await?;
        let used = member_token::Entity::update_many()
            .col_expr(member_token::Column::UsedAt, Expr::value(now))
            .filter(member_token::Column::Hash.eq(hash.as_str()))
            .filter(member_token::Column::UsedAt.is_null())
            .filter(member_token::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Ok(None);
        }
        let Some(t) = member_token::Entity::find_by_id(hash).one(&txn).await? else {
            return Ok(None);
        };
        let Some(m) = member::Entity::find_by_id(t.member_id).one(&txn).await? else {
            return Ok(None);
        };
        let mut a: member::ActiveModel = m.into();
        a.password_hash = Set(Some(password_hash));
        let m = a.update(&txn).await?;
        console_session::Entity::update_many()
            .col_expr(console_session::Column::RevokedAt, Expr::value(now))
            .filter(console_session::Column::MemberId.eq(m.id.as_str()))
            .filter(console_session::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(m))
    }

    /// Starts a session; returns the cookie's value (shown once, stored hashed).
    pub async fn create_session(&self, member_id: &str) -> StoreResult<String> {
        let (plaintext, hash) = new_token();
        let (csrf, _) = new_token();
        let now = self.now();
        console_session::ActiveModel {
            hash: Set(hash),
            member_id: Set(member_id.to_owned()),
            csrf_token: Set(csrf),
            created_at: Set(now),
            last_seen_at: Set(now),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(plaintext)
    }

    /// The live session a cookie names: not revoked, seen within `idle`, younger than the
    /// longest a session may last. Marks it seen.
    pub async fn session(&self, cookie: &str, idle: Duration) -> StoreResult<Option<Session>> {
        let now = self.now();
        let Some(s) = console_session::Entity::find_by_id(hash_key(cookie))
            .filter(console_session::Column::RevokedAt.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if s.last_seen_at + idle <= now || s.created_at + Duration::days(SESSION_MAX_DAYS) <= now {
            return Ok(None);
        }
        let Some(member) = self.member(&s.member_id).await? else {
            return Ok(None);
        };
        if (now - s.last_seen_at).num_seconds() >= TOUCH_EVERY_SECS {
            console_session::Entity::update_many()
                .col_expr(console_session::Column::LastSeenAt, Expr::value(now))
                .filter(console_session::Column::Hash.eq(s.hash.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(Some(Session {
            hash: s.hash,
            member,
            csrf_token: s.csrf_token,
        }))
    }

    /// Ends a session (signing out); idempotent.
    pub async fn revoke_session(&self, hash: &str) -> StoreResult<()> {
        console_session::Entity::update_many()
            .col_expr(console_session::Column::RevokedAt, Expr::value(self.now()))
            .filter(console_session::Column::Hash.eq(hash))
            .filter(console_session::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets sessions that ended or went idle long ago, and used or expired links.
    pub async fn prune_sessions(&self, idle: Duration) -> StoreResult<u64> {
        let now = self.now();
        let cutoff = now - idle.max(Duration::days(1));
        let sessions = console_session::Entity::delete_many()
            .filter(
                console_session::Column::RevokedAt
                    .lt(cutoff)
                    .or(console_session::Column::LastSeenAt.lt(cutoff)),
            )
            .exec(&self.db)
            .await?;
        let links = member_token::Entity::delete_many()
            .filter(member_token::Column::ExpiresAt.lt(now - Duration::days(30)))
            .exec(&self.db)
            .await?;
        Ok(sessions.rows_affected + links.rows_affected)
    }

    /// Members of any workspace (for `tingjian demo` to know whether it ran before).
    pub async fn member_count(&self) -> StoreResult<u64> {
        Ok(member::Entity::find().count(&self.db).await?)
    }
}

/// Fails with a conflict unless the workspace has an admin other than `member_id`.
async fn ensure_other_admin(
    txn: &sea_orm::DatabaseTransaction,
    workspace_id: &str,
    member_id: &str,
) -> StoreResult<()> {
    let others = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .filter(membership::Column::MemberId.ne(member_id))
        .order_by_asc(membership::Column::MemberId)
        .count(txn)
        .await?;
    if others == 0 {
        return Err(StoreError::Conflict(
            "a workspace keeps at least one admin".into(),
        ));
    }
    Ok(())
}
