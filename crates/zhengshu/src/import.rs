//! `zhengshu import`: runs the importer (`zhengshu_import::import_path`,
//! as the console's uploads do) with a progress bar when standard
//! error is a terminal, prints the refusals line by line and one summary
//! line.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use zhengshu_domain::{Actor, BodyCode};
use zhengshu_import::{ImportError, ImportOptions, Report};

use crate::Failure;
use crate::config::Config;
use crate::storage::open_storage;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Issuing body code, e.g. pharmacist_center
    #[arg(long)]
    pub body: String,
    /// Import the valid rows even if some are refused
    #[arg(long)]
    pub partial: bool,
    /// Replace the fields of certificate numbers that exist already
    #[arg(long)]
    pub update: bool,
    /// With --partial: where to write refused rows [default: FILE.rejects.csv]
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// The CSV file (`-` reads standard input)
    pub file: PathBuf,
}

pub async fn run(config: &Config, args: ImportArgs) -> Result<(), Failure> {
    let body =
        BodyCode::parse(&args.body).map_err(|e| anyhow::anyhow!("--body {:?}: {e}", args.body))?;
    let stdin = args.file.as_os_str() == "-";
    if !stdin {
        // Refused early, before the database is opened.
        std::fs::File::open(&args.file)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", args.file.display()))?;
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    let mut options = ImportOptions::new(body, Actor::Cli(user));
    options.partial = args.partial;
    options.update = args.update;
    options.photo_store = Some(config.data_dir.join("photos"));
    if args.partial {
        options.rejects = Some(args.rejects.clone().unwrap_or_else(|| {
            let mut p = args.file.clone().into_os_string();
            p.push(".rejects.csv");
            PathBuf::from(if stdin { "stdin.rejects.csv".into() } else { p })
        }));
    }

    let storage = open_storage(config).await?;
    storage.migrate().await?;
    // ID numbers and contacts are sealed with this node's vault keys: they
    // must be the installation's.
    let keys = crate::secrets::load_or_create(config)?;
    crate::binding::compare_with_record(config, &*storage, &keys).await?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} rows read, {per_sec} [{elapsed}]",
            )
            .expect("constant template"),
        );
        bar
    });
    let started = std::time::Instant::now();
    let progress_bar = bar.clone();
    let progress = move |rows| {
        if let Some(b) = &progress_bar {
            b.set_position(rows);
        }
    };
    // A file goes the way an upload from the console goes; standard input
    // has no folder for photos.
    let result = if stdin {
        zhengshu_import::import(&*storage, std::io::stdin(), &options, progress).await
    } else {
        zhengshu_import::import_path(&*storage, &args.file, &options, progress).await
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = match result {
        Ok(r) => r,
        Err(e @ (ImportError::Io(_) | ImportError::Storage(_))) => {
            return Err(anyhow::Error::new(e).into());
        }
        Err(e) => {
            println!("import refused: {e}");
            println!("nothing was imported");
            return Err(Failure::Rejected);
        }
    };
    print_report(&report, &options, started.elapsed());
    if report.refused > 0 && !args.partial {
        return Err(Failure::Rejected);
    }
    Ok(())
}

fn print_report(report: &Report, options: &ImportOptions, elapsed: std::time::Duration) {
    for r in &report.rejections {
        println!(
            "line {}, column {}: {}",
            r.line,
            r.column.as_deref().unwrap_or("-"),
            r.reason
        );
    }
    if report.refused as usize > report.rejections.len() {
        println!("… and more; {} rows refused in all", report.refused);
    }
    let secs = elapsed.as_secs_f64().max(1e-9);
    let outcome = if report.committed {
        "imported"
    } else if report.refused > 0 && !options.partial {
        "nothing imported (fix the rows above, or use --partial)"
    } else {
        "nothing to change"
    };
    println!(
        "{outcome}: {} rows read, {} inserted, {} updated, {} unchanged, {} refused in {:.1} s ({:.0} rows/s)",
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.refused,
        secs,
        report.rows as f64 / secs
    );
    if let (true, Some(path)) = (options.partial && report.refused > 0, &options.rejects) {
        println!("refused rows and reasons written to {}", path.display());
    }
}
