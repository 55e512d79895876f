//! See: people who sign in to the console. A member is one person (an email, a password hash);
//! a membership gives them a role in one workspace, so one person can work in several. Sign-in
//! links (invitations, password resets) and console sessions are stored by the hash of their
//! token only, so a copy of the database signs nobody in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000005_see"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Member::Table)
                .col(string(Member::Id).primary_key())
                // Stored lower-cased: one person per address in any letter case.
                .col(string_uniq(Member::Email))
                .col(string_null(Member::Name))
                // argon2id PHC string; null until the member sets a password.
                .col(string_null(Member::PasswordHash))
                .col(timestamp_with_time_zone(Member::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Membership::Table)
                .col(string(Membership::WorkspaceId))
                .col(string(Membership::MemberId))
                // admin | editor | viewer
                .col(string(Membership::Role))
                .col(timestamp_with_time_zone(Membership::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Membership::WorkspaceId)
                        .col(Membership::MemberId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Membership::Table, Membership::WorkspaceId)
                        .to(Workspace::Table, Workspace::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Membership::Table, Membership::MemberId)
                        .to(Member::Table, Member::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_membership_member")
                .table(Membership::Table)
                .col(Membership::MemberId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MemberToken::Table)
                // SHA-256 of the token in the link, hex.
                .col(string(MemberToken::Hash).primary_key())
                .col(string(MemberToken::MemberId))
                // The workspace the link was made for (its name is shown on the page).
                .col(string_null(MemberToken::WorkspaceId))
                .col(timestamp_with_time_zone(MemberToken::CreatedAt))
                .col(timestamp_with_time_zone(MemberToken::ExpiresAt))
                .col(timestamp_with_time_zone_null(MemberToken::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(MemberToken::Table, MemberToken::MemberId)
                        .to(Member::Table, Member::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConsoleSession::Table)
                // SHA-256 of the cookie's value, hex.
                .col(string(ConsoleSession::Hash).primary_key())
                .col(string(ConsoleSession::MemberId))
                // Sent with every form and fetch that changes something.
                .col(string(ConsoleSession::CsrfToken))
                .col(timestamp_with_time_zone(ConsoleSession::CreatedAt))
                .col(timestamp_with_time_zone(ConsoleSession::LastSeenAt))
                .col(timestamp_with_time_zone_null(ConsoleSession::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ConsoleSession::Table, ConsoleSession::MemberId)
                        .to(Member::Table, Member::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_console_session_member")
                .table(ConsoleSession::Table)
                .col(ConsoleSession::MemberId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ConsoleSession::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(MemberToken::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Membership::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Member::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    WorkspaceId,
    MemberId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MemberToken {
    Table,
    Hash,
    MemberId,
    WorkspaceId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ConsoleSession {
    Table,
    Hash,
    MemberId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    RevokedAt,
}
