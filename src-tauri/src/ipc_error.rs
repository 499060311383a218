use serde::Serialize;
use stagecraft_api::ErrorCode;
use ts_rs::TS;

/// The only error a command returns. The UI switches on `code`; `message` is for people and
/// says what to do.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<stagecraft_api::Error> for IpcError {
    fn from(error: stagecraft_api::Error) -> Self {
        Self {
            code: error.code(),
            message: error.to_string(),
        }
    }
}
