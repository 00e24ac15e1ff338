//! The e-certificate document judged by tools we did not write: poppler's
//! `pdfsig`, `pdftotext` and `pdffonts`, `qpdf`, and pyHanko. Run
//! `tests/setup.sh` once to install them; a missing tool fails the test
//! that needs it, with the command to fix it.

mod check;
mod check_fuzz;
mod keys;
mod renderer;
mod signatures;
mod support;
mod tamper;
mod text;
