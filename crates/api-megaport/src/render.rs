//! crosslink's resources in Megaport's wire shapes, as the viewing company may see them.

use crate::wire;
use crosslink_control::megaport::{KeyLookup, ProductView, VxcView};
use crosslink_domain::megaport::approval::{Notification, OrderApproval};
use crosslink_domain::megaport::location::{self, Location};
use crosslink_domain::megaport::product::{Product, ProductType};
use crosslink_domain::megaport::vxc::{Side, VrouterConfig, VxcEnd};
use serde_json::{json, Value};

fn zone_offer() -> wire::ZoneOffer {
    wire::ZoneOffer {
        mcr_speed_mbps: location::MCR_SPEEDS.to_vec(),
        megaport_speed_mbps: location::PORT_SPEEDS.to_vec(),
        mve_max_cpu_core_count: Some(12),
        mve_available: true,
        nat_gateway_speed_mbps: Vec::new(),
    }
}

fn zones() -> wire::DiversityZones {
    wire::DiversityZones {
        red: Some(zone_offer()),
        blue: Some(zone_offer()),
    }
}

fn address(l: &Location) -> wire::Address {
    wire::Address {
        street: l.street.into(),
        suburb: String::new(),
        city: l.city.into(),
        state: String::new(),
        postcode: l.postcode.into(),
        country: l.country.into(),
    }
}

pub fn location_v3(l: &Location) -> wire::LocationV3 {
    wire::LocationV3 {
        id: l.id,
        name: l.name.into(),
        metro: l.metro.into(),
        market: l.market.into(),
        status: location::STATUS.into(),
        address: address(l),
        latitude: l.latitude,
        longitude: l.longitude,
        data_centre: wire::IdName {
            id: l.id,
            name: l.data_centre.into(),
        },
        diversity_zones: zones(),
        product_add_ons: json!({"crossConnect": {"available": true, "type": "STANDARD"}}),
        ordering_message: None,
    }
}

pub fn location_v2(l: &Location) -> wire::LocationV2 {
    wire::LocationV2 {
        id: l.id,
        name: l.name.into(),
        country: l.country.into(),
        metro: l.metro.into(),
        market: l.market.into(),
        site_code: l.site_code.into(),
        network_region: "MP1".into(),
        address: address(l),
        campus: None,
        latitude: l.latitude,
        longitude: l.longitude,
        live_date: 1_420_070_400_000,
        status: location::STATUS.into(),
        v_router_available: true,
        dc: wire::IdName {
            id: l.id,
            name: l.data_centre.into(),
        },
        products: json!({
            "mcr": true,
            "mcrVersion": 2,
            "megaport": location::PORT_SPEEDS.iter().map(|s| s / 1000).collect::<Vec<_>>(),
            "mcr1": [],
            "mcr2": location::MCR_SPEEDS,
            "mve": [],
        }),
        diversity_zones: zones(),
    }
}

fn location_detail(location_id: u32) -> wire::LocationDetail {
    location::by_id(location_id)
        .map(|l| wire::LocationDetail {
            name: l.name.into(),
            city: l.city.into(),
            metro: l.metro.into(),
            country: l.country.into(),
        })
        .unwrap_or_default()
}

fn market(location_id: u32) -> String {
    location::by_id(location_id).map_or_else(String::new, |l| l.market.to_owned())
}

pub fn partner_port(p: &Product, company_name: &str) -> wire::PartnerPort {
    wire::PartnerPort {
        product_uid: p.uid.to_string(),
        title: p.spec.name.clone(),
        company_uid: p.company.0.clone(),
        company_name: company_name.to_owned(),
        connect_type: "DEFAULT".into(),
        location_id: p.location_id,
        speed: p.spec.speed_mbps,
        max_vxc_speed: p.spec.speed_mbps,
        rank: 1,
        vxc_permitted: true,
        diversity_zone: Some(p.diversity_zone.as_str().into()),
    }
}

