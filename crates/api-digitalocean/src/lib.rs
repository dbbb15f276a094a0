//! The DigitalOcean API: wire types (always) and the axum server (feature `server`).

pub mod wire;

/// Where `doctl auth init --token-validation-server URL` checks a token.
pub(crate) const TOKEN_INFO: &str = "/v1/oauth/token/info";

#[cfg(feature = "server")]
mod attachments;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod handlers;
#[cfg(feature = "server")]
mod middleware;
#[cfg(feature = "server")]
mod pagination;
#[cfg(feature = "server")]
pub mod ratelimit;

#[cfg(feature = "server")]
pub use error::ApiError;
#[cfg(feature = "server")]
pub use middleware::error_envelope;
#[cfg(feature = "server")]
pub use server::{error_page, router, ApiConfig};

#[cfg(feature = "server")]
mod server {
    use crate::{attachments, handlers, middleware, ratelimit::RateLimiter};
    use axum::handler::Handler;
    use axum::http::StatusCode;
    use axum::routing::{get, on, MethodFilter, MethodRouter};
    use MethodFilter as M;
    const GET: M = M::GET;
    const POST: M = M::POST;
    const PUT: M = M::PUT;
    const PATCH: M = M::PATCH;
    const DELETE: M = M::DELETE;
    use axum::Router;
    use crosslink_control::Control;
    use std::sync::Arc;

    #[derive(Debug, Clone)]
    pub struct ApiConfig {
        /// Requests per sliding minute per token; 0 disables the limit.
        pub per_minute: u32,
        /// Requests per sliding hour per token; 0 disables the limit.
        pub per_hour: u32,
        /// `scheme://host[:port]` that pagination links start with. Never the request's
        /// `Host`, which any client can set to anything.
        pub public_url: String,
    }

    impl Default for ApiConfig {
        fn default() -> Self {
            Self {
                per_minute: 250,
                per_hour: 5000,
                public_url: "http://127.0.0.1:8060".into(),
            }
        }
    }

    #[derive(Clone)]
    pub(crate) struct AppState {
        pub control: Arc<Control>,
        pub limiter: Arc<RateLimiter>,
        /// Requests that failed authentication, counted per client address.
        pub unauthenticated: Arc<RateLimiter>,
        pub public_url: Arc<str>,
    }

    const PNC_READ: &str = "partner_network_connect:read";

    /// One operation: its method, the scope the official spec declares for it, its handler.
    fn op<H, T>(method: MethodFilter, scope: &'static str, handler: H) -> MethodRouter<AppState>
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        on(method, handler).route_layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                middleware::require_scope(scope, req, next)
            },
        ))
    }

    /// What hyper's own refusals (400, 414, 431, before any route runs) become: the
    /// DigitalOcean envelope with a request id and the rate-limit headers.
    pub fn error_page(status: StatusCode) -> axum::http::Response<Vec<u8>> {
        crate::middleware::protocol_error(status)
    }

    /// The DigitalOcean API at the host root, as api.digitalocean.com serves it.
    pub fn router(control: Arc<Control>, config: ApiConfig) -> Router {
        let state = AppState {
            control,
            limiter: Arc::new(RateLimiter::new(config.per_minute, config.per_hour)),
            unauthenticated: Arc::new(RateLimiter::new(config.per_minute, config.per_hour)),
            public_url: config.public_url.trim_end_matches('/').into(),
        };
        Router::new()
            .route(
                "/v2/account",
                op(GET, "account:read", handlers::get_account),
            )
            // Any valid token may ask about itself.
            .route(crate::TOKEN_INFO, get(handlers::get_token_info))
            .route(
                "/v2/regions",
                op(GET, "regions:read", handlers::list_regions),
            )
            .route(
                "/v2/vpcs",
                op(GET, "vpc:read", handlers::list_vpcs).merge(op(
                    POST,
                    "vpc:create",
                    handlers::create_vpc,
                )),
            )
            .route(
                "/v2/vpcs/{vpc_id}",
                op(GET, "vpc:read", handlers::get_vpc)
                    .merge(op(PUT, "vpc:update", handlers::put_vpc))
                    .merge(op(PATCH, "vpc:update", handlers::patch_vpc))
                    .merge(op(DELETE, "vpc:delete", handlers::delete_vpc)),
            )
            .route(
                "/v2/vpcs/{vpc_id}/members",
                op(GET, "vpc:read", handlers::list_members),
            )
            .route(
                "/v2/vpcs/{vpc_id}/peerings",
                op(GET, "vpc_peering:read", handlers::list_vpc_peerings).merge(op(
                    POST,
                    "vpc_peering:create",
                    handlers::create_vpc_peering,
                )),
            )
            .route(
                "/v2/vpcs/{vpc_id}/peerings/{peering_id}",
                op(PATCH, "vpc_peering:update", handlers::patch_vpc_peering),
            )
            .route(
                "/v2/vpc_peerings",
                op(GET, "vpc_peering:read", handlers::list_peerings).merge(op(
                    POST,
                    "vpc_peering:create",
                    handlers::create_peering,
                )),
            )
            .route(
                "/v2/vpc_peerings/{peering_id}",
                op(GET, "vpc_peering:read", handlers::get_peering)
                    .merge(op(PATCH, "vpc_peering:update", handlers::patch_peering))
                    .merge(op(DELETE, "vpc_peering:delete", handlers::delete_peering)),
            )
            // The spec's scopes for Partner Network Connect, as it names them: `read` for
            // everything but create and the key regeneration (`write`).
            .route(
                "/v2/partner_network_connect/attachments",
                op(GET, PNC_READ, attachments::list).merge(op(
                    POST,
                    "partner_network_connect:create",
                    attachments::create,
                )),
            )
            .route(
                "/v2/partner_network_connect/attachments/{pa_id}",
                op(GET, PNC_READ, attachments::get)
                    .merge(op(PATCH, PNC_READ, attachments::patch))
                    .merge(op(DELETE, PNC_READ, attachments::delete)),
            )
            .route(
                "/v2/partner_network_connect/attachments/{pa_id}/bgp_auth_key",
                op(GET, PNC_READ, attachments::bgp_auth_key),
            )
            .route(
                "/v2/partner_network_connect/attachments/{pa_id}/remote_routes",
                op(GET, PNC_READ, attachments::remote_routes),
            )
            .route(
                "/v2/partner_network_connect/attachments/{pa_id}/service_key",
                op(GET, PNC_READ, attachments::service_key).merge(op(
                    POST,
                    "partner_network_connect:write",
                    attachments::regenerate_service_key,
                )),
            )
            .fallback(handlers::not_found)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::envelope,
            ))
            .with_state(state)
    }
}
