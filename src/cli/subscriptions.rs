//! `crosswalk subscriptions …`: argument types and printing. The work is in
//! `crosswalk::alerts`. `add` needs the store (codes are checked against the graph), so it runs
//! while `crosswalk serve` is stopped; `list`, `remove` and `test` only need the ops database.

use clap::{Args, Subcommand};
use crosswalk::alerts::{Alerts, dispatch, outbox, subscription, webhook};
use crosswalk::config::Config;
use crosswalk::graph::codes::Codes;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Subcommand)]
pub enum SubscriptionsCommand {
    /// Subscribe: a JSON document as `POST /api/subscriptions` takes it, or flags
    Add(Box<AddArgs>),
    /// List subscriptions (never their secrets)
    List {
        /// One JSON object per subscription
        #[arg(long)]
        json: bool,
    },
    /// Delete a subscription with its queued deliveries and log
    Remove { id: String },
    /// Send a `test` message to a subscription now and print the outcome
    Test { id: String },
}

#[derive(Args)]
pub struct AddArgs {
    /// The whole subscription as JSON (or @file.json); flags are ignored with it
    #[arg(long)]
    json: Option<String>,
    /// webhook, email or atom [default: webhook with --url, email with --email, else atom]
    #[arg(long)]
    channel: Option<String>,
    #[arg(long)]
    url: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// E-mail digest: none, daily or weekly
    #[arg(long)]
    digest: Option<String>,
    #[arg(long)]
    jurisdiction: Vec<String>,
    #[arg(long)]
    instrument: Vec<String>,
    #[arg(long)]
    source: Vec<String>,
    #[arg(long)]
    theme: Vec<String>,
    #[arg(long)]
    role: Vec<String>,
    /// Change kind (provision-added, provision-modified, …)
    #[arg(long)]
    kind: Vec<String>,
    /// Editorial changes too, not only material ones
    #[arg(long)]
    all_changes: bool,
    /// A saved query to re-evaluate after every change (a standing query)
    #[arg(long)]
    query: Option<String>,
    /// Standing query parameter as key=value (repeatable)
    #[arg(long = "param", short = 'p')]
    params: Vec<String>,
    /// Event types (change.detected, query.results_changed, deadline.upcoming,
    /// deadline.moved, source.health)
    #[arg(long = "type")]
    types: Vec<String>,
    /// Remind this many days before a followed requirement applies
    #[arg(long)]
    remind_days: Option<u32>,
}

impl AddArgs {
    fn document(&self) -> Result<String, String> {
        if let Some(json) = &self.json {
            return match json.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}")),
                None => Ok(json.clone()),
            };
        }
        let channel = self.channel.clone().unwrap_or_else(|| {
            if self.url.is_some() {
                "webhook".into()
            } else if self.email.is_some() {
                "email".into()
            } else {
                "atom".into()
            }
        });
        let mut doc = serde_json::json!({ "channel": channel });
        let map = doc.as_object_mut().ok_or("internal")?;
        let mut put = |key: &str, value: serde_json::Value| {
            map.insert(key.into(), value);
        };
        if let Some(v) = &self.url {
            put("url", v.clone().into());
        }
        if let Some(v) = &self.email {
            put("email", v.clone().into());
        }
        if let Some(v) = &self.digest {
            put("digest", v.clone().into());
        }
        for (key, values) in [
            ("jurisdiction", &self.jurisdiction),
            ("instrument", &self.instrument),
            ("source", &self.source),
            ("theme", &self.theme),
            ("role", &self.role),
            ("kind", &self.kind),
            ("types", &self.types),
        ] {
            if !values.is_empty() {
                put(key, values.clone().into());
            }
        }
        if self.all_changes {
            put("material", false.into());
        }
        if let Some(name) = &self.query {
            let mut params = serde_json::Map::new();
            for p in &self.params {
                let (k, v) = p
                    .split_once('=')
                    .ok_or_else(|| format!("--param {p:?}: expected key=value"))?;
                params.insert(k.into(), v.into());
            }
            put(
                "query",
                serde_json::json!({ "name": name, "params": params }),
            );
        }
        if let Some(days) = self.remind_days {
            put("remind_days", days.into());
        }
        Ok(doc.to_string())
    }
}

