//! Presets (Release's Environment Presets API, as Stagecraft's presets are: the options of
//! `environments create` saved under a name): list, get, save, delete, and a new environment
//! made from one.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use stagecraft_api::{DeployRequest, ErrorCode, PresetOptions, PresetView, Wait};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::environments::{DeployJson, EnvironmentJson, environment_json, row_of};
use crate::error::{ApiError, ErrorBody};

/// A preset: an app, and what a new environment of it takes unless told otherwise.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresetJson {
    pub name: String,
    pub app: String,
    /// The branch; with a `*` (`feature/*`), a pattern the branch asked for must match.
    pub branch: Option<String>,
    /// The `environment_templates` entry.
    pub environment_template: Option<String>,
    pub ttl_hours: Option<u64>,
    /// `docker`, or `kube:<context>`.
    pub runtime: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

impl From<PresetView> for PresetJson {
    fn from(preset: PresetView) -> Self {
        Self {
            name: preset.name,
            app: preset.app,
            branch: preset.options.branch,
            environment_template: preset.options.template,
            ttl_hours: preset.options.ttl_hours,
            runtime: preset.options.runtime,
            parameters: preset.options.parameters,
        }
    }
}

/// What a preset gives, or what is asked beside one: each left out takes the usual default
/// (or the preset's).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OptionsBody {
    pub branch: Option<String>,
    pub environment_template: Option<String>,
    pub ttl_hours: Option<u64>,
    pub runtime: Option<String>,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

impl From<OptionsBody> for PresetOptions {
    fn from(body: OptionsBody) -> Self {
        Self {
            branch: body.branch,
            template: body.environment_template,
            ttl_hours: body.ttl_hours,
            runtime: body.runtime,
            parameters: body.parameters,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PresetsQuery {
    /// Only this app's presets.
    pub app: Option<String>,
}

/// The presets, by name.
#[utoipa::path(get, path = "/api/v1/presets", params(PresetsQuery),
    responses((status = 200, body = [PresetJson]), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<PresetsQuery>,
) -> Result<Json<Vec<PresetJson>>, ApiError> {
    let presets = state.stagecraft.presets().await?;
    Ok(Json(
        presets
            .into_iter()
            .filter(|p| query.app.as_ref().is_none_or(|a| &p.app == a))
            .map(PresetJson::from)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/presets/{name}",
    params(("name" = String, Path, description = "The preset's name")),
    responses((status = 200, body = PresetJson), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<PresetJson>, ApiError> {
    Ok(Json(state.stagecraft.preset(&name).await?.into()))
}

/// A preset to save: its app and options.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveBody {
    pub app: String,
    #[serde(flatten)]
    pub options: OptionsBody,
    /// Fields the body has beside these (refused: a misspelt one would go unnoticed).
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// Refuses a body with fields this path does not take, naming them.
fn refuse_unknown(unknown: &BTreeMap<String, serde_json::Value>) -> Result<(), ApiError> {
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidRequest,
        format!(
            "unknown fields: {} (this path takes branch, environment_template, ttl_hours, \
             runtime, parameters; the OpenAPI document says more)",
            unknown.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    ))
}

/// Saves the preset (made, or replaced), checked as creating an environment would check it.
#[utoipa::path(put, path = "/api/v1/presets/{name}",
    params(("name" = String, Path, description = "The preset's name")),
    request_body = SaveBody,
    responses((status = 200, body = PresetJson), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<SaveBody>, JsonRejection>,
) -> Result<Json<PresetJson>, ApiError> {
    let Json(body) = body?;
    refuse_unknown(&body.unknown)?;
    let saved = state
        .stagecraft
        .save_preset(&name, &body.app, body.options.into())
        .await?;
    Ok(Json(saved.into()))
}

#[utoipa::path(delete, path = "/api/v1/presets/{name}",
    params(("name" = String, Path, description = "The preset's name")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.stagecraft.delete_preset(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What is asked beside the preset (each given wins over it).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FromPresetBody {
    #[serde(flatten)]
    pub options: OptionsBody,
    /// Create without setting it up.
    #[serde(default)]
    pub skip_deploy: bool,
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// A new environment and its first deploy (none with `skip_deploy`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAnswer {
    pub environment: EnvironmentJson,
    pub deploy: Option<DeployJson>,
}

/// Creates an environment from the preset and sets it up.
#[utoipa::path(post, path = "/api/v1/presets/{name}/environments",
    params(("name" = String, Path, description = "The preset's name")),
    request_body(content = Option<FromPresetBody>,
        description = "Optional: the preset as it is when left out"),
    responses((status = 201, body = CreatedAnswer), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn create_environment(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedAnswer>), ApiError> {
    let body: FromPresetBody = crate::error::optional_json(body)?;
    refuse_unknown(&body.unknown)?;
    let preset = state.stagecraft.preset(&name).await?;
    let request = preset.request(body.options.into())?;
    let created = state.stagecraft.create_environment(request).await?;
    let deploy = if body.skip_deploy {
        None
    } else {
        let submitted = state
            .stagecraft
            .submit(
                &created.env_id,
                DeployRequest::Deploy {
                    working_tree: false,
                },
                Wait::Background,
            )
            .await?;
        state.keep(submitted.queue);
        Some(submitted.deploy.into())
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedAnswer {
            environment: environment_json(&row_of(&state, &created.env_id).await?),
            deploy,
        }),
    ))
}
