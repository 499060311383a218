//! A deploy as it stands, for a script that waits for one (`--wait`).

use axum::Json;
use axum::extract::{Path, State};

use crate::AppState;
use crate::environments::DeployJson;
use crate::error::{ApiError, ErrorBody};

#[utoipa::path(get, path = "/api/v1/deploys/{id}",
    params(("id" = i64, Path, description = "The deploy's id")),
    responses((status = 200, body = DeployJson), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody)),
    security(("token" = []), ("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<DeployJson>, ApiError> {
    Ok(Json(state.stagecraft.deploy_by_id(id).await?.into()))
}
