//! `usher`: run the whole API locally, and the operator commands.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use usher_core::domain::{EmailAddress, PersonName, TenantName};
use usher_core::mail::FileMailer;
use usher_core::runtime::config_from_env;
use usher_core::table::{DynamoTable, Table};
use usher_core::usecases::bootstrap_tenant::{
    BootstrapTenant, FirstPassword, TenantOptions, bootstrap_tenant,
};
use usher_core::usecases::dispatch;
use usher_core::usecases::restore_owner::{self, RestoreOwner};
use usher_local::{
    DataDir, api_doc_json, inbound_log, local_app, local_sender, receive_inbound, serve,
};

/// The domain a local tenant may claim inbound addresses on, unless `USHER_INBOUND_DOMAINS` says.
const LOCAL_INBOUND_DOMAINS: &[&str] = &["usher.localhost"];

/// Where `usher serve` answers unless told otherwise (`--addr`'s default).
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

#[derive(Parser)]
#[command(
    name = "usher",
    version,
    about = "Usher: user onboarding for multi-tenant SaaS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every HTTP route on the embedded table, with local mail.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        #[arg(long, env = "USHER_DATA_DIR", default_value = ".usher")]
        data_dir: PathBuf,
        /// Do not create the demo tenant on an empty data dir.
        #[arg(long)]
        no_demo: bool,
    },
    /// Tenant operations.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// The operator's keys, for its back office (`POST/GET /v1/tenants` and the like).
    OperatorKey {
        #[command(subcommand)]
        command: OperatorKeyCommand,
    },
    /// Print the OpenAPI document generated from the code.
    Openapi,
    /// Feed one inbound message to the inbound-email use case, as SES would: FILE is an SES
    /// receipt event (JSON) or a raw message (`.eml`), which gets the verdicts below. Prints what
    /// it came to as JSON; `usher serve` shows it at /_local/inbound too.
    Inbound(InboundArgs),
}

#[derive(Args)]
struct InboundArgs {
    file: PathBuf,
    #[arg(long, env = "USHER_DATA_DIR", default_value = ".usher")]
    data_dir: PathBuf,
    /// SES's verdicts for a raw message: PASS, FAIL, GRAY or PROCESSING_FAILED.
    #[arg(long, default_value = "PASS")]
    spam: String,
    #[arg(long, default_value = "PASS")]
    virus: String,
    #[arg(long, default_value = "PASS")]
    spf: String,
    #[arg(long, default_value = "PASS")]
    dkim: String,
    #[arg(long, default_value = "PASS")]
    dmarc: String,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and its first owner; prints one JSON object.
    Create(CreateTenant),
    /// Give a tenant left with no owner able to act (all archived or cut off) an owner back: a
    /// member who joined by their own word; prints one JSON object.
    RestoreOwner(RestoreOwnerArgs),
}

#[derive(Args)]
struct RestoreOwnerArgs {
    #[arg(long)]
    tenant_id: String,
    /// The member who becomes owner (active, with access).
    #[arg(long)]
    email: String,
    #[command(flatten)]
    store: Store,
}

#[derive(Subcommand)]
enum OperatorKeyCommand {
    /// Make a key; prints `{id, name, scopes, secret}` once (the secret is never shown again).
    Create {
        #[arg(long)]
        name: String,
        /// Comma-separated: tenants.create, tenants.read, tenants.suspend, tenants.admin, webhooks.manage.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        #[command(flatten)]
        store: Store,
    },
    /// List the keys (never their secrets), one JSON object per line.
    List {
        #[command(flatten)]
        store: Store,
    },
    /// Revoke a key: the next request with it is refused.
    Revoke {
        #[arg(long)]
        id: String,
        #[command(flatten)]
        store: Store,
    },
}

/// Where an operator command works.
#[derive(Args)]
struct Store {
    #[arg(
        long,
        env = "USHER_DATA_DIR",
        default_value = ".usher",
        conflicts_with = "table"
    )]
    data_dir: PathBuf,
    /// Work against this DynamoDB table (AWS configuration from the environment).
    #[arg(long)]
    table: Option<String>,
}

#[derive(Args)]
struct CreateTenant {
    #[arg(long)]
    name: String,
    #[arg(long)]
    owner_email: String,
    #[arg(long, default_value = "Owner")]
    owner_first_name: String,
    #[arg(long, default_value = "Account")]
    owner_last_name: String,
    /// Generate a temporary password (printed once) instead of a set-password link.
    #[arg(long)]
    generate_password: bool,
    #[command(flatten)]
    store: Store,
}

#[tokio::main]
async fn main() {
    usher_core::runtime::init_telemetry(usher_core::runtime::LogFormat::Text);
    if let Err(error) = run(Cli::parse()).await {
        eprintln!("usher: {error:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            addr,
            data_dir,
            no_demo,
        } => run_server(addr, DataDir::new(data_dir), no_demo).await,
        Command::Tenant {
            command: TenantCommand::Create(args),
        } => create_tenant(args).await,
        Command::Tenant {
            command: TenantCommand::RestoreOwner(args),
        } => restore_owner(args).await,
        Command::OperatorKey { command } => operator_key(command).await,
        Command::Openapi => {
            print!("{}", api_doc_json());
            Ok(())
        }
        Command::Inbound(args) => inbound(args).await,
    }
}

