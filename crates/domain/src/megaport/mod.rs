//! Megaport's side of the fabric: companies, their ports, and the service keys that let
//! another company connect to a port. The built-in company DigitalOcean owns one partner port
//! per metro and diversity zone; partner attachments are issued keys on them.

pub mod approval;
pub mod company;
pub mod location;
pub mod port;
pub mod product;
pub mod service_key;
pub mod vxc;
