fn main() -> std::process::ExitCode {
    playbook::cli::run()
}
