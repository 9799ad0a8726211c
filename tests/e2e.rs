//! End-to-end tests on real files: the fixtures in `tests/fixtures/` (small exports written
//! for these tests, one per layout and encoding, plus broken ones) and the shipped demo.

mod util;

mod aggregate;
mod classify;
mod feedback;

mod ingest;
mod languages;
mod merge;
mod properties;
mod reliability;
mod report;
mod run;
