//! `regula device`: the compute device the other commands would use.

use clap::{Arg, ArgMatches, Command};
use regula_core::{Backend, BackendChoice, Error};

pub fn command() -> Command {
    Command::new("device")
        .about("Print the compute device: adapter, API, driver and limits.")
        .arg(
            Arg::new("backend")
                .long("backend")
                .default_value("auto")
                .value_parser(BackendChoice::NAMES.to_vec())
                .help("auto (GPU if an adapter opens), cpu or gpu."),
        )
        .arg(crate::kit::switch("json", "Make the last line of stdout one JSON object."))
}

pub async fn run(m: &ArgMatches) -> Result<(), Error> {
    let choice: BackendChoice = m.get_one::<String>("backend").map_or(Ok(BackendChoice::Auto), |s| s.parse())?;
    let backend = Backend::acquire(choice).await?;
    let report = backend.report();
    println!("backend: {}", report.backend);
    println!("device:  {}", report.label);
    if let Some(a) = &report.adapter {
        println!("type:    {}", a.device_type);
        println!("driver:  {} {}", a.driver, a.driver_info);
        let l = &a.limits;
        println!(
            "limits:  max storage binding {} B, max buffer {} B",
            l.max_storage_buffer_binding_size, l.max_buffer_size
        );
        println!(
            "         {} storage buffers/stage, {} invocations/workgroup, {} workgroups/dimension, {} B workgroup memory",
            l.max_storage_buffers_per_shader_stage, l.max_compute_invocations_per_workgroup, l.max_compute_workgroups_per_dimension, l.max_compute_workgroup_storage_size
        );
    }
    if crate::kit::on(m, "json") {
        println!("{}", serde_json::to_string(&report).expect("report serialises"));
    }
    Ok(())
}
