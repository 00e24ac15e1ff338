//! The `zhengshu` command; everything happens in the library.

// mimalloc rather than glibc's allocator: under verification load glibc's
// `malloc` and `free` took about 18 % of the server's time, mostly for
// the many small allocations of each request (scripts/bench-verify.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    zhengshu::main()
}