fn contract_end(start: Option<i64>, term: u32) -> Option<i64> {
    start.map(|s| s + i64::from(term) * 30 * 86_400_000)
}

pub fn product(v: &ProductView) -> wire::Product {
    let p = &v.product;
    let live = p.status.as_str() == "LIVE";
    let resources = match p.product_type {
        ProductType::Mcr => json!({
            "virtual_router": {
                "id": p.product_id,
                "mcrAsn": p.spec.asn,
                "name": p.spec.name,
                "resource_name": "virtual_router",
                "resource_type": "virtual_router",
                "speed": p.spec.speed_mbps,
                "bgpShutdownDefault": false,
            },
            "interface": {
                "demarcation": "",
                "description": "",
                "id": p.product_id,
                "loa_template": "megaport",
                "media": "LR4",
                "name": p.spec.name,
                "port_speed": p.spec.speed_mbps,
                "resource_name": "interface",
                "resource_type": "interface",
                "up": i32::from(live),
            },
        }),
        _ => json!({
            "interface": {
                "demarcation": location::by_id(p.location_id).map_or("", |l| l.name),
                "description": "",
                "id": p.product_id,
                "loa_template": "megaport",
                "media": if p.spec.speed_mbps >= 100_000 { "100GBASE-LR4" } else { "LR" },
                "name": p.spec.name,
                "port_speed": p.spec.speed_mbps,
                "resource_name": "interface",
                "resource_type": "interface",
                "up": i32::from(live),
            }
        }),
    };
    wire::Product {
        product_id: p.product_id,
        product_uid: p.uid.to_string(),
        product_name: p.spec.name.clone(),
        product_type: p.product_type.as_str().into(),
        provisioning_status: p.status.as_str().into(),
        create_date: p.created_at,
        created_by: v.company_name.clone(),
        terminate_date: v.terminate_at,
        live_date: v.live_at,
        contract_start_date: Some(p.created_at),
        contract_end_date: contract_end(Some(p.created_at), p.spec.term_months),
        contract_term_months: p.spec.term_months,
        market: market(p.location_id),
        location_id: p.location_id,
        location_detail: location_detail(p.location_id),
        port_speed: p.spec.speed_mbps,
        max_vxc_speed: p.spec.speed_mbps,
        usage_algorithm: "POST_PAID_HOURLY_SPEED_LONG_TERM".into(),
        marketplace_visibility: p.spec.marketplace_visibility,
        vxc_permitted: true,
        vxc_auto_approval: false,
        secondary_name: None,
        lag_primary: false,
        lag_id: None,
        aggregation_id: None,
        company_uid: p.company.0.clone(),
        company_name: v.company_name.clone(),
        cost_centre: p.spec.cost_centre.clone(),
        attribute_tags: json!({}),
        is_virtual: p.product_type != ProductType::Port,
        buyout_port: false,
        locked: p.spec.locked,
        admin_locked: false,
        cancelable: true,
        diversity_zone: p.diversity_zone.as_str().into(),
        up: live,
        connect_type: (p.product_type == ProductType::Mcr).then(|| "VROUTER".to_owned()),
        associated_vxcs: v.vxcs.iter().map(vxc).collect(),
        associated_ixs: Vec::new(),
        resources,
        vnics: (p.product_type == ProductType::Mve).then(|| {
            p.spec
                .vnics
                .iter()
                .enumerate()
                .map(|(i, d)| json!({"vnicIndex": i, "description": d, "vlan": null}))
                .collect()
        }),
    }
}

