//! Release's Environments API on localhost: create or update by branch (Release's own path,
//! `POST /api/apps/{app}/environments`, and `/api/v1/…`), list, get, setup, patch, delete. The
//! answers keep Release's field names where scripts read them (`environment.id`,
//! `environment.hostnames[0].url`, a list's `id`, `tracking_branch`, `state`).
//!
//! Deploys run in the background of the serving process; an answer gives the deploy, and
//! `GET /api/v1/deploys/{id}` how it goes.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use stagecraft_api::{CreateEnvironment, DeployRequest, EnvironmentRow, ErrorCode, Wait};
use stagecraft_engine::{Deploy, EnvironmentStatus};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// An environment as Release's API and CLI give it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnvironmentJson {
    /// Its id (`ted1bc4`), or a permanent environment's name.
    pub id: String,
    pub app: String,
    /// The branch its deploys build.
    pub tracking_branch: String,
    /// `deployed`, `degraded`, `waiting` (created, or a deploy queued), `deploying_setup`,
    /// `deploying_patch`, `deploying_teardown`, `paused`, `failed`, `torn_down`, …
    pub state: String,
    /// `docker`, or `kube:<context>`.
    pub runtime: String,
    pub environment_template: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    /// Its services' URLs.
    pub hostnames: Vec<HostnameJson>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostnameJson {
    pub service: String,
    /// Its hostname through the local ingress (`http://web-ted1bc4.localhost:7480`).
    pub url: String,
    /// The 127.0.0.1 port its runtime publishes it on.
    pub direct: Option<String>,
}

/// A deploy: queued when answered; `GET /api/v1/deploys/{id}` follows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeployJson {
    pub id: i64,
    /// `setup`, `patch`, `teardown`, …
    pub stage: String,
    /// `queued`, `running`, `succeeded`, `failed`, `cancelled`, …
    pub status: String,
    pub reason: String,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl From<Deploy> for DeployJson {
    fn from(deploy: Deploy) -> Self {
        Self {
            id: deploy.id,
            stage: word(&deploy.stage),
            status: word(&deploy.status),
            reason: deploy.reason,
            queued_at: deploy.queued_at,
            started_at: deploy.started_at,
            finished_at: deploy.finished_at,
        }
    }
}

/// A value as its serde name (`setup`, `torn_down`).
fn word(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) fn environment_json(row: &EnvironmentRow) -> EnvironmentJson {
    let env = &row.environment;
    EnvironmentJson {
        id: env.env_id.clone(),
        app: env.app.clone(),
        tracking_branch: env.branch.clone(),
        state: row.release_state(),
        runtime: env.runtime.clone(),
        environment_template: env.environment_template.clone(),
        created_at: env.created_at.clone(),
        expires_at: env.expires_at.clone(),
        hostnames: row
            .urls
            .iter()
            .map(|h| HostnameJson {
                service: h.service.clone(),
                url: h.url.clone(),
                direct: h.direct.clone(),
            })
            .collect(),
    }
}

pub(crate) async fn row_of(state: &AppState, env_id: &str) -> Result<EnvironmentRow, ApiError> {
    Ok(state.stagecraft.environment_row(env_id).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this app's environments.
    pub app: Option<String>,
}

/// The environments, oldest first (torn-down ones too: their `state` says so).
#[utoipa::path(get, path = "/api/v1/environments", params(ListQuery),
    responses((status = 200, body = [EnvironmentJson]), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<EnvironmentJson>>, ApiError> {
    let rows = state.stagecraft.environment_rows().await?;
    Ok(Json(
        rows.iter()
            .filter(|r| query.app.as_ref().is_none_or(|a| &r.environment.app == a))
            .map(environment_json)
            .collect(),
    ))
}

/// `{"environment": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnvironmentAnswer {
    pub environment: EnvironmentJson,
}

#[utoipa::path(get, path = "/api/v1/environments/{id}",
    params(("id" = String, Path, description = "The environment's id")),
    responses((status = 200, body = EnvironmentAnswer), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EnvironmentAnswer>, ApiError> {
    Ok(Json(EnvironmentAnswer {
        environment: environment_json(&row_of(&state, &id).await?),
    }))
}

/// `{"environment": …, "deploy": …}`: a deploy was queued for the environment.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeployAnswer {
    pub environment: EnvironmentJson,
    pub deploy: DeployJson,
}

async fn submit(
    state: &AppState,
    env_id: &str,
    request: DeployRequest,
) -> Result<(StatusCode, Json<DeployAnswer>), ApiError> {
    let submitted = state
        .stagecraft
        .submit(env_id, request, Wait::Background)
        .await?;
    // The serving process runs it; its answer does not wait.
    state.keep(submitted.queue);
    Ok((
        StatusCode::ACCEPTED,
        Json(DeployAnswer {
            environment: environment_json(&row_of(state, env_id).await?),
            deploy: submitted.deploy.into(),
        }),
    ))
}

/// Sets the environment up again, whatever changed (Release's Setup).
#[utoipa::path(post, path = "/api/v1/environments/{id}/setup",
    params(("id" = String, Path, description = "The environment's id")),
    responses((status = 202, body = DeployAnswer), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn setup(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeployAnswer>), ApiError> {
    submit(&state, &id, DeployRequest::Setup).await
}

/// Deploys the branch's newest commit (Release's Patch): a patch, or a setup when the
/// environment was never set up or its configuration changed since.
#[utoipa::path(post, path = "/api/v1/environments/{id}/patch",
    params(("id" = String, Path, description = "The environment's id")),
    responses((status = 202, body = DeployAnswer), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeployAnswer>), ApiError> {
    submit(
        &state,
        &id,
        DeployRequest::Deploy {
            working_tree: false,
        },
    )
    .await
}

/// Tears the environment down: its teardown workflow, then everything it created.
#[utoipa::path(delete, path = "/api/v1/environments/{id}",
    params(("id" = String, Path, description = "The environment's id")),
    responses((status = 202, body = DeployAnswer), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeployAnswer>), ApiError> {
    submit(&state, &id, DeployRequest::Teardown).await
}

/// Release's create-or-update body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBody {
    /// The branch: an environment of the app tracking it is updated (a deploy of its newest
    /// commit), else one is created and set up.
    pub branch: Option<String>,
    /// Release's prebuilt images by service: not used (Stagecraft builds the branch's
    /// commit); the answer's `warnings` says so.
    #[schema(value_type = Option<Object>)]
    pub services: Option<serde_json::Value>,
    pub commit_short: Option<String>,
    pub commit_long: Option<String>,
    pub committer: Option<String>,
    pub commit_message: Option<String>,
    pub commit_date: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub logs: Option<serde_json::Value>,
    /// `docker` (the default), or `kube:<context>`, for a new environment.
    pub runtime: Option<String>,
    /// Create without setting it up (the CLI's `--skip-deploy`).
    #[serde(default)]
    pub skip_deploy: bool,
}

/// Release's answer, with the environment and its deploy.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateAnswer {
    /// `Successfully created Environment` or `Successfully updated Environment`.
    pub message: String,
    pub environment: EnvironmentJson,
    pub deploy: Option<DeployJson>,
    /// Fields of the body that were not used, and why.
    pub warnings: Vec<String>,
}

