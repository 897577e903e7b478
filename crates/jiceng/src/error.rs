//! One error type for every use case, and the one table of stable error codes.
//!
//! Every error has a stable machine-readable [`Code`] and a Chinese `message`. The table
//! below lists each code once with its HTTP status; use cases pick a code, never a status.
//! Bad input is a 4xx and writes nothing; anything unexpected is an opaque 500 whose detail
//! goes only to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Declares [`Code`]: each variant, its stable string and its HTTP status, once.
macro_rules! codes {
    ($($variant:ident = $code:literal => $status:ident,)*) => {
        /// Every stable error code, with its HTTP status.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable string the API returns (`work_order.not_found`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status every error with this code answers with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }
        }
    };
}

codes! {
    ApiTokenNotFound = "api_token.not_found" => NOT_FOUND,
    ApplicationBadChannel = "application.bad_channel" => UNPROCESSABLE_ENTITY,
    ApplicationBadClientKey = "application.bad_client_key" => UNPROCESSABLE_ENTITY,
    ApplicationBadDelivery = "application.bad_delivery" => UNPROCESSABLE_ENTITY,
    ApplicationBadNote = "application.bad_note" => UNPROCESSABLE_ENTITY,
    ApplicationBadPause = "application.bad_pause" => UNPROCESSABLE_ENTITY,
    ApplicationBadState = "application.bad_state" => CONFLICT,
    ApplicationBadStatus = "application.bad_status" => UNPROCESSABLE_ENTITY,
    ApplicationBundleOutdated = "application.bundle_outdated" => CONFLICT,
    ApplicationInvalid = "application.invalid" => UNPROCESSABLE_ENTITY,
    ApplicationNoNotice = "application.no_notice" => CONFLICT,
    ApplicationNoPart = "application.no_part" => UNPROCESSABLE_ENTITY,
    ApplicationNoResult = "application.no_result" => UNPROCESSABLE_ENTITY,
    ApplicationNoSubject = "application.no_subject" => UNPROCESSABLE_ENTITY,
    ApplicationNotAccepted = "application.not_accepted" => CONFLICT,
    ApplicationNotFound = "application.not_found" => NOT_FOUND,
    ApplicationUnknownBundle = "application.unknown_bundle" => UNPROCESSABLE_ENTITY,
    ApplicationUnknownMaterial = "application.unknown_material" => UNPROCESSABLE_ENTITY,
    ApplicationUnknownMatter = "application.unknown_matter" => UNPROCESSABLE_ENTITY,
    AuditBadCosignature = "audit.bad_cosignature" => UNPROCESSABLE_ENTITY,
    AuditBadProofRequest = "audit.bad_proof_request" => BAD_REQUEST,
    AuditEmpty = "audit.empty" => CONFLICT,
    AuditLeafNotFound = "audit.leaf_not_found" => NOT_FOUND,
    AuditNoCheckpoint = "audit.no_checkpoint" => NOT_FOUND,
    AuditNotFound = "audit.not_found" => NOT_FOUND,
    AuditBadFilter = "audit.bad_filter" => BAD_REQUEST,
    AuditUnknownWitness = "audit.unknown_witness" => FORBIDDEN,
    AuthBadUsername = "auth.bad_username" => BAD_REQUEST,
    AuthBusy = "auth.busy" => SERVICE_UNAVAILABLE,
    AuthCsrfInvalid = "auth.csrf_invalid" => FORBIDDEN,
    AuthForbidden = "auth.forbidden" => FORBIDDEN,
    AuthInvalidCredentials = "auth.invalid_credentials" => UNAUTHORIZED,
    AuthLocked = "auth.locked" => TOO_MANY_REQUESTS,
    AuthRequired = "auth.required" => UNAUTHORIZED,
    AuthTokenExpired = "auth.token_expired" => UNAUTHORIZED,
    AuthTokenInvalid = "auth.token_invalid" => UNAUTHORIZED,
    BundleCycle = "bundle.cycle" => UNPROCESSABLE_ENTITY,
    BundleInvalid = "bundle.invalid" => UNPROCESSABLE_ENTITY,
    BundleNotFound = "bundle.not_found" => NOT_FOUND,
    CalendarBadYear = "calendar.bad_year" => UNPROCESSABLE_ENTITY,
    CalendarWrongYear = "calendar.wrong_year" => UNPROCESSABLE_ENTITY,
    CategoryBadCode = "category.bad_code" => UNPROCESSABLE_ENTITY,
    CategoryBadKeywords = "category.bad_keywords" => UNPROCESSABLE_ENTITY,
    CategoryBadName = "category.bad_name" => UNPROCESSABLE_ENTITY,
    CategoryHasChildren = "category.has_children" => CONFLICT,
    CategoryNoParent = "category.no_parent" => UNPROCESSABLE_ENTITY,
    CitizenRateLimited = "citizen.rate_limited" => TOO_MANY_REQUESTS,
    CitizenPinLocked = "citizen.pin_locked" => TOO_MANY_REQUESTS,
    ClockBadAmount = "clock.bad_amount" => UNPROCESSABLE_ENTITY,
    CockpitBadBy = "cockpit.bad_by" => BAD_REQUEST,
    CockpitBadRange = "cockpit.bad_range" => UNPROCESSABLE_ENTITY,
    CockpitBadRegion = "cockpit.bad_region" => UNPROCESSABLE_ENTITY,
    DepartmentBadKind = "department.bad_kind" => UNPROCESSABLE_ENTITY,
    DepartmentDuplicateCode = "department.duplicate_code" => CONFLICT,
    DepartmentInUse = "department.in_use" => CONFLICT,
    DepartmentLevelMismatch = "department.level_mismatch" => UNPROCESSABLE_ENTITY,
    DepartmentNotFound = "department.not_found" => NOT_FOUND,
    DeskBadResolution = "desk.bad_resolution" => UNPROCESSABLE_ENTITY,
    DeskBadState = "desk.bad_state" => CONFLICT,
    DeskInvalid = "desk.invalid" => UNPROCESSABLE_ENTITY,
    DeskNotFound = "desk.not_found" => NOT_FOUND,
    GeometryBadCoordinate = "geometry.bad_coordinate" => UNPROCESSABLE_ENTITY,
    GeometryBadInteriorRing = "geometry.bad_interior_ring" => UNPROCESSABLE_ENTITY,
    GeometryEmpty = "geometry.empty" => UNPROCESSABLE_ENTITY,
    GeometryInvalidGeojson = "geometry.invalid_geojson" => UNPROCESSABLE_ENTITY,
    GeometryMissing = "geometry.missing" => UNPROCESSABLE_ENTITY,
    GeometrySelfIntersecting = "geometry.self_intersecting" => UNPROCESSABLE_ENTITY,
    GeometryTooFewPoints = "geometry.too_few_points" => UNPROCESSABLE_ENTITY,
    GeometryUnclosedRing = "geometry.unclosed_ring" => UNPROCESSABLE_ENTITY,
    GeometryWrongType = "geometry.wrong_type" => UNPROCESSABLE_ENTITY,
    GridBadWorker = "grid.bad_worker" => UNPROCESSABLE_ENTITY,
    GridDuplicateCode = "grid.duplicate_code" => CONFLICT,
    GridNotFound = "grid.not_found" => NOT_FOUND,
    GridNotInVillage = "grid.not_in_village" => UNPROCESSABLE_ENTITY,
    GridOutsideVillage = "grid.outside_village" => UNPROCESSABLE_ENTITY,
    GridOverlap = "grid.overlap" => UNPROCESSABLE_ENTITY,
    ImportBadFile = "import.bad_file" => BAD_REQUEST,
    ImportBadKind = "import.bad_kind" => BAD_REQUEST,
    ImportInvalid = "import.invalid" => UNPROCESSABLE_ENTITY,
    ImportUnknownKind = "import.unknown_kind" => BAD_REQUEST,
    ImportUnknownUser = "import.unknown_user" => UNPROCESSABLE_ENTITY,
    Internal = "internal" => INTERNAL_SERVER_ERROR,
    LocateBadCoordinate = "locate.bad_coordinate" => BAD_REQUEST,
    MatterBadFile = "matter.bad_file" => BAD_REQUEST,
    MatterImportInvalid = "matter.import_invalid" => UNPROCESSABLE_ENTITY,
    MatterInvalid = "matter.invalid" => UNPROCESSABLE_ENTITY,
    MatterNotFound = "matter.not_found" => NOT_FOUND,
    MatterUnknownUnit = "matter.unknown_unit" => UNPROCESSABLE_ENTITY,
    MetricsBadRange = "metrics.bad_range" => BAD_REQUEST,
    NotFound = "not_found" => NOT_FOUND,
    MethodNotAllowed = "method_not_allowed" => METHOD_NOT_ALLOWED,
    NotReady = "not_ready" => SERVICE_UNAVAILABLE,
    NotificationTemplateInvalid = "notification_template.invalid" => UNPROCESSABLE_ENTITY,
    NotificationTemplateNotFound = "notification_template.not_found" => NOT_FOUND,
    QueueBadDate = "queue.bad_date" => UNPROCESSABLE_ENTITY,
    QueueBadGroup = "queue.bad_group" => UNPROCESSABLE_ENTITY,
    QueueBadPhone = "queue.bad_phone" => UNPROCESSABLE_ENTITY,
    QueueBadRange = "queue.bad_range" => UNPROCESSABLE_ENTITY,
    QueueBadState = "queue.bad_state" => CONFLICT,
    QueueNotFound = "queue.not_found" => NOT_FOUND,
    QueueReservedByStaff = "queue.reserved_by_staff" => FORBIDDEN,
    QueueSameGroup = "queue.same_group" => UNPROCESSABLE_ENTITY,
    QueueUnknownGroup = "queue.unknown_group" => UNPROCESSABLE_ENTITY,
    QueueUnknownWindow = "queue.unknown_window" => UNPROCESSABLE_ENTITY,
    QueueWindowPaused = "queue.window_paused" => CONFLICT,
    RatingBadBy = "rating.bad_by" => UNPROCESSABLE_ENTITY,
    RatingBadChannel = "rating.bad_channel" => UNPROCESSABLE_ENTITY,
    RatingBadMonth = "rating.bad_month" => UNPROCESSABLE_ENTITY,
    RatingDuplicate = "rating.duplicate" => CONFLICT,
    RatingNotReady = "rating.not_ready" => CONFLICT,
    RatingInvalid = "rating.invalid" => UNPROCESSABLE_ENTITY,
    RectificationBadAnswer = "rectification.bad_answer" => UNPROCESSABLE_ENTITY,
    RectificationBadOutcome = "rectification.bad_outcome" => UNPROCESSABLE_ENTITY,
    RectificationBadState = "rectification.bad_state" => CONFLICT,
    RectificationNotFound = "rectification.not_found" => NOT_FOUND,
    RegionDuplicateCode = "region.duplicate_code" => CONFLICT,
    RegionInUse = "region.in_use" => CONFLICT,
    RegionInvalidCode = "region.invalid_code" => UNPROCESSABLE_ENTITY,
    RegionNotFound = "region.not_found" => NOT_FOUND,
    RegionOutsideArea = "region.outside_area" => UNPROCESSABLE_ENTITY,
    RegionParentMismatch = "region.parent_mismatch" => UNPROCESSABLE_ENTITY,
    RegionUnknown = "region.unknown" => UNPROCESSABLE_ENTITY,
    RegionUnknownParent = "region.unknown_parent" => UNPROCESSABLE_ENTITY,
    RequestBadQuery = "request.bad_query" => BAD_REQUEST,
    RequestControlCharacter = "request.control_character" => BAD_REQUEST,
    RequestInvalidBody = "request.invalid_body" => UNPROCESSABLE_ENTITY,
    RequestMalformedJson = "request.malformed_json" => BAD_REQUEST,
    RequestTooLarge = "request.too_large" => PAYLOAD_TOO_LARGE,
    RequestUnreadableBody = "request.unreadable_body" => BAD_REQUEST,
    RequestUnsupportedMediaType = "request.unsupported_media_type" => UNSUPPORTED_MEDIA_TYPE,
    RespListBadDate = "resp_list.bad_date" => UNPROCESSABLE_ENTITY,
    RespListBadFile = "resp_list.bad_file" => BAD_REQUEST,
    RespListInvalid = "resp_list.invalid" => UNPROCESSABLE_ENTITY,
    RespListNotDraft = "resp_list.not_draft" => CONFLICT,
    RespListNotFound = "resp_list.not_found" => NOT_FOUND,
    RespListOverCap = "resp_list.over_cap" => UNPROCESSABLE_ENTITY,
    SlaInvalid = "sla.invalid" => UNPROCESSABLE_ENTITY,
    UploadTooLarge = "upload.too_large" => PAYLOAD_TOO_LARGE,
    UserBadRole = "user.bad_role" => UNPROCESSABLE_ENTITY,
    UserBadUsername = "user.bad_username" => UNPROCESSABLE_ENTITY,
    UserDuplicateUsername = "user.duplicate_username" => CONFLICT,
    UserNotFound = "user.not_found" => NOT_FOUND,
    UserSelfLockout = "user.self_lockout" => UNPROCESSABLE_ENTITY,
    UserUnknownOrg = "user.unknown_org" => UNPROCESSABLE_ENTITY,
    UserWeakPassword = "user.weak_password" => UNPROCESSABLE_ENTITY,
    ValidationBadCode = "validation.bad_code" => UNPROCESSABLE_ENTITY,
    SupervisionBadDays = "supervision.bad_days" => UNPROCESSABLE_ENTITY,
    SupervisionNoUnit = "supervision.no_unit" => CONFLICT,
    SupervisionNotFound = "supervision.not_found" => NOT_FOUND,
    ValidationBadEmail = "validation.bad_email" => UNPROCESSABLE_ENTITY,
    ValidationBadLevel = "validation.bad_level" => UNPROCESSABLE_ENTITY,
    ValidationBadPhone = "validation.bad_phone" => UNPROCESSABLE_ENTITY,
    ValidationBadSort = "validation.bad_sort" => BAD_REQUEST,
    ValidationRequired = "validation.required" => UNPROCESSABLE_ENTITY,
    ValidationTooLong = "validation.too_long" => UNPROCESSABLE_ENTITY,
    WorkOrderAnonymous = "work_order.anonymous" => NOT_FOUND,
    WorkOrderBadAction = "work_order.bad_action" => BAD_REQUEST,
    WorkOrderBadChannel = "work_order.bad_channel" => UNPROCESSABLE_ENTITY,
    WorkOrderBadDays = "work_order.bad_days" => UNPROCESSABLE_ENTITY,
    WorkOrderBadMaster = "work_order.bad_master" => UNPROCESSABLE_ENTITY,
    WorkOrderBadPhone = "work_order.bad_phone" => UNPROCESSABLE_ENTITY,
    WorkOrderBadPhoto = "work_order.bad_photo" => UNPROCESSABLE_ENTITY,
    WorkOrderBadRating = "work_order.bad_rating" => BAD_REQUEST,
    WorkOrderCallbackIncomplete = "work_order.callback_incomplete" => UNPROCESSABLE_ENTITY,
    WorkOrderIllegalTransition = "work_order.illegal_transition" => CONFLICT,
    WorkOrderInvalid = "work_order.invalid" => UNPROCESSABLE_ENTITY,
    WorkOrderMasterNotFound = "work_order.master_not_found" => UNPROCESSABLE_ENTITY,
    WorkOrderMasterRequired = "work_order.master_required" => UNPROCESSABLE_ENTITY,
    WorkOrderNoPhone = "work_order.no_phone" => NOT_FOUND,
    WorkOrderNotFound = "work_order.not_found" => NOT_FOUND,
    WorkOrderNotReadyForRating = "work_order.not_ready_for_rating" => CONFLICT,
    WorkOrderNoteTooLong = "work_order.note_too_long" => UNPROCESSABLE_ENTITY,
    WorkOrderNothingPending = "work_order.nothing_pending" => CONFLICT,
    WorkOrderPhotoNotFound = "work_order.photo_not_found" => NOT_FOUND,
    WorkOrderPhotosNotAllowed = "work_order.photos_not_allowed" => UNPROCESSABLE_ENTITY,
    WorklistBadKind = "worklist.bad_kind" => BAD_REQUEST,
    WorkOrderRateLimited = "work_order.rate_limited" => TOO_MANY_REQUESTS,
    WorkOrderReasonRequired = "work_order.reason_required" => UNPROCESSABLE_ENTITY,
    WorkOrderReplyRequired = "work_order.reply_required" => UNPROCESSABLE_ENTITY,
    WorkOrderRequestPending = "work_order.request_pending" => CONFLICT,
    WorkOrderSendBackWindowClosed = "work_order.send_back_window_closed" => CONFLICT,
    WorkOrderTooManyExtensions = "work_order.too_many_extensions" => CONFLICT,
    WorkOrderUnitRequired = "work_order.unit_required" => UNPROCESSABLE_ENTITY,
    WorkOrderUnknownCategory = "work_order.unknown_category" => UNPROCESSABLE_ENTITY,
    WorkOrderUnknownUnit = "work_order.unknown_unit" => UNPROCESSABLE_ENTITY,
    WorkOrderUnresolved = "work_order.unresolved" => UNPROCESSABLE_ENTITY,
}