/// An MCR end's configuration as Megaport reads it back: a `VROUTER` `csp_connection`.
fn vrouter(cfg: &VrouterConfig, vlan: Option<u16>, router_name: &str, resource: &str) -> Value {
    let interfaces: Vec<Value> = cfg
        .interfaces
        .iter()
        .map(|i| {
            json!({
                "ipAddresses": i.ip_addresses.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
                "ipRoutes": [],
                "natIpAddresses": [],
                "bfd": {"txInterval": 300, "rxInterval": 300, "multiplier": 3},
                "description": i.description,
                "bgpConnections": i.bgp_connections.iter().map(|b| json!({
                    "peerAsn": b.peer_asn,
                    "localAsn": b.local_asn,
                    "localIpAddress": b.local_ip_address.to_string(),
                    "peerIpAddress": b.peer_ip_address.to_string(),
                    "password": b.password,
                    "shutdown": b.shutdown,
                    "description": b.description,
                    "medIn": b.med_in,
                    "medOut": b.med_out,
                    "bfdEnabled": b.bfd_enabled,
                    "asPathPrependCount": b.as_path_prepend_count,
                    "peerType": b.peer_type.clone().unwrap_or_else(|| "NON_CLOUD".into()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "connectType": "VROUTER",
        "resource_name": resource,
        "resource_type": "csp_connection",
        "vlan": vlan,
        "interfaces": interfaces,
        "ip_addresses": cfg.interfaces.iter().flat_map(|i| i.ip_addresses.iter().map(|n| n.to_string())).collect::<Vec<_>>(),
        "virtualRouterName": router_name,
    })
}

fn end(e: &VxcEnd, product: Option<&Product>, own: bool, owner_name: &str) -> wire::VxcEnd {
    let location_id = product.map(|p| p.location_id);
    wire::VxcEnd {
        owner_uid: Some(e.owner.0.clone()),
        product_uid: e.product_uid.to_string(),
        product_name: if own {
            product.map_or_else(String::new, |p| p.spec.name.clone())
        } else {
            owner_name.to_owned()
        },
        location_id,
        location: location_id
            .and_then(location::by_id)
            .map_or_else(String::new, |l| l.name.to_owned()),
        location_detail: location_id.map(location_detail).unwrap_or_default(),
        vlan: if own { e.vlan } else { None },
        inner_vlan: if own { e.inner_vlan } else { None },
        vnic_index: if own { e.vnic_index } else { None },
        secondary_name: None,
    }
}

/// A VXC as `v.viewer`'s company sees it: its own end in full, the partner's end by where it
/// is only; its own name for the VXC.
pub fn vxc(v: &VxcView) -> wire::Vxc {
    let x = &v.vxc;
    let s = &x.spec;
    let (a_own, b_own) = match (v.viewer, x.is_partnership()) {
        (_, false) => (true, true),
        (Side::A, true) => (true, false),
        (Side::B, true) => (false, true),
    };
    let live = x.status.as_str() == "LIVE" && !s.shutdown;
    let mut csp = Vec::new();
    for (own, e, product, resource) in [
        (a_own, &s.a_end, &v.a_product, "a_csp_connection"),
        (b_own, &s.b_end, &v.b_product, "b_csp_connection"),
    ] {
        if let (true, Some(cfg)) = (own, &e.partner_config) {
            let router = product.as_ref().map_or("", |p| p.spec.name.as_str());
            csp.push(vrouter(cfg, e.vlan, router, resource));
        }
    }
    let own_name = &s.end(v.viewer).name;
    let pending = s.pending.as_ref();
    wire::Vxc {
        product_id: x.product_id,
        product_uid: x.uid.to_string(),
        n_service_id: x.product_id,
        product_name: own_name.clone(),
        product_type: "VXC".into(),
        rate_limit: s.rate_limit,
        distance_band: "METRO".into(),
        provisioning_status: x.status.as_str().into(),
        a_end: end(&s.a_end, v.a_product.as_ref(), a_own, &v.a_company),
        b_end: end(&s.b_end, v.b_product.as_ref(), b_own, &v.b_company),
        resources: json!({
            "interface": [],
            "csp_connection": csp,
            "vll": {
                "a_vlan": if a_own { s.a_end.vlan } else { None },
                "b_vlan": if b_own { s.b_end.vlan } else { None },
                "rate_limit_mbps": s.rate_limit,
                "resource_name": "vll",
                "resource_type": "vll",
                "shutdown": s.shutdown,
                "up": i32::from(live),
                "id": x.product_id,
                "name": own_name,
                "description": own_name,
            },
        }),
        vxc_approval: wire::VxcApproval {
            status: pending.map(|_| "PENDING_EXTERNAL".into()),
            message: pending.map(|_| "A change waits for the partner's approval".into()),
            uid: pending.map(|p| p.approval_uid.to_string()),
            kind: pending.map(|_| "VLAN_CHANGE".into()),
            new_speed: None,
        },
        shutdown: s.shutdown,
        up: live,
        create_date: x.created_at,
        created_by: v.a_company.clone(),
        live_date: v.live_at,
        terminate_date: v.terminate_at,
        contract_start_date: Some(x.created_at),
        contract_end_date: contract_end(Some(x.created_at), s.term_months),
        contract_term_months: s.term_months,
        company_uid: s.a_end.owner.0.clone(),
        company_name: v.a_company.clone(),
        cost_centre: if a_own {
            s.a_end.cost_centre.clone()
        } else {
            String::new()
        },
        locked: s.locked,
        admin_locked: false,
        attribute_tags: json!({}),
        cancelable: v.viewer == Side::A,
        usage_algorithm: "POST_PAID_HOURLY_SPEED_LONG_TERM".into(),
        bgp_status: v.bgp_status.map(str::to_owned),
    }
}

pub fn service_key(l: &KeyLookup) -> wire::ServiceKey {
    let k = &l.key;
    let owned = l.owned;
    let reason = k.check_usable(l.now).err().map(|e| e.to_string());
    wire::ServiceKey {
        key: k.key.to_string(),
        create_date: owned.then_some(k.created_at),
        company_id: None,
        company_uid: k.company.0.clone(),
        company_name: l.company_name.clone(),
        description: owned.then(|| k.description.clone()),
        product_id: l.product.as_ref().filter(|_| owned).map(|p| p.product_id),
        product_uid: k.product_uid.clone(),
        product_name: l
            .product
            .as_ref()
            .filter(|_| owned)
            .map(|p| p.spec.name.clone()),
        product_dto: l.product.as_ref().filter(|_| owned).map(|p| {
            json!({
                "productId": p.product_id,
                "productUid": p.uid.to_string(),
                "productName": p.spec.name,
                "productType": p.product_type.as_str(),
                "provisioningStatus": p.status.as_str(),
                "portSpeed": p.spec.speed_mbps,
                "locationId": p.location_id,
                "market": market(p.location_id),
                "marketplaceVisibility": p.spec.marketplace_visibility,
                "vxcpermitted": true,
                "vxcAutoApproval": false,
                "companyUid": p.company.0,
                "associatedVxcs": [],
            })
        }),
        vlan: if owned { k.vlan } else { None },
        max_speed: k.max_speed,
        pre_approved: owned.then_some(k.pre_approved),
        single_use: k.single_use,
        last_used: owned.then_some(k.used_at).flatten(),
        active: k.active,
        valid_for: wire::ValidFor {
            start: Some(k.valid_from),
            end: k.valid_until,
        },
        expired: k.expired(l.now),
        valid: reason.is_none(),
        promo_code: None,
        invalid_reason: reason,
    }
}

pub fn approval(a: &OrderApproval) -> wire::OrderApproval {
    wire::OrderApproval {
        uid: a.uid.to_string(),
        id: a.id,
        reference_id: a.vxc.to_string(),
        status: a.status.as_str().into(),
        kind: a.kind.clone(),
        active: a.status.as_str() == "PENDING",
        approver_company_id: a.approver.0.clone(),
        requester_company_id: a.requester.0.clone(),
        service_id: a.vxc.to_string(),
        comment: a.comment.clone(),
        create_date: a.created_at,
        detail: a.detail.clone(),
    }
}

pub fn notification(n: &Notification) -> wire::Notification {
    wire::Notification {
        id: n.seq,
        create_date: n.at,
        kind: n.kind.clone(),
        message: n.message.clone(),
        service_uid: n.product_uid.map(|u| u.to_string()),
    }
}