/// A line of what the server says at start-up, on stdout. A reader that went away (`usher serve
/// | head -3`) is no reason to stop serving, so a failed write is ignored where `println!`
/// would panic.
macro_rules! announce {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

async fn run_server(addr: SocketAddr, data: DataDir, no_demo: bool) -> anyhow::Result<()> {
    let (table, fresh) = data.open_table()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    // Links default to the address actually bound, so `--addr 127.0.0.1:0` works too.
    let bound = listener.local_addr().context("reading the bound address")?;
    let config = config_from_env(Some(&format!("http://{bound}")), LOCAL_INBOUND_DOMAINS)?;
    let app = local_app(Arc::new(table), &data.outbox_key()?, config);
    let public_url = app.config.public_url.clone();
    data.remember_public_url(&public_url)?;
    if !bound.ip().is_loopback() {
        eprintln!(
            "WARNING: usher serve is listening on {bound}, which other machines can reach. \
             {public_url}/_local/mail shows every mail it sent, with live password links: \
             anyone who can reach this address can take over those accounts. Bind to \
             127.0.0.1 unless you mean this."
        );
    }
    announce!(
        "Usher is listening on {public_url} (data in {})",
        data.root.display()
    );
    announce!("  API document: {public_url}/v1/openapi.json");
    announce!("  Mail sent:    {public_url}/_local/mail");
    announce!("  Inbound mail: {public_url}/_local/inbound (POST a raw .eml there)");
    announce!("  Webhooks:     {public_url}/_local/webhooks");
    if app.config.self_service {
        announce!("  Sign up:      {public_url}/signup (USHER_SELF_SERVICE=on)");
    }
    if fresh && !no_demo {
        let demo = bootstrap_tenant(
            &app,
            BootstrapTenant {
                name: TenantName::parse("Demo Organisation")?,
                owner_email: EmailAddress::parse("owner@demo.usher.localhost")?,
                owner_first_name: PersonName::parse("Demo")?,
                owner_last_name: PersonName::parse("Owner")?,
                first_password: FirstPassword::Generate,
                options: TenantOptions::default(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo tenant: {e}"))?;
        announce!("\nA demo tenant was created on this empty data dir (shown once):");
        announce!("  tenant_id: {}", demo.tenant_id);
        announce!("  email:     owner@demo.usher.localhost");
        if let Some(password) = &demo.generated_password {
            announce!(
                "  password:  {}   (temporary: sign in, then set your own with PUT /v1/me/password)",
                password.expose()
            );
        }
    }
    let mailer = Arc::new(FileMailer::new(data.mail_dir(), local_sender()?));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let worker = dispatch::dispatcher(&app, mailer.clone());
    serve(listener, app, mailer, Some(worker), shutdown).await
}

async fn inbound(args: InboundArgs) -> anyhow::Result<()> {
    use usher_core::usecases::inbound::{Verdict, Verdicts};
    let input =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let data = DataDir::new(args.data_dir);
    let (table, _) = data.open_table()?;
    let url = data
        .remembered_public_url()
        .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned());
    let config = config_from_env(Some(&url), LOCAL_INBOUND_DOMAINS)?;
    let app = local_app(Arc::new(table), &data.outbox_key()?, config);
    let verdict = |v: &str| Verdict::parse(Some(v));
    let verdicts = Verdicts {
        spam: verdict(&args.spam),
        virus: verdict(&args.virus),
        spf: verdict(&args.spf),
        dkim: verdict(&args.dkim),
        dmarc: verdict(&args.dmarc),
    };
    let mailer = FileMailer::new(data.mail_dir(), local_sender()?);
    let outcomes = receive_inbound(&app, &input, verdicts, &inbound_log(&mailer)).await?;
    println!("{}", serde_json::json!({"outcomes": outcomes}));
    // Mail it filed (a set-password link) goes out when `usher serve` next runs on this dir.
    Ok(())
}

async fn create_tenant(args: CreateTenant) -> anyhow::Result<()> {
    let command = BootstrapTenant {
        name: TenantName::parse(&args.name).map_err(|e| anyhow::anyhow!("--name {e}"))?,
        owner_email: EmailAddress::parse(&args.owner_email)
            .map_err(|e| anyhow::anyhow!("--owner-email: {e}"))?,
        owner_first_name: PersonName::parse(&args.owner_first_name)
            .map_err(|e| anyhow::anyhow!("--owner-first-name {e}"))?,
        owner_last_name: PersonName::parse(&args.owner_last_name)
            .map_err(|e| anyhow::anyhow!("--owner-last-name {e}"))?,
        first_password: if args.generate_password {
            FirstPassword::Generate
        } else {
            FirstPassword::ReturnLink
        },
        options: TenantOptions::default(),
    };
    // Links must open where the server answers: USHER_PUBLIC_URL, else the URL the last `usher
    // serve` on this data dir answered at, else the address `usher serve` binds by default.
    // Against DynamoDB there is no local server to ask: a link needs USHER_PUBLIC_URL.
    let (table, key, default_url): (Arc<dyn Table>, _, _) = match &args.store.table {
        Some(name) => {
            if !args.generate_password && std::env::var("USHER_PUBLIC_URL").is_err() {
                anyhow::bail!(
                    "set USHER_PUBLIC_URL to the deployed service's URL (the stack's PublicUrl), so the set-password link printed opens there; or pass --generate-password"
                );
            }
            (
                Arc::new(DynamoTable::from_env(name.clone()).await),
                // No mail is sent by this command; the key only has to seal nothing.
                usher_core::mail::OutboxKey::generate(&usher_core::clock::OsRandom),
                DEFAULT_PUBLIC_URL.to_owned(),
            )
        }
        None => {
            let data = DataDir::new(&args.store.data_dir);
            let url = data
                .remembered_public_url()
                .unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned());
            (Arc::new(data.open_table()?.0), data.outbox_key()?, url)
        }
    };
    let config = config_from_env(Some(&default_url), LOCAL_INBOUND_DOMAINS)?;
    let app = local_app(table, &key, config);
    let created = bootstrap_tenant(&app, command)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = serde_json::json!({
        "tenant_id": created.tenant_id.to_string(),
        "owner_account_id": created.owner_account_id.to_string(),
        "existing_account": created.existing_account,
    });
    if created.existing_account {
        // Joining takes the person's word: they were mailed an invitation to accept.
        out["owner_invited"] = true.into();
    }
    if let Some(password) = &created.generated_password {
        out["generated_password"] = password.expose().into();
    }
    if let Some(url) = &created.set_password_url {
        out["set_password_url"] = url.clone().into();
    }
    println!("{out}");
    Ok(())
}

async fn restore_owner(args: RestoreOwnerArgs) -> anyhow::Result<()> {
    let command = RestoreOwner {
        tenant_id: args
            .tenant_id
            .parse()
            .map_err(|_| anyhow::anyhow!("--tenant-id is not a tenant id"))?,
        email: EmailAddress::parse(&args.email).map_err(|e| anyhow::anyhow!("--email: {e}"))?,
    };
    let app = args.store.app().await?;
    let owner = restore_owner::restore_owner(&app, command)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}",
        serde_json::json!({"tenant_id": args.tenant_id, "owner_account_id": owner.to_string()})
    );
    Ok(())
}

