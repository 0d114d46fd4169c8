//! The batch scripts of a sweep: one job array per wave (AdaptCopy runs in a second array,
//! `afterok` on the first), and the collect job (`afterok` on every array) that renders the
//! figure. Nothing here schedules anything: Slurm does.
use super::manifest::Body;
use std::path::{Path, PathBuf};

/// The exit status of `xtask sweep run` when a signal stopped the run (checkpointed, to be
/// requeued): EX_TEMPFAIL.
pub const EXIT_REQUEUE: i32 = 75;

/// Slurm options of the generated scripts.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SlurmOpts {
    /// Partition (`#SBATCH --partition`).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per index (`#SBATCH --time`, e.g. 12:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// GPUs per index (`#SBATCH --gpus`).
    #[arg(long)]
    pub gpus: Option<String>,
    /// Account (`#SBATCH --account`).
    #[arg(long)]
    pub account: Option<String>,
    /// Array tasks running at once (`--array=…%K`).
    #[arg(long, default_value_t = 8)]
    pub max_parallel: usize,
}

/// The files of a sweep directory.
#[derive(Debug, Clone)]
pub struct Scripts {
    /// One array script per non-empty wave: (wave, path, text).
    pub arrays: Vec<(usize, PathBuf, String)>,
    /// The collect job: (path, text).
    pub collect: (PathBuf, String),
    /// The submission commands (shell), also written to `submit.sh`.
    pub submit: String,
}

fn header(name: &str, output: &str, opts: &SlurmOpts, gpus: bool) -> String {
    let mut s = format!(
        "#!/bin/bash\n#SBATCH --job-name={name}\n#SBATCH --output={output}\n#SBATCH --open-mode=append\n"
    );
    let mut opt = |key: &str, v: &Option<String>| {
        if let Some(v) = v {
            s.push_str(&format!("#SBATCH --{key}={v}\n"));
        }
    };
    opt("partition", &opts.partition);
    opt("time", &opts.time);
    opt("account", &opts.account);
    if gpus {
        opt("gpus", &opts.gpus);
    }
    s
}

/// The array script of wave `wave` (indices `lo..=hi`).
pub fn array_script(
    m: &Body,
    manifest: &Path,
    hash: &str,
    xtask: &Path,
    opts: &SlurmOpts,
    (wave, lo, hi): (usize, usize, usize),
) -> String {
    let name = format!("{}-w{wave}", job_stem(m));
    let logs = m.out.join("logs").join("%x_%A_%a.out");
    let mut s = header(&name, &logs.display().to_string(), opts, true);
    s.push_str(&format!(
        "#SBATCH --array={lo}-{hi}%{k}\n#SBATCH --signal=B:USR1@120\n#SBATCH --requeue\n",
        k = opts.max_parallel.max(1)
    ));
    s.push_str(&format!(
        r#"# Written by `cargo xtask sweep figure`: wave {wave} of manifest {manifest} ({hash}).
# Each task trains one index through `xtask sweep run`: a finished run is skipped, a
# checkpointed one resumes. USR1 (120 s before the time limit) is forwarded to it; it stops at
# its last epoch checkpoint and exits {EXIT_REQUEUE}; the task is then requeued.
set -u
XTASK="${{LAYCA_XTASK:-{xtask}}}"
MANIFEST='{manifest}'
echo "task ${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}} (job $SLURM_JOB_ID, restart ${{SLURM_RESTART_COUNT:-0}}) on $(hostname -s) at $(date -u +%FT%TZ)"
"$XTASK" sweep run --manifest "$MANIFEST" --index "$SLURM_ARRAY_TASK_ID" &
child=$!
requeue() {{
  echo "USR1: forwarding to sweep run (pid $child)"
  kill -USR1 "$child" 2>/dev/null
  wait "$child"
  echo "sweep run exited with $?; scontrol requeue $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  exit 0
}}
trap requeue USR1
wait "$child"
rc=$?
if [ "$rc" -eq {EXIT_REQUEUE} ]; then
  echo "sweep run stopped by a signal (exit {EXIT_REQUEUE}); scontrol requeue $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  exit 0
fi
echo "sweep run exited with $rc"
exit "$rc"
"#,
        manifest = manifest.display(),
        xtask = xtask.display(),
    ));
    s
}

/// The collect job: renders the figure once every index has finished.
pub fn collect_script(m: &Body, manifest: &Path, xtask: &Path, opts: &SlurmOpts) -> String {
    let name = format!("{}-collect", job_stem(m));
    let logs = m.out.join("logs").join("%x_%j.out");
    let mut s = header(&name, &logs.display().to_string(), opts, false);
    s.push_str(&format!(
        "# Written by `cargo xtask sweep figure`: renders the figure from the finished runs.\n\
         set -eu\n\
         XTASK=\"${{LAYCA_XTASK:-{}}}\"\n\
         \"$XTASK\" sweep collect --manifest '{}'\n",
        xtask.display(),
        manifest.display()
    ));
    s
}

fn job_stem(m: &Body) -> String {
    let figs: Vec<String> = m.figures.iter().map(|n| format!("{n:02}")).collect();
    format!("layca-fig{}", figs.join("-"))
}

/// Every script of the sweep and the commands that submit them.
pub fn scripts(m: &Body, manifest: &Path, hash: &str, xtask: &Path, opts: &SlurmOpts) -> Scripts {
    let mut arrays = Vec::new();
    for wave in 0..2 {
        if let Some((lo, hi)) = m.wave_range(wave) {
            let path = m.out.join(format!("sweep-wave{wave}.sbatch"));
            let text = array_script(m, manifest, hash, xtask, opts, (wave, lo, hi));
            arrays.push((wave, path, text));
        }
    }
    let collect_path = m.out.join("collect.sbatch");
    let collect = collect_script(m, manifest, xtask, opts);
    let submit = submit_commands(&arrays, &collect_path);
    Scripts {
        arrays,
        collect: (collect_path, collect),
        submit,
    }
}

/// `A0=$(sbatch --parsable …wave0)`, `A1=$(sbatch --parsable --dependency=afterok:$A0 …wave1)`,
/// `sbatch --dependency=afterok:$A0:$A1 collect.sbatch`.
fn submit_commands(arrays: &[(usize, PathBuf, String)], collect: &Path) -> String {
    let mut s = String::new();
    let mut deps: Vec<String> = Vec::new();
    for (wave, path, _) in arrays {
        let dep = dependency(&deps);
        s.push_str(&format!(
            "A{wave}=$(sbatch --parsable{dep} '{}')\n",
            path.display()
        ));
        deps.push(format!("$A{wave}"));
    }
    s.push_str(&format!(
        "sbatch --parsable{} '{}'\n",
        dependency(&deps),
        collect.display()
    ));
    s
}

fn dependency(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" --dependency=afterok:{}", ids.join(":"))
    }
}
