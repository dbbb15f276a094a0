//! Request bodies into control's requests: network designs in every client's shape, VXC
//! partner configurations, updates and service keys.

use crate::body::Obj;
use crate::error::ApiError;
use crosslink_control::megaport::{OrderLine, ProductOrder, VxcOrder};
use crosslink_domain::megaport::product::ProductType;
use crosslink_domain::megaport::vxc::{BgpConnection, Interface, VrouterConfig};
use serde_json::Value;
use uuid::Uuid;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_request(m)
}

pub fn uid(field: &str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(s.trim()).map_err(|_| {
        let shown: String = s.chars().take(64).collect();
        bad(format!(
            "Validation failed {field} '{shown}' is not a valid UID"
        ))
    })
}

fn opt_uid(o: Obj<'_>, field: &str) -> Result<Option<Uuid>, ApiError> {
    o.str(field)?
        .filter(|s| !s.trim().is_empty())
        .map(|s| uid(field, &s))
        .transpose()
}

/// A network design: a bare array (v2, v3) or `{networkDesign: [...]}` (v4).
pub fn order_lines(v: &Value) -> Result<Vec<OrderLine>, ApiError> {
    let items = match v {
        Value::Array(a) => a.as_slice(),
        Value::Object(m) => match m.get("networkDesign") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => return Err(bad("Validation failed the order must be a list of services, or {\"networkDesign\": [...]}")),
        },
        _ => return Err(bad("Validation failed the order must be a list of services")),
    };
    let mut lines = Vec::new();
    for item in items {
        let o = Obj::of(item, "each ordered service")?;
        let vxcs = o.arr("associatedVxcs")?;
        if vxcs.is_empty() {
            lines.push(OrderLine::Product(product_order(o)?));
        } else {
            let a_end = opt_uid(o, "productUid")?;
            for v in vxcs {
                lines.push(OrderLine::Vxc(vxc_order(
                    Obj::of(v, "associatedVxcs")?,
                    a_end,
                )?));
            }
        }
    }
    Ok(lines)
}

fn product_order(o: Obj<'_>) -> Result<ProductOrder, ApiError> {
    let config = o.obj("config")?;
    let asn = match config {
        Some(c) => c.int("mcrAsn")?,
        None => None,
    };
    let typed = o.str("productType")?.unwrap_or_default();
    let mut t = ProductType::parse(&typed);
    // megalib orders an MCR as a virtual MEGAPORT with an ASN.
    if t == Some(ProductType::Port) && o.bool("virtual")?.unwrap_or(false) {
        t = Some(ProductType::Mcr);
    }
    if t.is_none() {
        return Err(bad(format!(
            "Validation failed productType '{typed}' is not valid: use MEGAPORT, MCR2 or MVE"
        )));
    }
    let zone = match config
        .map(|c| c.str("diversityZone"))
        .transpose()?
        .flatten()
    {
        Some(z) => Some(z),
        None => o.str("diversityZone")?,
    };
    let vnics = o
        .arr("vnics")?
        .iter()
        .map(|v| Obj::of(v, "vnics").and_then(|n| Ok(n.str("description")?.unwrap_or_default())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ProductOrder {
        product_type: t,
        name: o.str("productName")?.unwrap_or_default(),
        location_id: o.int("locationId")?,
        speed: o.int("portSpeed")?,
        term: o.int("term")?,
        cost_centre: o.str("costCentre")?.unwrap_or_default(),
        marketplace_visibility: o.bool("marketplaceVisibility")?,
        asn,
        diversity_zone: zone,
        vnics,
        resource_tags: tags(o)?,
    })
}

fn vxc_order(o: Obj<'_>, a_end: Option<Uuid>) -> Result<VxcOrder, ApiError> {
    let a = o.obj("aEnd")?;
    let b = o.obj("bEnd")?;
    let a_end = match a_end {
        Some(u) => Some(u),
        None => a.map(|a| opt_uid(a, "productUid")).transpose()?.flatten(),
    };
    Ok(VxcOrder {
        a_end,
        name: o.str("productName")?.unwrap_or_default(),
        rate_limit: o.int("rateLimit")?,
        term: o.int("term")?,
        shutdown: o.bool("shutdown")?.unwrap_or(false),
        cost_centre: o.str("costCentre")?.unwrap_or_default(),
        service_key: o.str("serviceKey")?,
        a_vlan: a.map(|a| a.int("vlan")).transpose()?.flatten(),
        a_inner_vlan: a.map(|a| a.int("innerVlan")).transpose()?.flatten(),
        a_config: a.map(partner_config).transpose()?.flatten(),
        b_end: b.map(|b| opt_uid(b, "productUid")).transpose()?.flatten(),
        b_vlan: b.map(|b| b.int("vlan")).transpose()?.flatten(),
        b_config: b.map(partner_config).transpose()?.flatten(),
        resource_tags: tags(o)?,
    })
}

/// `partnerConfig` of an end: only an MCR's (no `connectType`, or `VROUTER`).
pub fn partner_config(end: Obj<'_>) -> Result<Option<VrouterConfig>, ApiError> {
    match end.obj("partnerConfig")? {
        Some(pc) => vrouter(pc).map(Some),
        None => Ok(None),
    }
}

pub fn vrouter(pc: Obj<'_>) -> Result<VrouterConfig, ApiError> {
    if let Some(t) = pc.str("connectType")? {
        if !t.is_empty() && !t.eq_ignore_ascii_case("VROUTER") && !t.eq_ignore_ascii_case("A_END") {
            return Err(bad(format!(
                "Validation failed partnerConfig connectType '{t}' is not offered here: crosslink's fabric has MCR (VROUTER) configurations only"
            )));
        }
    }
    let interfaces = pc
        .arr("interfaces")?
        .iter()
        .map(|i| interface(Obj::of(i, "interfaces")?))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VrouterConfig { interfaces })
}

