//! The commands the UI may call. Each one is also listed in `build.rs` and allowed in
//! `capabilities/main.json`; anything else the webview asks for is refused.

use stagecraft_api::{
    AddedAppView, AppDetailView, AppRefreshView, AppView, BuildComparisonView, BuildView,
    ConfigVersionView, CreateEnvironment, DeployDetailView, DeployRequest, DeployView,
    DockerStatus, EditableVariables, EnvironmentRowView, EnvironmentView, HandleView, ImportView,
    IngressView, LogPageView, LogResourceView, NextDeploy, OrphanView, ParameterView,
    PresetOptions, PresetView, RemovedAppView, RuntimeChoice, ServiceHealthView, SystemReport,
    TerminalSize, Wait, WorkloadVarsView,
};
use tauri::State;

use crate::streams::{ChangeMessage, FollowMessage, Streams};
use crate::terminals::{TerminalMessage, Terminals};
use crate::{AppState, IpcError};

#[tauri::command]
pub(crate) async fn system_report(state: State<'_, AppState>) -> Result<SystemReport, IpcError> {
    Ok(state.stagecraft()?.system_report().await?)
}

/// Opens the app's newest log file with the OS's program for it, or (`reveal`) shows it in
/// its folder.
#[tauri::command]
pub(crate) async fn log_open<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    reveal: bool,
) -> Result<(), IpcError> {
    // Without the database too: when it cannot be opened, the log says why.
    crate::logging::open(&app, state.data_dir()?, reveal)
}

/// `url` parsed as a browser parses it, when it is an environment's address: `http`, no user
/// or password, a `*.localhost` name or a loopback address (`http://web.localhost:1@evil.example/`
/// is evil.example's, and is refused).
fn environment_address(url: &str) -> Option<tauri::Url> {
    let parsed = tauri::Url::parse(url).ok()?;
    let local = match parsed.host()? {
        url::Host::Domain(name) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (parsed.scheme() == "http"
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && local)
        .then_some(parsed)
}

/// Opens one of an environment's URLs in the system's browser. Only what environments have:
/// `http` to a `*.localhost` name or the loopback address; anything else is refused, so the
/// window can open nothing else through this.
#[tauri::command]
pub(crate) async fn url_open<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    url: String,
) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt as _;
    let parsed = environment_address(&url);
    let Some(parsed) = parsed else {
        return Err(IpcError {
            code: stagecraft_api::ErrorCode::InvalidRequest,
            message: format!("{url} is not an environment's address: nothing was opened"),
        });
    };
    let url = parsed.to_string();
    app.opener()
        .open_url(&url, None::<&str>)
        .map_err(|error| IpcError {
            code: stagecraft_api::ErrorCode::InvalidRequest,
            message: format!("the system could not open {url}: {error}. Copy it into a browser"),
        })
}

/// The local ingress: its port, whether this app serves it, whether `*.localhost` resolves.
#[tauri::command]
pub(crate) async fn ingress_overview(state: State<'_, AppState>) -> Result<IngressView, IpcError> {
    state.ingress_view().await
}

/// Saves the ingress's ports for the data folder (each process's from its next start), and
/// gives the ingress as the System screen shows it then.
#[tauri::command]
pub(crate) async fn ingress_ports_set(
    state: State<'_, AppState>,
    ports: stagecraft_api::IngressPorts,
) -> Result<IngressView, IpcError> {
    state.stagecraft()?.set_ingress_ports(ports).await?;
    state.ingress_view().await
}

#[tauri::command]
pub(crate) async fn docker_status(state: State<'_, AppState>) -> Result<DockerStatus, IpcError> {
    Ok(state.stagecraft()?.docker_status().await)
}

#[tauri::command]
pub(crate) async fn apps_list(state: State<'_, AppState>) -> Result<Vec<AppView>, IpcError> {
    let apps = state.stagecraft()?.apps().await?;
    Ok(apps.into_iter().map(AppView::from).collect())
}

#[tauri::command]
pub(crate) async fn app_add(
    state: State<'_, AppState>,
    path: String,
) -> Result<AddedAppView, IpcError> {
    Ok(state
        .stagecraft()?
        .add_app(std::path::Path::new(&path))
        .await?
        .into())
}

