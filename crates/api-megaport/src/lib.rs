//! The Megaport API: wire types (always) and the axum server (feature `server`).

pub mod wire;

#[cfg(feature = "server")]
mod body;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod handlers;
#[cfg(feature = "server")]
mod middleware;
#[cfg(feature = "server")]
mod parse;
#[cfg(feature = "server")]
mod render;

#[cfg(feature = "server")]
pub use error::ApiError;
#[cfg(feature = "server")]
pub use server::{error_page, router};

/// The API's own reading of what megaportgo sends, for the console: it builds the same JSON
/// and goes through the same parser, so its forms keep the API's rules and error words.
#[cfg(feature = "server")]
pub mod console {
    pub use crate::parse::order_lines;

    /// An MCR end's `partnerConfig` (`{interfaces: [...]}`).
    pub fn partner_config(
        v: &serde_json::Value,
    ) -> Result<crosslink_domain::megaport::vxc::VrouterConfig, crate::ApiError> {
        crate::parse::vrouter(crate::body::Obj::of(v, "partnerConfig")?)
    }
}

#[cfg(feature = "server")]
mod server {
    use crate::{handlers as h, middleware};
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::Router;
    use crosslink_control::Control;
    use std::sync::Arc;
    use tower::ServiceBuilder;

    #[derive(Clone)]
    pub(crate) struct AppState {
        pub control: Arc<Control>,
    }

    /// What hyper's own refusals become: Megaport's envelope with a trace id.
    pub fn error_page(status: StatusCode) -> axum::http::Response<Vec<u8>> {
        middleware::protocol_error(status)
    }

    /// The Megaport API at the host root, as api.megaport.com serves it (megaportgo builds
    /// some URLs with an absolute path, so no prefix would survive).
    pub fn router(control: Arc<Control>) -> Router {
        let state = AppState { control };
        // Locations are public (megaport-cli lists them without a token).
        let public = Router::new()
            .route("/oauth2/token", post(h::token))
            .route("/v2/login", post(h::login))
            .route("/v2/logout/{a}", get(h::logout))
            .route("/v2/locations", get(h::locations_v2))
            .route("/v3/locations", get(h::locations_v3))
            .route("/v2/networkRegions", get(h::network_regions));
        let private = Router::new()
            .route("/v2/dropdowns/partner/megaports", get(h::partner_ports))
            .route("/v2/networkdesign/validate", post(h::validate))
            .route("/v3/networkdesign/validate", post(h::validate))
            .route("/v2/networkdesign/buy", post(h::buy))
            .route("/v3/networkdesign/buy", post(h::buy))
            .route("/v4/networkdesign/buy", post(h::buy))
            .route("/v2/products", get(h::list_products))
            .route("/v2/product/{a}", get(h::get_product).put(h::put_product))
            .route("/v2/product/{a}/{b}", get(h::get_typed).put(h::put_typed))
            .route("/v2/product/{a}/lock", post(h::lock).delete(h::lock))
            .route("/v2/product/{a}/tags", get(h::get_tags).put(h::put_tags))
            .route("/v2/product/{a}/action/{b}", post(h::action))
            .route("/v3/product/{a}/action/{b}", post(h::action))
            .route("/v2/product/port/{b}/vlan", get(h::vlan_available))
            .route(
                "/v2/product/mcr2/{b}/lookingGlass/bgpSessions",
                get(h::lg_sessions),
            )
            .route(
                "/v2/product/mcr2/{b}/lookingGlass/bgpSessions/{c}/{d}",
                get(h::lg_session_routes),
            )
            .route(
                "/v2/product/mcr2/{b}/lookingGlass/routes",
                get(h::lg_routes),
            )
            .route(
                "/v3/product/vxc/{b}",
                get(h::get_product).put(h::put_vxc_v3),
            )
            .route(
                "/v2/service/key",
                get(h::get_keys).post(h::create_key).put(h::update_key),
            )
            .route("/v2/service/key/validate", get(h::validate_key))
            .route("/v3/order_approvals", get(h::list_approvals))
            .route("/v3/order_approvals/{a}/{b}", post(h::decide))
            .route("/v2/notifications", get(h::notifications))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::authenticate,
            ));
        let api = public
            .merge(private)
            .fallback(h::not_found)
            .layer(axum::middleware::from_fn(middleware::envelope))
            .with_state(state);
        // The key lookup megaportgo escapes into the path is mended before routing.
        Router::new().fallback_service(
            ServiceBuilder::new()
                .map_request(middleware::unescape_key_lookup)
                .service(api),
        )
    }
}
