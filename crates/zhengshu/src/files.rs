//! The data directory holds personal data (the database and its WAL,
//! photos, keys): it is made private to the service's user, the directory
//! 0700 and its files 0600, whatever the umask. SQLite makes its `-wal` and
//! `-shm` files with the database file's mode, so making that file first,
//! 0600, keeps them private too.

use std::path::Path;

/// Creates `dir` if missing and makes it (not its parents) 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates `file`, which must not exist yet, 0600 whatever the umask.
pub fn create_private(file: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)
}

/// Makes the SQLite database `file` 0600 before SQLite opens it (creating
/// it empty when missing), and its WAL and shared-memory files 0600 when
/// they exist already.
pub fn private_database(file: &Path) -> std::io::Result<()> {
    if !file.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(file)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let f = file.with_file_name(format!("{name}{suffix}"));
            if f.exists() {
                std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}
