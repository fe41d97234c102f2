//! CSV import of users.

use axum::http::StatusCode;

use super::Problem;
use crate::usecases::import_users::{FileError, ImportError};

impl From<ImportError> for Problem {
    fn from(e: ImportError) -> Self {
        let detail = e.to_string();
        match e {
            ImportError::Auth(e) => e.into(),
            ImportError::Forbidden => Problem::forbidden(detail),
            ImportError::File(FileError::TooManyRows) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "too_many_rows", detail)
            }
            ImportError::File(FileError::Empty | FileError::NoRows) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "empty_file", detail)
            }
            ImportError::File(e @ FileError::NotUtf8 { .. }) => Problem {
                row: e.row().and_then(|r| u32::try_from(r).ok()),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_encoding", detail)
            },
            ImportError::File(e) => Problem {
                row: e.row().and_then(|r| u32::try_from(r).ok()),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", detail)
            },
            ImportError::Header(e) => {
                let code = match e {
                    crate::usecases::import_users::HeaderError::UnknownPermission(_) => {
                        "unknown_permission"
                    }
                    crate::usecases::import_users::HeaderError::MissingEmail => "missing_column",
                    crate::usecases::import_users::HeaderError::NoHeader => "missing_header",
                    crate::usecases::import_users::HeaderError::Duplicate(_) => "duplicate_column",
                    crate::usecases::import_users::HeaderError::Unknown(_) => "unknown_column",
                };
                Problem {
                    row: Some(1),
                    ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
                        .with_field(e.column())
                }
            }
            ImportError::RowsInvalid(report) => Problem {
                errors: Some(report.rows.into_boxed_slice()),
                ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "import_invalid", detail)
            },
            ImportError::NotFound => Problem::not_found(),
            ImportError::TeamsChanged => Problem::new(StatusCode::CONFLICT, "conflict", detail),
            ImportError::Internal(e) => e.into(),
        }
    }
}