fn ip(field: &str, s: Option<String>) -> Result<std::net::Ipv4Addr, ApiError> {
    let s = s.ok_or_else(|| bad(format!("Validation failed {field} is required")))?;
    if s.contains('/') {
        return Err(bad(format!(
            "Validation failed {field} '{s}' must be a plain IPv4 address, without a mask"
        )));
    }
    s.trim().parse().map_err(|_| {
        bad(format!(
            "Validation failed {field} '{s}' is not an IPv4 address"
        ))
    })
}

fn small<T: TryFrom<i64>>(field: &str, v: Option<i64>) -> Result<Option<T>, ApiError> {
    v.map(|n| {
        T::try_from(n).map_err(|_| bad(format!("Validation failed {field} {n} is out of range")))
    })
    .transpose()
}

fn interface(o: Obj<'_>) -> Result<Interface, ApiError> {
    let ip_addresses = o
        .strings("ipAddresses")?
        .iter()
        .map(|s| {
            s.trim().parse().map_err(|_| {
                bad(format!("Validation failed ipAddresses '{s}' must be an IPv4 address with a mask, such as 169.254.0.6/29"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bgp_connections = o
        .arr("bgpConnections")?
        .iter()
        .map(|b| {
            let b = Obj::of(b, "bgpConnections")?;
            Ok(BgpConnection {
                peer_asn: small("peerAsn", b.int("peerAsn")?)?
                    .ok_or_else(|| bad("Validation failed peerAsn is required"))?,
                local_asn: small("localAsn", b.int("localAsn")?)?,
                local_ip_address: ip("localIpAddress", b.str("localIpAddress")?)?,
                peer_ip_address: ip("peerIpAddress", b.str("peerIpAddress")?)?,
                password: b.str("password")?.filter(|p| !p.is_empty()),
                shutdown: b.bool("shutdown")?.unwrap_or(false),
                description: b.str("description")?,
                bfd_enabled: b.bool("bfdEnabled")?.unwrap_or(false),
                med_in: small("medIn", b.int("medIn")?)?,
                med_out: small("medOut", b.int("medOut")?)?,
                as_path_prepend_count: small("asPathPrependCount", b.int("asPathPrependCount")?)?,
                peer_type: b.str("peerType")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Interface {
        ip_addresses,
        bgp_connections,
        description: o.str("description")?,
    })
}

/// `resourceTags: [{key, value}]`.
pub fn tags(o: Obj<'_>) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    o.arr("resourceTags")?
        .iter()
        .map(|t| {
            let t = Obj::of(t, "resourceTags")?;
            Ok((
                t.str("key")?
                    .ok_or_else(|| bad("Validation failed each resource tag needs a key"))?,
                t.str("value")?.unwrap_or_default(),
            ))
        })
        .collect()
}
