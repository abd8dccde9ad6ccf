//! `rightsguard calendar`: what the built-in business-day calendars contain,
//! so admins can see which years have holiday data and which are provisional.

use std::process::ExitCode;

use rightsguard_domain::calendar::{BUILTIN_IDS, Calendar, DataPolicy, NamedDay};

/// Subcommands of `rightsguard calendar`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the built-in calendars with their time zones and years of data.
    List,
    /// Show one calendar: its years of data, or one year's holidays and
    /// make-up working days.
    Show {
        /// Calendar id (CN, EU, UTC).
        id: String,
        /// The year to list.
        #[arg(long)]
        year: Option<i16>,
    },
}

#[derive(Debug, serde::Serialize)]
struct Summary<'a> {
    calendar: &'a str,
    time_zone: &'a str,
    data_policy: DataPolicy,
    years_with_data: Vec<i16>,
}

#[derive(Debug, serde::Serialize)]
struct YearView<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    year: i16,
    /// Deadlines touching this year may move once its data is published.
    provisional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    working_days: u32,
    holidays: &'a [NamedDay],
    makeup_working_days: &'a [NamedDay],
}

fn summary(cal: &Calendar) -> Summary<'_> {
    Summary {
        calendar: cal.id(),
        time_zone: cal.time_zone_name(),
        data_policy: cal.data_policy(),
        years_with_data: cal.years_with_data(),
    }
}

/// Prints the requested view as pretty JSON.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let json = match command {
        Command::List => {
            let cals = BUILTIN_IDS
                .iter()
                .map(|id| Calendar::builtin(id))
                .collect::<Result<Vec<_>, _>>()?;
            serde_json::to_string_pretty(&cals.iter().map(summary).collect::<Vec<_>>())?
        }
        Command::Show { id, year: None } => {
            serde_json::to_string_pretty(&summary(&Calendar::builtin(&id)?))?
        }
        Command::Show {
            id,
            year: Some(year),
        } => {
            let cal = Calendar::builtin(&id)?;
            let jan1 = jiff::civil::Date::new(year, 1, 1)?;
            let working_days = {
                // Count through the calendar itself, so years without data show
                // what deadlines will actually use.
                let mut d = jan1;
                let mut n = 0;
                while d.year() == year {
                    n += u32::from(cal.is_working_day(d));
                    d = match d.tomorrow() {
                        Ok(t) => t,
                        Err(_) => break,
                    };
                }
                n
            };
            let data = cal.year_data(year);
            serde_json::to_string_pretty(&YearView {
                summary: summary(&cal),
                year,
                provisional: cal.is_provisional_year(year),
                source: data.and_then(|y| y.source()),
                working_days,
                holidays: data.map(|y| y.holidays()).unwrap_or_default(),
                makeup_working_days: data.map(|y| y.makeup_working_days()).unwrap_or_default(),
            })?
        }
    };
    print_line(&json)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `line` to stdout; a closed pipe ends the command quietly in `main`.
pub(crate) fn print_line(line: &str) -> std::io::Result<()> {
    outln!("{line}")
}
