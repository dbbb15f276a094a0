//! The DigitalOcean API: wire types (always) and the axum server (feature `server`).

pub mod wire;

/// Where `doctl auth init --token-validation-server URL` checks a token.
pub(crate) const TOKEN_INFO: &str = "/v1/oauth/token/info";

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
pub use server::{error_page, router, ApiConfig};

#[cfg(feature = "server")]
mod server {
    use crate::{handlers, middleware, ratelimit::RateLimiter};
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;
    use crosslink_control::Control;
    use std::sync::Arc;
    use std::time::Duration;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;

    #[derive(Debug, Clone)]
    pub struct ApiConfig {
        /// Requests per sliding minute per token; 0 disables the limit.
        pub per_minute: u32,
        /// Requests per sliding hour per token; 0 disables the limit.
        pub per_hour: u32,
        /// A request, body included, must be read and answered within this time (408).
        pub request_timeout: Duration,
        /// The largest request body any route takes (413), checked as it streams in.
        pub max_body_bytes: usize,
        /// `scheme://host[:port]` that pagination links start with. Never the request's
        /// `Host`, which any client can set to anything.
        pub public_url: String,
    }

    impl Default for ApiConfig {
        fn default() -> Self {
            Self {
                per_minute: 250,
                per_hour: 5000,
                request_timeout: Duration::from_secs(30),
                max_body_bytes: 64 * 1024,
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
        // Each route's body is capped as it streams (a declared length over the cap is
        // refused before a byte is read), and the whole request is bounded in time.
        let limits = tower::ServiceBuilder::new()
            .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                config.request_timeout,
            ));
        Router::new()
            .route("/v2/account", get(handlers::get_account))
            .route(crate::TOKEN_INFO, get(handlers::get_token_info))
            .route("/v2/regions", get(handlers::list_regions))
            .route(
                "/v2/vpcs",
                get(handlers::list_vpcs).post(handlers::create_vpc),
            )
            .route(
                "/v2/vpcs/{vpc_id}",
                get(handlers::get_vpc)
                    .put(handlers::put_vpc)
                    .patch(handlers::patch_vpc)
                    .delete(handlers::delete_vpc),
            )
            .route("/v2/vpcs/{vpc_id}/members", get(handlers::list_members))
            .route(
                "/v2/vpcs/{vpc_id}/peerings",
                get(handlers::list_vpc_peerings).post(handlers::create_vpc_peering),
            )
            .route(
                "/v2/vpcs/{vpc_id}/peerings/{peering_id}",
                axum::routing::patch(handlers::patch_vpc_peering),
            )
            .route(
                "/v2/vpc_peerings",
                get(handlers::list_peerings).post(handlers::create_peering),
            )
            .route(
                "/v2/vpc_peerings/{peering_id}",
                get(handlers::get_peering)
                    .patch(handlers::patch_peering)
                    .delete(handlers::delete_peering),
            )
            .fallback(handlers::not_found)
            .route_layer(limits)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::envelope,
            ))
            .with_state(state)
    }
}