pub fn subscriptions(config: &Config, command: SubscriptionsCommand) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    match command {
        SubscriptionsCommand::Add(args) => {
            let document = args.document()?;
            let request = subscription::parse(document.as_bytes()).map_err(|e| e.to_string())?;
            request.check().map_err(|e| e.to_string())?;
            let opened = crate::open_with_hint(
                config,
                "POST /api/subscriptions (JSON body, admin bearer token)",
            )?;
            let alerts = opened
                .downstream
                .alerts()
                .cloned()
                .ok_or("alerts are disabled (alerts.enabled = false)")?;
            if let Some(url) = request.url.as_deref() {
                let allow = alerts.allow_list().map_err(|e| e.to_string())?;
                runtime
                    .block_on(webhook::check_url(url, &allow))
                    .map_err(|e| e.to_string())?;
            }
            let codes = Codes::load(&opened.graph).map_err(|e| e.to_string())?;
            let (_, created) = subscription::finish(&alerts, &opened.graph, &codes, request)
                .map_err(|e| e.to_string())?;
            println!("id      {}", created.id);
            println!("secret  {}  (shown once: keep it)", created.secret);
            if let Some(feed) = created.feed_url {
                println!("feed    {feed}");
            }
        }
        SubscriptionsCommand::List { json } => {
            let alerts = Alerts::open(config).map_err(|e| e.to_string())?;
            for s in subscription::list(&alerts).map_err(|e| e.to_string())? {
                if json {
                    println!("{}", serde_json::to_string(&s).map_err(|e| e.to_string())?);
                } else {
                    let target = s
                        .spec
                        .url
                        .clone()
                        .or_else(|| s.spec.email.clone())
                        .unwrap_or_else(|| "(private feed)".into());
                    println!(
                        "{:<22} {:<8} {:<9} {:<40} {}",
                        s.id,
                        format!("{:?}", s.spec.channel).to_lowercase(),
                        if s.enabled { "enabled" } else { "disabled" },
                        target,
                        s.spec.types.join(",")
                    );
                }
            }
        }
        SubscriptionsCommand::Remove { id } => {
            let alerts = Alerts::open(config).map_err(|e| e.to_string())?;
            subscription::remove(&alerts, &id).map_err(|e| e.to_string())?;
            println!("removed {id}");
        }
        SubscriptionsCommand::Test { id } => {
            let alerts = Alerts::open(config).map_err(|e| e.to_string())?;
            // Held from a running server's dispatcher for longer than this attempt can take,
            // so the receiver gets one message, not one from each process.
            let timeouts = &alerts.config.alerts;
            let hold = Duration::from_secs(
                (timeouts.connect_timeout_secs + timeouts.timeout_secs).max(30) + 60,
            );
            let delivery = outbox::queue_test(&alerts, &id, hold).map_err(|e| e.to_string())?;
            let due = dispatch::due(&alerts, i64::MAX, 10_000)
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|d| d.id == delivery)
                .ok_or("the test message is not due (is the subscription disabled?)")?;
            runtime
                .block_on(dispatch::attempt(&alerts, &due))
                .map_err(|e| e.to_string())?;
            let log = outbox::deliveries(&alerts, &id, 50).map_err(|e| e.to_string())?;
            let attempt = log
                .iter()
                .find(|d| d.id == delivery)
                .and_then(|d| d.log.last().cloned());
            let Some(a) = attempt else {
                return Err("no attempt recorded".into());
            };
            // SMTP's acceptance is logged as status 250, an HTTP answer as its status.
            let status = match (a.status, sub_is_email(&alerts, &id)) {
                (Some(code), true) => format!("SMTP {code}"),
                (Some(code), false) => format!("HTTP {code}"),
                (None, _) => "no answer".to_owned(),
            };
            let latency = a
                .latency_ms
                .map(|ms| format!(" in {ms} ms"))
                .unwrap_or_default();
            match a.error {
                None => println!("delivered: {status}{latency}"),
                Some(error) => {
                    println!("failed: {status}{latency}: {error}");
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sub_is_email(alerts: &Alerts, id: &str) -> bool {
    subscription::get(alerts, id).is_ok_and(|s| s.spec.channel == subscription::Channel::Email)
}
