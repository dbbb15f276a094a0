//! DigitalOcean's resources: VPCs, VPC peerings, partner attachments, and the regions they
//! live in.

pub mod attachment;
pub mod diagnosis;
pub mod peering;
pub mod region;
pub mod vpc;