impl Code {
    /// The code a domain error of the core crate names (`e.code()`); a code missing from the
    /// table is a programming error, answered as an internal error.
    pub fn of(code: &str) -> Code {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
            .unwrap_or_else(|| {
                tracing::error!(code, "error code missing from the table");
                Code::Internal
            })
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct AppError {
    pub code: Code,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// Detail for the log only; never shown to the caller.
    pub source: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            source: None,
        }
    }

    /// Input that parsed but breaks a rule; `fields` says which field and why.
    pub fn invalid(code: Code, message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        Self {
            fields,
            ..Self::new(code, message)
        }
    }

    pub fn field(field: &str, code: Code, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::invalid(
            code,
            message.clone(),
            vec![FieldError {
                field: field.to_string(),
                message,
            }],
        )
    }

    pub fn unauthenticated() -> Self {
        Self::new(Code::AuthRequired, "请先登录")
    }

    pub fn forbidden() -> Self {
        Self::new(Code::AuthForbidden, "没有权限执行此操作")
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(Code::Internal, "服务器内部错误，请稍后重试")
        }
    }

    /// A database error where a unique constraint decides a race (two ratings at once, two
    /// nodes inserting one key): the violation is the caller's `conflict`, anything else is
    /// internal. The one place where constraint violations become codes.
    pub fn unique_or_internal(e: sea_orm::DbErr, conflict: impl FnOnce() -> AppError) -> AppError {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => conflict(),
            _ => AppError::internal(e),
        }
    }

    /// The HTTP status, from the code's row in the table.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn is_internal(&self) -> bool {
        self.status().is_server_error()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::internal(e)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub fields: &'a [FieldError],
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(src) = &self.source {
            tracing::error!(error = ?src, code = self.code.as_str(), "request failed");
        }
        let body = ErrorBody {
            code: self.code.as_str(),
            message: &self.message,
            fields: &self.fields,
        };
        (self.status(), Json(body)).into_response()
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}（{}）", self.message, self.code)?;
        if let Some(src) = &self.source {
            write!(f, "：{src:#}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}
