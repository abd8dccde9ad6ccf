//! `rightsguard org|user|token|poa`: accounts from the command line.
//!
//! These are the operator's tools until there is an admin UI: create the
//! organisations and users, record powers of attorney, issue and revoke API
//! tokens. A token is printed once, when issued; only its hash is stored.

use std::process::ExitCode;
use std::sync::Arc;

use rightsguard_app::{App, SystemClock};
use rightsguard_domain::account::{DisplayName, OrgKind};
use rightsguard_domain::actor::Role;
use rightsguard_domain::ids::{OrgId, UserId};
use rightsguard_domain::policy::Policy;
use rightsguard_store::SqlStore;

use crate::db::{DbArgs, runtime};

/// Kinds of organisation.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// Owns IP rights.
    RightsHolder,
    /// Acts for rights holders under powers of attorney.
    Agent,
    /// Sells on the marketplace.
    Seller,
    /// Runs the marketplace; its users are staff.
    Platform,
}

/// Roles of a user.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum UserRole {
    /// A rights holder's user.
    RightsHolder,
    /// An agent's user.
    Agent,
    /// A seller's user.
    Seller,
    /// Platform staff who verify rights and decide complaints.
    Reviewer,
    /// Platform staff who set policy and decide on abusers.
    Admin,
}

/// `rightsguard org ...`
#[derive(Debug, clap::Subcommand)]
pub enum OrgCommand {
    /// Create an organisation.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Its id (letters, digits, `-_.:`).
        #[arg(long)]
        id: String,
        /// What it is.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Its name.
        #[arg(long)]
        name: String,
    },
}

/// `rightsguard user ...`
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create a user of an organisation (the role must fit its kind:
    /// platform users are reviewers or admins).
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Its id.
        #[arg(long)]
        id: String,
        /// Its organisation.
        #[arg(long)]
        org: String,
        /// Its role.
        #[arg(long, value_enum)]
        role: UserRole,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Set a user's password for the web pages (stored as an argon2id hash).
    /// The password is read from --password-file, or else from standard
    /// input (one line), never from the command line, where other users of
    /// the machine could see it.
    SetPassword {
        #[command(flatten)]
        db: DbArgs,
        /// The user.
        #[arg(long)]
        user: String,
        /// A file holding the password (a trailing newline is ignored).
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
    },
}

/// `rightsguard token ...`
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Issue an API token for a user; it is printed once and stored hashed.
    Issue {
        #[command(flatten)]
        db: DbArgs,
        /// The user.
        #[arg(long)]
        user: String,
    },
    /// Revoke an API token by its id (`tok_...`, printed when it was issued).
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        /// The token's id.
        #[arg(long)]
        id: String,
    },
}

/// `rightsguard poa ...`
#[derive(Debug, clap::Subcommand)]
pub enum PoaCommand {
    /// Record that an agent acts for a rights holder under a power of attorney.
    Grant {
        #[command(flatten)]
        db: DbArgs,
        /// The agent organisation.
        #[arg(long)]
        agent: String,
        /// The rights holder it acts for.
        #[arg(long)]
        principal: String,
    },
}

pub(crate) async fn app(db: &DbArgs) -> anyhow::Result<App<SqlStore>> {
    // Accounts do not depend on the site's policy; any valid profile will do.
    app_with_policy(db, "aliexpress").await
}

/// The app on `db` under the site's `policy`, acting as the platform.
pub(crate) async fn app_with_policy(db: &DbArgs, policy: &str) -> anyhow::Result<App<SqlStore>> {
    let store = SqlStore::connect(&db.db).await?;
    Ok(App::new(
        store,
        Arc::new(SystemClock),
        Policy::builtin(policy)?,
        OrgId::parse("platform")?,
    )?)
}

fn print(v: serde_json::Value) -> anyhow::Result<ExitCode> {
    outln!("{v}")?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `rightsguard org`.
pub fn org(cmd: OrgCommand) -> anyhow::Result<ExitCode> {
    let OrgCommand::Add { db, id, kind, name } = cmd;
    runtime()?.block_on(async {
        let kind = match kind {
            Kind::RightsHolder => OrgKind::RightsHolder,
            Kind::Agent => OrgKind::Agent,
            Kind::Seller => OrgKind::Seller,
            Kind::Platform => OrgKind::Platform,
        };
        let app = app(&db).await?;
        let org = app
            .add_org(
                &app.system_actor(),
                OrgId::parse(&id)?,
                kind,
                DisplayName::parse(&name)?,
            )
            .await?;
        app.store().close().await;
        print(serde_json::to_value(&org)?)
    })
}

/// Runs `rightsguard user`.
pub fn user(cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let (db, id, org, role, name) = match cmd {
        UserCommand::Add {
            db,
            id,
            org,
            role,
            name,
        } => (db, id, org, role, name),
        UserCommand::SetPassword {
            db,
            user,
            password_file,
        } => return set_password(db, user, password_file),
    };
    runtime()?.block_on(async {
        let role = match role {
            UserRole::RightsHolder => Role::RightsHolder,
            UserRole::Agent => Role::Agent,
            UserRole::Seller => Role::Seller,
            UserRole::Reviewer => Role::Reviewer,
            UserRole::Admin => Role::Admin,
        };
        let app = app(&db).await?;
        let user = app
            .add_user(
                &app.system_actor(),
                UserId::parse(&id)?,
                &OrgId::parse(&org)?,
                role,
                DisplayName::parse(&name)?,
            )
            .await?;
        app.store().close().await;
        print(serde_json::to_value(&user)?)
    })
}

/// Runs `rightsguard token`.
pub fn token(cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            TokenCommand::Issue { db, user } => {
                let app = app(&db).await?;
                let t = app
                    .issue_token(&app.system_actor(), &UserId::parse(&user)?)
                    .await?;
                app.store().close().await;
                eprintln!("rightsguard: this token is shown once; only its hash is stored");
                print(serde_json::json!({
                    "id": t.id,
                    "user": t.user,
                    "token": t.secret.expose(),
                }))
            }
            TokenCommand::Revoke { db, id } => {
                let app = app(&db).await?;
                let at = app.revoke_token(&app.system_actor(), &id).await?;
                app.store().close().await;
                print(serde_json::json!({"id": id, "revoked_at": at}))
            }
        }
    })
}

/// Runs `rightsguard poa`.
pub fn poa(cmd: PoaCommand) -> anyhow::Result<ExitCode> {
    let PoaCommand::Grant {
        db,
        agent,
        principal,
    } = cmd;
    runtime()?.block_on(async {
        let app = app(&db).await?;
        let (agent, principal) = (OrgId::parse(&agent)?, OrgId::parse(&principal)?);
        app.grant_power_of_attorney(&app.system_actor(), &agent, &principal)
            .await?;
        app.store().close().await;
        print(serde_json::json!({"agent": agent, "principal": principal}))
    })
}

fn set_password(
    db: DbArgs,
    user: String,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    use std::io::Read as _;
    let mut text = String::new();
    match &file {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
        None => {
            std::io::stdin().read_to_string(&mut text)?;
        }
    }
    let password = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_owned();
    runtime()?.block_on(async {
        let app = app(&db).await?;
        let id = UserId::parse(&user)?;
        let r = app
            .set_password(
                &app.system_actor(),
                &id,
                rightsguard_app::Secret::new(password),
            )
            .await;
        app.store().close().await;
        r?;
        print(serde_json::json!({ "user": user, "password_set": true }))
    })
}
