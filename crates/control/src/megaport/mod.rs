//! The Megaport half of the control layer: companies and their credentials, products,
//! service keys and VXCs. Rules run over the store's port (`store::MegaportTx`) as one
//! transaction each; reads run on a reader (`store::view`).

mod auth;
mod keys;
mod orders;
mod vxcs;

pub use auth::{MegaportSession, TOKEN_TTL_SECS};
pub use keys::{KeyLookup, KeyUpdate, NewServiceKey, ProductRef};
pub use orders::{
    AnyProduct, Cancel, LinePrice, OrderLine, ProductChange, ProductOrder, ProductView, VxcOrder,
};
pub use vxcs::{ApprovalDecision, VxcView};

use crate::{Control, ControlError, Result};
use crosslink_domain::megaport::company::CompanyUid;
use crosslink_domain::megaport::product::Product;
use crosslink_domain::megaport::vxc::VlansInUse;
use crosslink_domain::time::Millis;
use crosslink_domain::{DomainError, Kind};
use crosslink_store::{view, MegaportTx, Tx};
use uuid::Uuid;

/// Megaport's not-found, which megaportgo's `IsServiceNotFoundError` recognises.
pub(crate) fn no_service(uid: impl std::fmt::Display) -> ControlError {
    DomainError::NotFound {
        kind: Kind::Port,
        id: Some(uid.to_string()),
    }
    .into()
}

/// The company's own product, or not found (another company's products do not exist for it).
pub(crate) fn own_product(tx: &dyn MegaportTx, company: &CompanyUid, uid: Uuid) -> Result<Product> {
    match tx.product(uid)? {
        Some(p) if &p.company == company => Ok(p),
        _ => Err(no_service(uid)),
    }
}

/// What holds VLANs on a product now: VXC ends that are not terminated, and single-use keys
/// not yet used or expired; but not `except`, the VXC or key whose own VLAN is being decided.
pub(crate) fn vlans_in_use(
    tx: &dyn MegaportTx,
    product: &Product,
    now: Millis,
    except: Option<Uuid>,
) -> Result<VlansInUse> {
    let mut used = VlansInUse::default();
    for vlan in tx.vlans_on_product(product.uid, except)? {
        match vlan {
            Some(vlan) => used.tagged.push(vlan),
            None => used.untagged = true,
        }
    }
    for k in tx.service_keys_of(&product.company, Some(product.uid))? {
        if Some(k.id) == except {
            continue;
        }
        if let Some(vlan) = k.holds_vlan(now) {
            used.tagged.push(vlan);
        }
    }
    Ok(used)
}

pub(crate) fn company_name(tx: &dyn MegaportTx, uid: &CompanyUid) -> Result<String> {
    Ok(tx.company(uid)?.map(|c| c.name).unwrap_or_default())
}

impl Control {
    /// Reads over the port on a reader connection.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        view(self.store.as_ref(), f).await
    }
}

/// DigitalOcean deleted the attachment a VXC was ordered for: the VXC is cancelled and its
/// owner told; the MCR side sees it go down.
pub(crate) fn cancel_vxc_of_attachment(
    c: &crate::attachments::Schedule,
    tx: &dyn Tx,
    v: &crosslink_domain::megaport::vxc::Vxc,
    now: Millis,
) -> Result<()> {
    let due = c.due_after(
        crosslink_domain::ResourceType::Vxc,
        crosslink_domain::megaport::product::ProvisioningStatus::Cancelled.as_str(),
        now,
    );
    orders::cancel_in(c, tx, crosslink_domain::ResourceType::Vxc, v.uid, due, now)?;
    tx.megaport().notify(&crosslink_domain::megaport::approval::Notification {
        seq: 0,
        company: v.spec.a_end.owner.clone(),
        at: now,
        kind: "VXC_CANCELLED".into(),
        message: format!(
            "DigitalOcean deleted the partner attachment at the B-End of the VXC '{}': the VXC is cancelled",
            v.spec.a_end.name
        ),
        product_uid: Some(v.uid),
    })?;
    Ok(())
}
