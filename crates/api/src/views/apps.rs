//! An app's own screen: its details, its files read again, its removal.

use serde::Serialize;
use ts_rs::TS;

use super::{AppView, EnvironmentView};

/// An app with its newest configuration version and its environments (torn-down ones too).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppDetailView {
    pub app: AppView,
    /// Its newest default configuration version: environments created now copy it.
    #[ts(type = "number")]
    pub version: i64,
    pub environments: Vec<EnvironmentView>,
}

impl From<crate::AppDetail> for AppDetailView {
    fn from(detail: crate::AppDetail) -> Self {
        Self {
            app: detail.app.into(),
            version: detail.version,
            environments: detail.environments.into_iter().map(Into::into).collect(),
        }
    }
}

/// The app's Release files read again, beside its newest version; secrets masked.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppRefreshView {
    pub app: String,
    #[ts(type = "number")]
    pub from_version: i64,
    /// The version they became, when they changed and were kept.
    #[ts(type = "number | null")]
    pub kept_version: Option<i64>,
    pub changed: bool,
    pub template_before: String,
    pub template_after: String,
    pub variables_before: String,
    pub variables_after: String,
    /// A secret's value changed (the masks hide it).
    pub secrets_changed: bool,
}

impl From<crate::AppRefresh> for AppRefreshView {
    fn from(refresh: crate::AppRefresh) -> Self {
        Self {
            changed: refresh.changed(),
            app: refresh.app,
            from_version: refresh.from_version,
            kept_version: refresh.kept_version,
            template_before: refresh.template_before,
            template_after: refresh.template_after,
            variables_before: refresh.variables_before,
            variables_after: refresh.variables_after,
            secrets_changed: refresh.secrets_changed,
        }
    }
}

/// An app removed, and what went with it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemovedAppView {
    pub app: String,
    /// Its torn-down environments, whose history went with it.
    pub environments: Vec<String>,
    /// The image tags its builds made, removed from the Docker engine.
    pub images: Vec<String>,
}

impl From<crate::RemovedApp> for RemovedAppView {
    fn from(removed: crate::RemovedApp) -> Self {
        Self {
            app: removed.app,
            environments: removed.environments,
            images: removed.images,
        }
    }
}