/// Creates an environment of `app` for `branch`, or updates the one tracking it.
#[utoipa::path(post, path = "/api/v1/apps/{app}/environments",
    params(("app" = String, Path, description = "The app's name")),
    request_body = CreateBody,
    responses((status = 200, body = CreateAnswer), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn create_or_update(
    State(state): State<AppState>,
    Path(app): Path<String>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Json<CreateAnswer>, ApiError> {
    let Json(body) = body?;
    let branch = body
        .branch
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                "branch is a required parameter",
            )
        })?
        .to_owned();
    state.stagecraft.app_get(&app).await?;
    let mut warnings = Vec::new();
    if body.services.is_some() {
        warnings.push(
            "services: prebuilt images are not used; Stagecraft builds the branch's newest \
             commit from the app's repository"
                .to_owned(),
        );
    }
    if body.commit_short.is_some() || body.commit_long.is_some() {
        warnings.push(
            "commit_short, commit_long: the deploy builds the branch's newest commit, whatever \
             commit the body names"
                .to_owned(),
        );
    }
    let metadata: Vec<&str> = [
        ("committer", body.committer.is_some()),
        ("commit_message", body.commit_message.is_some()),
        ("commit_date", body.commit_date.is_some()),
        ("logs", body.logs.is_some()),
    ]
    .into_iter()
    .filter_map(|(field, given)| given.then_some(field))
    .collect();
    if !metadata.is_empty() {
        warnings.push(format!(
            "{}: not used; the build records the commit's own author, message and date from \
             the repository, and its own log",
            metadata.join(", ")
        ));
    }
    // One at a time: two requests for one new branch make one environment.
    let _creating = state.creating.lock().await;
    let rows = state.stagecraft.environment_rows().await?;
    // An ephemeral environment of the app on the branch that still stands (one being torn
    // down, or left half torn down, is gone for this purpose: a new one is made).
    let tracking = rows.iter().find(|r| {
        r.environment.app == app
            && r.environment.branch == branch
            && r.environment.kind == stagecraft_engine::EnvironmentKind::Ephemeral
            && !matches!(
                r.environment.status,
                EnvironmentStatus::TornDown
                    | EnvironmentStatus::TearingDown
                    | EnvironmentStatus::TeardownFailed
            )
    });
    let (message, env_id) = match tracking {
        Some(row) => (
            "Successfully updated Environment",
            row.environment.env_id.clone(),
        ),
        None => {
            let created = state
                .stagecraft
                .create_environment(CreateEnvironment {
                    app: app.clone(),
                    branch: Some(branch.clone()),
                    environment_template: "ephemeral".to_owned(),
                    runtime: body.runtime.clone().unwrap_or_else(|| "docker".to_owned()),
                    name: None,
                    ttl: None,
                    working_tree: false,
                    parameters: std::collections::BTreeMap::new(),
                    dataset: None,
                })
                .await?;
            ("Successfully created Environment", created.env_id)
        }
    };
    let deploy = if body.skip_deploy {
        None
    } else {
        let submitted = state
            .stagecraft
            .submit(
                &env_id,
                DeployRequest::Deploy {
                    working_tree: false,
                },
                Wait::Background,
            )
            .await?;
        state.keep(submitted.queue);
        Some(submitted.deploy.into())
    };
    Ok(Json(CreateAnswer {
        message: message.to_owned(),
        environment: environment_json(&row_of(&state, &env_id).await?),
        deploy,
        warnings,
    }))
}
