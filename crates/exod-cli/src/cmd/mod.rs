//! One module per subcommand.
pub mod bayes;
pub mod info;
pub mod simulate;
