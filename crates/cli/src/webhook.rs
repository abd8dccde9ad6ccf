//! `rightsguard webhook add|list|rotate|disable`: the marketplace's webhook
//! endpoints from the command line, as the system actor (every change audited).
//! The same operations are in the API under `/api/v1/webhooks` for admins.

use std::process::ExitCode;

use jiff::SignedDuration;
use rightsguard_app::webhooks::{EndpointPatch, NewEndpoint};
use rightsguard_domain::outbound::ActionType;
use rightsguard_store::webhooks::WebhookEndpoint;

use crate::account::app;
use crate::db::{DbArgs, runtime};

/// `rightsguard webhook ...`
#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint; prints it with its signing secret (shown only here
    /// and by `rotate`).
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Where to POST events (http or https).
        #[arg(long)]
        url: String,
        /// Event types to receive (repeat or comma-separate): listing.taken_down,
        /// listing.reinstated, listing.held, listing.released, store.frozen,
        /// store.unfrozen, store.closed, account.suspended,
        /// account.suspension_ended; default: all.
        #[arg(long = "event", value_delimiter = ',')]
        events: Vec<String>,
        /// A note for admins.
        #[arg(long, default_value = "")]
        description: String,
        /// Networks the endpoint may be on besides public addresses (as
        /// `serve --webhooks-allow-net`).
        #[arg(long, env = "RIGHTSGUARD_WEBHOOKS_ALLOW_NET", value_delimiter = ',')]
        webhooks_allow_net: Vec<ipnet::IpNet>,
    },
    /// List the endpoints (secrets hidden).
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Give an endpoint a new secret; the older ones keep signing for the grace period.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        /// The endpoint (`whe_...`).
        #[arg(long)]
        id: String,
        /// Hours the older secrets keep signing.
        #[arg(long, default_value_t = 24)]
        grace_hours: u16,
    },
    /// Stop deliveries to an endpoint (pending ones wait until it is enabled again).
    Disable {
        #[command(flatten)]
        db: DbArgs,
        /// The endpoint (`whe_...`).
        #[arg(long)]
        id: String,
    },
}

fn view(e: &WebhookEndpoint, show_secret: bool) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "event_types": e.event_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "enabled": e.enabled,
        "secrets": e.secrets.iter().map(|s| serde_json::json!({
            "hint": format!("{}…", s.secret.chars().take(10).collect::<String>()),
            "created_at": s.created_at,
            "expires_at": s.expires_at,
        })).collect::<Vec<_>>(),
        "created_at": e.created_at,
    });
    if show_secret && let Some(s) = e.secrets.last() {
        v["secret"] = serde_json::Value::String(s.secret.clone());
    }
    v
}

/// Runs `rightsguard webhook`.
pub fn run(cmd: WebhookCommand) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            WebhookCommand::Add {
                db,
                url,
                events,
                description,
                webhooks_allow_net,
            } => {
                let event_types = events
                    .iter()
                    .map(|t| {
                        ActionType::parse(t.trim())
                            .ok_or_else(|| anyhow::anyhow!("unknown event type {t:?}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let app = app(&db)
                    .await?
                    .with_egress(rightsguard_app::egress::EgressPolicy::new(
                        webhooks_allow_net,
                    ));
                let e = app
                    .create_webhook_endpoint(
                        &app.system_actor(),
                        NewEndpoint {
                            url,
                            description,
                            event_types,
                            enabled: true,
                        },
                    )
                    .await?;
                app.store().close().await;
                eprintln!("rightsguard: the secret is shown once here; give it to the receiver");
                outln!("{}", view(&e, true))?;
            }
            WebhookCommand::List { db } => {
                let app = app(&db).await?;
                let all = app.webhook_endpoints(&app.system_actor()).await?;
                app.store().close().await;
                for e in &all {
                    outln!("{}", view(e, false))?;
                }
            }
            WebhookCommand::Rotate {
                db,
                id,
                grace_hours,
            } => {
                let app = app(&db).await?;
                let e = app
                    .rotate_webhook_secret(
                        &app.system_actor(),
                        &id,
                        SignedDuration::from_hours(i64::from(grace_hours)),
                    )
                    .await?;
                app.store().close().await;
                outln!("{}", view(&e, true))?;
            }
            WebhookCommand::Disable { db, id } => {
                let app = app(&db).await?;
                let e = app
                    .update_webhook_endpoint(
                        &app.system_actor(),
                        &id,
                        EndpointPatch {
                            enabled: Some(false),
                            ..EndpointPatch::default()
                        },
                    )
                    .await?;
                app.store().close().await;
                outln!("{}", view(&e, false))?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