impl Store {
    /// The app an operator command works through: on the DynamoDB table (AWS configuration from
    /// the environment) or on the data dir.
    async fn app(&self) -> anyhow::Result<usher_core::app::App> {
        let (table, key): (Arc<dyn Table>, _) = match &self.table {
            Some(name) => (
                Arc::new(DynamoTable::from_env(name.clone()).await),
                // No mail is sent by these commands; the key only has to seal nothing.
                usher_core::mail::OutboxKey::generate(&usher_core::clock::OsRandom),
            ),
            None => {
                let data = DataDir::new(&self.data_dir);
                (Arc::new(data.open_table()?.0), data.outbox_key()?)
            }
        };
        let config = config_from_env(Some(DEFAULT_PUBLIC_URL), LOCAL_INBOUND_DOMAINS)?;
        Ok(local_app(table, &key, config))
    }
}

async fn operator_key(command: OperatorKeyCommand) -> anyhow::Result<()> {
    use usher_core::records::OperatorScope;
    use usher_core::usecases::operator_keys;
    match command {
        OperatorKeyCommand::Create {
            name,
            scopes,
            store,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    OperatorScope::parse(s).ok_or_else(|| {
                        anyhow::anyhow!(
                            "--scopes: {s:?} is not one of tenants.create, tenants.read, tenants.suspend, tenants.admin, webhooks.manage"
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let app = store.app().await?;
            let created = operator_keys::create(&app, &name, scopes)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}",
                serde_json::json!({
                    "id": created.entry.id.to_string(),
                    "name": created.entry.name,
                    "scopes": created.entry.scopes,
                    "secret": created.secret.expose(),
                })
            );
        }
        OperatorKeyCommand::List { store } => {
            let app = store.app().await?;
            for key in operator_keys::list(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!(
                    "{}",
                    serde_json::json!({
                        "id": key.entry.id.to_string(),
                        "name": key.entry.name,
                        "scopes": key.entry.scopes,
                        "created_at": key.entry.created_at,
                        "last_used_at": key.last_used_at,
                        "revoked_at": key.entry.revoked_at,
                    })
                );
            }
        }
        OperatorKeyCommand::Revoke { id, store } => {
            let id = id
                .parse()
                .map_err(|_| anyhow::anyhow!("--id is not a key id"))?;
            let app = store.app().await?;
            operator_keys::revoke(&app, id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::json!({"revoked": id.to_string()}));
        }
    }
    Ok(())
}
