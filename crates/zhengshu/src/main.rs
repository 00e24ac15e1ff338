//! The `zhengshu` command; everything happens in the library.
fn main() -> std::process::ExitCode {
    zhengshu::main()
}
