//! crosslink-api-digitalocean
