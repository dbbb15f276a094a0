//! The Megaport portal's pages: Services, Create MCR, + Connection, a VXC's details and the
//! looking glass, and Service Keys.

use axum::Router;
use crosslink_control::Control;
use std::sync::Arc;

pub fn routes() -> Router<Arc<Control>> {
    Router::new()
}