/// Names the registry the app's built images are pushed to (`null` or blank: none), and
/// whether clusters pull them with the user's Docker login.
#[tauri::command]
pub(crate) async fn app_set_registry(
    state: State<'_, AppState>,
    app: String,
    registry: Option<String>,
    share_login: bool,
) -> Result<AppView, IpcError> {
    Ok(state
        .stagecraft()?
        .set_image_registry(&app, registry.as_deref(), share_login)
        .await?
        .into())
}

/// Turns GitOps on or off for the app: on, its environments follow the Release files of their
/// branch; off, their configuration is edited in the app.
#[tauri::command]
pub(crate) async fn app_set_gitops(
    state: State<'_, AppState>,
    app: String,
    on: bool,
) -> Result<AppView, IpcError> {
    Ok(state.stagecraft()?.set_gitops(&app, on).await?.into())
}

/// The app, its newest configuration version and its environments.
#[tauri::command]
pub(crate) async fn app_get(
    state: State<'_, AppState>,
    app: String,
) -> Result<AppDetailView, IpcError> {
    Ok(state.stagecraft()?.app_get(&app).await?.into())
}

/// Reads the app's Release files again and compares them with its newest version; `keep`
/// makes a change its next version.
#[tauri::command]
pub(crate) async fn app_refresh(
    state: State<'_, AppState>,
    app: String,
    keep: bool,
) -> Result<AppRefreshView, IpcError> {
    Ok(state.stagecraft()?.app_refresh(&app, keep).await?.into())
}

/// Removes the app, its images and the history of its torn-down environments.
#[tauri::command]
pub(crate) async fn app_remove(
    state: State<'_, AppState>,
    app: String,
) -> Result<RemovedAppView, IpcError> {
    Ok(state.stagecraft()?.remove_app(&app).await?.into())
}

/// The app's default variables file, secrets masked.
#[tauri::command]
pub(crate) async fn app_vars_file(
    state: State<'_, AppState>,
    app: String,
) -> Result<EditableVariables, IpcError> {
    Ok(state.stagecraft()?.app_variables_file(&app).await?)
}

/// Replaces the app's default variables file (a secret left masked keeps its value); gives
/// the new version.
#[tauri::command]
pub(crate) async fn app_vars_set(
    state: State<'_, AppState>,
    app: String,
    yaml: String,
) -> Result<AppDetailView, IpcError> {
    let stagecraft = state.stagecraft()?;
    stagecraft.app_variables_set(&app, &yaml).await?;
    Ok(stagecraft.app_get(&app).await?.into())
}

/// Asks the user for a folder with the platform's own dialog; `None` when they cancel. The
/// window stays responsive: the dialog answers through a callback.
#[tauri::command]
pub(crate) async fn folder_pick<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt as _;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("The app's repository folder")
        .pick_folder(move |folder| {
            let _ = sender.send(folder);
        });
    let folder = receiver.await.ok().flatten();
    Ok(folder
        .and_then(|f| f.into_path().ok())
        .map(|path| path.display().to_string()))
}

/// The most a saved file may hold: what the window shows of a log is far less.
const SAVE_LIMIT: usize = 64 << 20;

