//! `rightsguard policy`: the policy profiles shipped in the binary.

use std::process::ExitCode;

use rightsguard_domain::policy::{OVERLAYS, Policy};

/// Arguments of `rightsguard policy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List the built-in profiles and overlays.
    List,
    /// Print a profile, validated, with every number it sets.
    ///
    /// NAME is a profile (taobao, alibaba_com, aliexpress) or a profile with
    /// an overlay, e.g. aliexpress+dsa for an EU site.
    Show {
        /// Profile name, optionally `+overlay`.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Toml)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Toml,
    Json,
}

/// Runs `rightsguard policy`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::List => {
            for name in Policy::names() {
                let p = Policy::builtin(name)?;
                outln!("{name:<12} {}  {}", p.version, p.description)?;
            }
            for (name, _) in OVERLAYS {
                outln!("+{name:<11} overlay: apply as e.g. aliexpress+{name}")?;
            }
        }
        Command::Show { name, format } => {
            let p = Policy::builtin(&name)?;
            match format {
                Format::Toml => out!("{}", p.to_toml())?,
                Format::Json => outln!("{}", serde_json::to_string_pretty(&p)?)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