/// Saves `text` (a log as the window shows it) where the user says in the platform's save
/// dialog, `name` suggested; the path saved to, or null when the user cancels.
#[tauri::command]
pub(crate) async fn file_save<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    name: String,
    text: String,
) -> Result<Option<String>, IpcError> {
    use tauri_plugin_dialog::DialogExt as _;
    if text.len() > SAVE_LIMIT {
        return Err(IpcError {
            code: stagecraft_api::ErrorCode::InvalidRequest,
            message: format!(
                "{} MiB is more than a saved log may hold ({} MiB): filter it first",
                text.len() >> 20,
                SAVE_LIMIT >> 20
            ),
        });
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save the log")
        .set_file_name(&name)
        .save_file(move |path| {
            let _ = sender.send(path);
        });
    let Some(path) = receiver
        .await
        .ok()
        .flatten()
        .and_then(|p| p.into_path().ok())
    else {
        return Ok(None);
    };
    tokio::fs::write(&path, text)
        .await
        .map_err(|error| IpcError {
            code: stagecraft_api::ErrorCode::FileWrite,
            message: format!("{} cannot be written: {error}", path.display()),
        })?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub(crate) async fn environments_list(
    state: State<'_, AppState>,
) -> Result<Vec<EnvironmentRowView>, IpcError> {
    let rows = state.stagecraft()?.environment_rows().await?;
    Ok(rows.into_iter().map(EnvironmentRowView::from).collect())
}

/// Environments a runtime holds by their labels that no record here names.
#[tauri::command]
pub(crate) async fn environments_orphaned(
    state: State<'_, AppState>,
) -> Result<Vec<OrphanView>, IpcError> {
    let orphans = state.stagecraft()?.orphans().await?;
    Ok(orphans.into_iter().map(OrphanView::from).collect())
}

/// Brings back an environment a runtime holds and no record names: `created`, its objects
/// in its ledger.
#[tauri::command]
pub(crate) async fn environment_adopt(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<EnvironmentView, IpcError> {
    Ok(state.stagecraft()?.adopt(&env_id).await?.into())
}

#[tauri::command]
#[expect(
    clippy::too_many_arguments,
    reason = "a Tauri command takes the window's arguments by name"
)]
pub(crate) async fn environment_create(
    state: State<'_, AppState>,
    app: String,
    branch: Option<String>,
    template: String,
    runtime: String,
    ttl_hours: Option<u32>,
    working_tree: Option<bool>,
    parameters: Option<std::collections::BTreeMap<String, String>>,
    dataset: Option<String>,
) -> Result<EnvironmentView, IpcError> {
    let request = CreateEnvironment {
        dataset: dataset.filter(|d| !d.trim().is_empty()),
        app,
        branch: branch.filter(|b| !b.trim().is_empty()),
        environment_template: template,
        runtime,
        name: None,
        ttl: ttl_hours.map(|h| std::time::Duration::from_secs(u64::from(h) * 3600)),
        working_tree: working_tree.unwrap_or(false),
        parameters: parameters.unwrap_or_default(),
    };
    Ok(state
        .stagecraft()?
        .create_environment(request)
        .await?
        .into())
}

/// Every dataset (`stagecraft datasets create`): what a new environment may start from.
#[tauri::command]
pub(crate) async fn datasets_list(
    state: State<'_, AppState>,
) -> Result<Vec<stagecraft_api::DatasetView>, IpcError> {
    Ok(state.stagecraft()?.datasets().await?)
}

/// The HTTP API of `stagecraft serve`: its default port, tokens, last requests, refusals.
#[tauri::command]
pub(crate) async fn api_overview(
    state: State<'_, AppState>,
) -> Result<stagecraft_api::ApiOverview, IpcError> {
    Ok(state.stagecraft()?.api_overview(50).await?)
}

/// Makes an API token: the only time it is shown.
#[tauri::command]
pub(crate) async fn api_token_create(
    state: State<'_, AppState>,
    name: String,
) -> Result<stagecraft_api::NewToken, IpcError> {
    Ok(state.stagecraft()?.create_api_token(&name).await?)
}

#[tauri::command]
pub(crate) async fn api_token_revoke(
    state: State<'_, AppState>,
    name: String,
) -> Result<(), IpcError> {
    Ok(state.stagecraft()?.revoke_api_token(&name).await?)
}

/// The parameters an environment of the app made from `template` is created with.
#[tauri::command]
pub(crate) async fn app_parameters(
    state: State<'_, AppState>,
    app: String,
    template: String,
) -> Result<Vec<ParameterView>, IpcError> {
    Ok(state.stagecraft()?.app_parameters(&app, &template).await?)
}

/// The template's parameters with the values the environment was given.
#[tauri::command]
pub(crate) async fn environment_parameters(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<ParameterView>, IpcError> {
    Ok(state.stagecraft()?.parameters(&env_id).await?)
}

/// The apps the environment's template imports: the branch each runs and why.
#[tauri::command]
pub(crate) async fn environment_imports(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<ImportView>, IpcError> {
    Ok(state.stagecraft()?.environment_imports(&env_id).await?)
}

/// The app's environment handles, by pool.
#[tauri::command]
pub(crate) async fn app_handles(
    state: State<'_, AppState>,
    app: String,
) -> Result<Vec<HandleView>, IpcError> {
    Ok(state.stagecraft()?.handles(&app).await?)
}

/// Adds names (and `count` numbered ones) to a pool of the app.
#[tauri::command]
pub(crate) async fn app_handles_add(
    state: State<'_, AppState>,
    app: String,
    pool: String,
    names: Vec<String>,
    count: Option<u32>,
) -> Result<Vec<HandleView>, IpcError> {
    Ok(state
        .stagecraft()?
        .add_handles(&app, &pool, names, count)
        .await?)
}

/// Removes names from a pool of the app; refused while one is held.
#[tauri::command]
pub(crate) async fn app_handles_remove(
    state: State<'_, AppState>,
    app: String,
    pool: String,
    names: Vec<String>,
) -> Result<Vec<HandleView>, IpcError> {
    Ok(state
        .stagecraft()?
        .remove_handles(&app, &pool, names)
        .await?)
}

/// Every saved preset of create options.
#[tauri::command]
pub(crate) async fn presets_list(state: State<'_, AppState>) -> Result<Vec<PresetView>, IpcError> {
    Ok(state.stagecraft()?.presets().await?)
}

/// Saves create options under a name.
#[tauri::command]
pub(crate) async fn preset_save(
    state: State<'_, AppState>,
    name: String,
    app: String,
    options: PresetOptions,
) -> Result<PresetView, IpcError> {
    Ok(state
        .stagecraft()?
        .save_preset(&name, &app, options)
        .await?)
}

/// Gives parameters values and takes some back, as a new configuration version.
#[tauri::command]
pub(crate) async fn environment_parameters_set(
    state: State<'_, AppState>,
    env_id: String,
    set: std::collections::BTreeMap<String, String>,
    unset: Vec<String>,
) -> Result<Vec<ParameterView>, IpcError> {
    Ok(state
        .stagecraft()?
        .set_parameters(&env_id, set, unset)
        .await?)
}

/// Streams the deploy's events after `after_seq` to `on_message`, then the new ones as they are
/// stored (by this app or the command), then `end`; gives the stream's id for
/// [`stream_stop`]. A reload of the window stops it (see `streams.rs`).
#[tauri::command]
pub(crate) async fn deploy_follow<R: tauri::Runtime>(
    webview: tauri::Webview<R>,
    state: State<'_, AppState>,
    streams: State<'_, Streams>,
    deploy_id: i64,
    after_seq: i64,
    on_message: tauri::ipc::Channel<FollowMessage>,
) -> Result<u32, IpcError> {
    let mut events = state.stagecraft()?.follow(deploy_id, after_seq).await?;
    Ok(streams.start(webview.label(), async move {
        while let Some(stored) = events.recv().await {
            if on_message.send(FollowMessage::event(stored)).is_err() {
                return;
            }
        }
        // The window may be gone already; nobody is left to tell.
        let _ = on_message.send(FollowMessage::End);
    }))
}

/// Streams a kept log's lines after `after_seq` to `on_page`, then its new ones as they are
/// stored, in pages of up to 5,000 lines; gives the stream's id for [`stream_stop`].
#[tauri::command]
pub(crate) async fn log_follow<R: tauri::Runtime>(
    webview: tauri::Webview<R>,
    state: State<'_, AppState>,
    streams: State<'_, Streams>,
    resource: String,
    after_seq: i64,
    on_page: tauri::ipc::Channel<LogPageView>,
) -> Result<u32, IpcError> {
    let mut pages = state.stagecraft()?.follow_log(&resource, after_seq).await?;
    Ok(streams.start(webview.label(), async move {
        while let Some(page) = pages.recv().await {
            if on_page.send(page).is_err() {
                return;
            }
        }
    }))
}

/// Streams what changes from now on (environments created, statuses, deploys queued,
/// started, progressing and ended, notices), whichever process changed it, to `on_change`;
/// gives the stream's id for [`stream_stop`]. The window follows it instead of asking again
/// every few seconds; a follower that fell behind gets `resync` and reads everything again.
#[tauri::command]
pub(crate) async fn changes_follow<R: tauri::Runtime>(
    webview: tauri::Webview<R>,
    state: State<'_, AppState>,
    streams: State<'_, Streams>,
    on_change: tauri::ipc::Channel<ChangeMessage>,
) -> Result<u32, IpcError> {
    let mut changes = state.stagecraft()?.follow_changes().await?;
    Ok(streams.start(webview.label(), async move {
        loop {
            let message = match changes.recv().await {
                Ok(change) => ChangeMessage::Change { change },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => ChangeMessage::Resync,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            if on_change.send(message).is_err() {
                return;
            }
        }
    }))
}

#[tauri::command]
pub(crate) fn stream_stop(streams: State<'_, Streams>, id: u32) {
    streams.stop(id);
}

/// The runtimes the create form offers.
#[tauri::command]
pub(crate) async fn runtime_choices(
    state: State<'_, AppState>,
) -> Result<Vec<RuntimeChoice>, IpcError> {
    Ok(state.stagecraft()?.runtime_choices().await)
}

#[tauri::command]
pub(crate) async fn environment_get(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<EnvironmentView, IpcError> {
    Ok(state.stagecraft()?.environment(&env_id).await?.into())
}

#[tauri::command]
pub(crate) async fn next_deploy(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<NextDeploy, IpcError> {
    Ok(state.stagecraft()?.next_deploy(&env_id).await?)
}

/// Queues `request` and returns at once: the window never waits for a deploy; its events and
/// the change feed show how it goes.
async fn submit(
    state: &State<'_, AppState>,
    env_id: &str,
    request: DeployRequest,
) -> Result<DeployView, IpcError> {
    let submitted = state
        .stagecraft()?
        .submit(env_id, request, Wait::Background)
        .await?;
    Ok(submitted.deploy.into())
}

#[tauri::command]
pub(crate) async fn deploy_start(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::DEPLOY).await
}

#[tauri::command]
pub(crate) async fn teardown_start(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Teardown).await
}

/// Stops the environment's containers and keeps everything else.
#[tauri::command]
pub(crate) async fn pause_start(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Pause).await
}

/// Starts a paused environment's services again, running no jobs.
#[tauri::command]
pub(crate) async fn resume_start(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Resume).await
}

#[tauri::command]
pub(crate) async fn setup_start(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Setup).await
}

/// The custom workflows of the environment's configuration.
#[tauri::command]
pub(crate) async fn workflows_list(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<stagecraft_api::CustomWorkflow>, IpcError> {
    Ok(state.stagecraft()?.workflows(&env_id).await?)
}

/// Runs a custom workflow by name; returns at once, queued like any deploy.
#[tauri::command]
pub(crate) async fn workflow_start(
    state: State<'_, AppState>,
    env_id: String,
    name: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Workflow { name }).await
}

/// The environment's pausing schedule, where it comes from, and its next time.
#[tauri::command]
pub(crate) async fn schedule_get(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<stagecraft_api::EnvironmentScheduleView, IpcError> {
    Ok(state.stagecraft()?.environment_schedule(&env_id).await?)
}

/// Sets, turns off, or hands back to its app the environment's pausing schedule.
#[tauri::command]
pub(crate) async fn schedule_set(
    state: State<'_, AppState>,
    env_id: String,
    change: stagecraft_api::ScheduleChange,
) -> Result<stagecraft_api::EnvironmentScheduleView, IpcError> {
    Ok(state
        .stagecraft()?
        .set_environment_schedule(&env_id, change)
        .await?)
}

/// The app's default pausing schedule.
#[tauri::command]
pub(crate) async fn app_schedule_get(
    state: State<'_, AppState>,
    app: String,
) -> Result<Option<stagecraft_api::PauseScheduleView>, IpcError> {
    Ok(state.stagecraft()?.app_schedule(&app).await?)
}

/// Sets (or, with none, removes) the app's default pausing schedule.
#[tauri::command]
pub(crate) async fn app_schedule_set(
    state: State<'_, AppState>,
    app: String,
    schedule: Option<stagecraft_api::PauseScheduleInput>,
) -> Result<Option<stagecraft_api::PauseScheduleView>, IpcError> {
    Ok(state.stagecraft()?.set_app_schedule(&app, schedule).await?)
}

/// The cron jobs of the environment's configuration, with their last and next runs.
#[tauri::command]
pub(crate) async fn cron_jobs_list(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<stagecraft_api::CronJobView>, IpcError> {
    Ok(state.stagecraft()?.cron_jobs(&env_id).await?)
}

/// Runs a cron job now ("Run now"); returns at once, queued like any deploy.
#[tauri::command]
pub(crate) async fn cron_run(
    state: State<'_, AppState>,
    env_id: String,
    name: String,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Cron { name, reason: None }).await
}

/// Cancels the running deploy and the queued ones; gives them.
#[tauri::command]
pub(crate) async fn deploy_cancel(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<DeployView>, IpcError> {
    let cancelled = state.stagecraft()?.cancel(&env_id).await?;
    Ok(cancelled.into_iter().map(DeployView::from).collect())
}

/// Sets an ephemeral environment to expire `hours` from now (at most 7 days; none: 7 days).
#[tauri::command]
pub(crate) async fn environment_extend(
    state: State<'_, AppState>,
    env_id: String,
    hours: Option<u32>,
) -> Result<EnvironmentView, IpcError> {
    let by = hours.map(|h| std::time::Duration::from_secs(u64::from(h) * 3600));
    Ok(state.stagecraft()?.extend(&env_id, by).await?.into())
}

#[tauri::command]
pub(crate) async fn timeline(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<DeployView>, IpcError> {
    let deploys = state.stagecraft()?.timeline(&env_id).await?;
    Ok(deploys.into_iter().map(DeployView::from).collect())
}

#[tauri::command]
pub(crate) async fn deploy_detail(
    state: State<'_, AppState>,
    deploy_id: i64,
) -> Result<DeployDetailView, IpcError> {
    Ok(state.stagecraft()?.deploy_detail(deploy_id).await?.into())
}

/// The environment's kept logs: services, job runs, builds.
#[tauri::command]
pub(crate) async fn log_resources(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<LogResourceView>, IpcError> {
    Ok(state.stagecraft()?.log_resources(&env_id).await?)
}

#[tauri::command]
pub(crate) async fn builds_list(
    state: State<'_, AppState>,
    app: String,
    env_id: Option<String>,
) -> Result<Vec<BuildView>, IpcError> {
    Ok(state
        .stagecraft()?
        .build_views(&app, env_id.as_deref())
        .await?)
}

#[tauri::command]
pub(crate) async fn builds_compare(
    state: State<'_, AppState>,
    before: i64,
    after: i64,
) -> Result<BuildComparisonView, IpcError> {
    Ok(state
        .stagecraft()?
        .compare_builds(before, after)
        .await?
        .into())
}

#[tauri::command]
pub(crate) async fn deploy_build_start(
    state: State<'_, AppState>,
    env_id: String,
    build_id: i64,
) -> Result<DeployView, IpcError> {
    submit(&state, &env_id, DeployRequest::Rollback { build_id }).await
}

#[tauri::command]
pub(crate) async fn config_history(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<ConfigVersionView>, IpcError> {
    let history = state.stagecraft()?.config_history(&env_id).await?;
    Ok(history.into_iter().map(ConfigVersionView::from).collect())
}

#[tauri::command]
pub(crate) async fn config_set(
    state: State<'_, AppState>,
    env_id: String,
    yaml: String,
) -> Result<ConfigVersionView, IpcError> {
    Ok(state.stagecraft()?.config_set(&env_id, &yaml).await?.into())
}

/// The environment's variables file for its editor, secrets masked.
#[tauri::command]
pub(crate) async fn environment_vars_file(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<EditableVariables, IpcError> {
    Ok(state
        .stagecraft()?
        .environment_variables_file(&env_id)
        .await?)
}

/// Replaces the environment's variables file (a secret left masked keeps its value).
#[tauri::command]
pub(crate) async fn environment_vars_set(
    state: State<'_, AppState>,
    env_id: String,
    yaml: String,
) -> Result<ConfigVersionView, IpcError> {
    Ok(state
        .stagecraft()?
        .environment_variables_set(&env_id, &yaml)
        .await?
        .into())
}

/// Each service of the environment as its runtime reports it now.
#[tauri::command]
pub(crate) async fn environment_health(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<ServiceHealthView>, IpcError> {
    let services = state.stagecraft()?.health(&env_id).await?;
    Ok(services.into_iter().map(ServiceHealthView::from).collect())
}

#[tauri::command]
pub(crate) async fn variables_get(
    state: State<'_, AppState>,
    env_id: String,
) -> Result<Vec<WorkloadVarsView>, IpcError> {
    let vars = state.stagecraft()?.variables_get(&env_id).await?;
    Ok(vars.into_iter().map(WorkloadVarsView::from).collect())
}

/// Opens a shell (bash, else sh) in a running container of `workload` (`web`, or
/// `jobs.<name>` while it runs) of the environment, in a terminal of `rows`×`cols`; its output
/// and end come over `on_message`. Gives the terminal's id for `terminal_input`,
/// `terminal_resize` and `terminal_close`.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub(crate) async fn terminal_open<R: tauri::Runtime>(
    webview: tauri::Webview<R>,
    state: State<'_, AppState>,
    terminals: State<'_, Terminals>,
    env_id: String,
    workload: String,
    replica: Option<u32>,
    rows: u16,
    cols: u16,
    on_message: tauri::ipc::Channel<TerminalMessage>,
) -> Result<u32, IpcError> {
    let size = TerminalSize { rows, cols };
    let page = terminals.page(webview.label());
    let session = state
        .stagecraft()?
        .terminal(&env_id, &workload, replica, None, size)
        .await?;
    let opened = terminals.open(webview.label(), page, session, move |message| {
        on_message.send(message).is_ok()
    });
    opened.ok_or_else(|| {
        IpcError::from(stagecraft_api::Error::Conflict {
            message: "the window loaded again while the terminal opened: open it again".into(),
        })
    })
}

/// Keys typed or pasted into terminal `id`, as the terminal encodes them (UTF-8).
#[tauri::command]
pub(crate) async fn terminal_input(
    terminals: State<'_, Terminals>,
    id: u32,
    data: String,
) -> Result<(), IpcError> {
    terminals.input(id, data.into_bytes()).await;
    Ok(())
}

/// The window drew `bytes` more of terminal `id`'s output: more may come.
#[tauri::command]
pub(crate) fn terminal_ack(terminals: State<'_, Terminals>, id: u32, bytes: u32) {
    terminals.drawn(id, u64::from(bytes));
}

/// Terminal `id` was resized (the window, or its pane).
#[tauri::command]
pub(crate) async fn terminal_resize(
    terminals: State<'_, Terminals>,
    id: u32,
    rows: u16,
    cols: u16,
) -> Result<(), IpcError> {
    terminals.resize(id, TerminalSize { rows, cols }).await;
    Ok(())
}

/// Closes terminal `id`: its shell, and what it started, are stopped.
#[tauri::command]
pub(crate) fn terminal_close(terminals: State<'_, Terminals>, id: u32) {
    terminals.close(id);
}

#[cfg(test)]
mod tests {
    use super::environment_address;

    #[test]
    fn only_an_environments_address_is_opened() {
        for ok in [
            "http://web-ted1bc4.localhost:7480",
            "http://localhost:3000/x",
            "http://127.0.0.1:24817/",
            "http://[::1]:7480/",
        ] {
            assert!(environment_address(ok).is_some(), "{ok}");
        }
        for refused in [
            "http://web.localhost:1@evil.example/",
            "http://evil.example\\@x.localhost/",
            "https://web-ted1bc4.localhost/",
            "http://web.localhost.evil.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://user@web.localhost/",
        ] {
            assert!(environment_address(refused).is_none(), "{refused}");
        }
    }
}
